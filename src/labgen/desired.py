"""The desired state of an Argo CD Application, built the way Argo CD builds it.

A path source is a kustomization built with the pinned `kubectl kustomize`; a Helm source
(``chart:`` or a native OCI ``repoURL``) is rendered with the pinned `helm template` from
a chart cache (``helm pull`` archives or unpacked charts). Shared by `labgen check`
(validates what the sources build) and `labgen diff` (compares it between revisions).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from labgen.buildcache import BuildInputs, BuildStore, DiskFiles, path_digest
from labgen.errors import LabgenError
from labgen.tools import find_tool, helm_template, kustomize_build, reused
from labgen.yamlio import YamlSyntaxError, dump_data, load_all_safe

APPLICATION = ("argoproj.io/v1alpha1", "Application")
CHARTS_ENV = "LABGEN_CHARTS"
"""Environment variable naming a chart cache (what `make check` sets)."""

CLUSTER_API_VERSIONS = ("apiregistration.k8s.io/v1",)
"""API versions every supported cluster serves that Helm's built-in capabilities lack (the
aggregator's): Argo CD passes the cluster's API versions to `helm template`, so a chart
testing ``.Capabilities.APIVersions.Has "apiregistration.k8s.io/v1"`` (prometheus-adapter)
renders ``apiregistration.k8s.io/v1`` there, not the ``v1beta1`` Kubernetes 1.22 removed."""

Objects = list[dict[str, Any]]


def is_application(obj: dict[str, Any]) -> bool:
    """Whether an object is an Argo CD Application."""
    return (obj.get("apiVersion"), obj.get("kind")) == APPLICATION


def app_sources(app: dict[str, Any]) -> list[dict[str, Any]]:
    """``spec.sources``, or ``spec.source`` as a list of one."""
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return [s for s in sources if isinstance(s, dict)]


def chart_name(source: dict[str, Any]) -> str:
    """The Helm chart a source installs ('' for a path source).

    ``chart``, or the last segment of an OCI repository URL (Argo CD's native OCI sources).
    """
    repo = str(source.get("repoURL", ""))
    if source.get("chart"):
        return str(source["chart"])
    return repo.rsplit("/", 1)[-1] if repo.startswith("oci://") else ""


def chart_dirs(given: Iterable[Path] | None) -> tuple[Path, ...]:
    """The chart caches to use: those given, else ``$LABGEN_CHARTS`` when it is set."""
    if given:
        return tuple(given)
    env = os.environ.get(CHARTS_ENV)
    return (Path(env),) if env else ()


def cached_chart(caches: Iterable[Path], chart: str, version: str) -> Path | None:
    """The chart in a cache, or None.

    ``<chart>-<version>.tgz`` (as ``helm pull`` saves it), an unpacked
    ``<chart>-<version>/``, or a vendored ``<chart>/`` of that version.
    """
    for directory in caches:
        for candidate in (directory / f"{chart}-{version}.tgz", directory / f"{chart}-{version}"):
            if candidate.exists():
                return candidate
        vendored = directory / chart / "Chart.yaml"
        if vendored.is_file():
            meta = next(iter(load_all_safe(vendored.read_text(), str(vendored))), None)
            if isinstance(meta, dict) and str(meta.get("version")) == version:
                return vendored.parent
    return None


def template_source(
    app: dict[str, Any],
    source: dict[str, Any],
    chart: Path,
    kube_version: str,
    origin: str,
    store: BuildStore | None = None,
) -> Objects:
    """The objects a Helm source renders from ``chart``.

    Release name (default: the Application's name), destination namespace,
    ``valuesObject`` / ``values`` / ``parameters``, CRDs included. Raises ToolError (helm
    failed) or YamlSyntaxError (unreadable output). With a ``store``, a render of the same
    chart with the same arguments is not run again.
    """
    spec = app.get("spec") or {}
    helm = source.get("helm") or {}
    values = helm.get("valuesObject")
    text = dump_data(values) if values is not None else helm.get("values")
    release = str(helm.get("releaseName") or (app.get("metadata") or {}).get("name"))
    namespace = str((spec.get("destination") or {}).get("namespace") or "default")
    parameters = tuple(f"{p.get('name')}={p.get('value')}" for p in helm.get("parameters", []))
    digest = None
    if store is not None:
        arguments = (release, namespace, kube_version, text, parameters, CLUSTER_API_VERSIONS)
        digest = hashlib.sha256(repr((path_digest(chart), *arguments)).encode()).hexdigest()
        documents = store.get("helm", digest)
        if documents is not None:
            reused([str(find_tool("helm")), "template", release, str(chart), "-n", namespace])
            return [d for d in documents if isinstance(d, dict)]
    output = helm_template(
        chart, release, namespace, kube_version, text, parameters, CLUSTER_API_VERSIONS
    )
    documents = list(load_all_safe(output, origin))
    if store is not None and digest is not None:
        store.put("helm", digest, documents)
    return [d for d in documents if isinstance(d, dict)]


class SourceError(LabgenError):
    """A source that does not build: the tool's one-line reason."""


def render_chart(
    app: dict[str, Any],
    source: dict[str, Any],
    caches: Iterable[Path],
    kube_version: str,
    origin: str,
    store: BuildStore | None = None,
) -> Objects | None:
    """What a Helm source renders, or None when its chart is in no cache.

    Raises SourceError with the line of `helm template`'s error that says what went wrong.
    """
    path = cached_chart(caches, chart_name(source), str(source.get("targetRevision", "")))
    if path is None:
        return None
    try:
        return template_source(app, source, path, kube_version, origin, store)
    except (LabgenError, YamlSyntaxError) as exc:
        lines = str(exc).splitlines()
        raise SourceError(next((x for x in lines if x.startswith("Error:")), lines[-1])) from None


def build_kustomizations(
    directories: Iterable[Path],
    root: Path,
    done: Callable[[int, int], None] | None = None,
    store: BuildStore | None = None,
    keys: Mapping[Path, str | None] | None = None,
) -> dict[Path, Objects | SourceError]:
    """The objects each directory's `kubectl kustomize` build outputs, or why it failed.

    kustomize runs as a subprocess per directory, so they all run at once; ``done`` is
    called with (builds finished, builds in all) as they finish. Objects are read as
    coming from the directory relative to ``root``; a failure is kustomize's own message,
    with paths relative to ``root``. With a ``store``, a directory whose input digest
    (``keys``; default: computed from the files under ``root``) is in it is not built again.
    """
    todo = list(directories)
    if store is not None and keys is None:
        keys = input_digests(todo, root)
    outputs: dict[Path, Objects | SourceError] = {}
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
    try:
        futures = {
            pool.submit(build_kustomization, d, root, store, (keys or {}).get(d)): d for d in todo
        }
        for count, future in enumerate(as_completed(futures), 1):
            outputs[futures[future]] = future.result()
            if done:
                done(count, len(todo))
    except BaseException:
        # Ctrl-C: drop the queued builds instead of running them all before exiting (the
        # running kustomize processes got the same SIGINT)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    if store is not None:
        store.prune()
    return outputs


def input_digests(directories: Iterable[Path], root: Path) -> dict[Path, str | None]:
    """The input digest of each kustomization directory (``labgen.buildcache``), None for
    one outside ``root`` or reading what cannot be listed."""
    inputs = BuildInputs(DiskFiles(root.resolve()))
    digests: dict[Path, str | None] = {}
    for directory in directories:
        relative = display_path(root, directory)
        digests[directory] = None if relative.startswith("/") else inputs.digest(relative)
    return digests


def build_kustomization(
    directory: Path, root: Path, store: BuildStore | None = None, digest: str | None = None
) -> Objects | SourceError:
    """The objects of one kustomization build, or why it failed (see build_kustomizations)."""
    if store is not None and digest is not None:
        kept = kept_build(directory, store, digest)
        if kept is not None:
            return kept
    try:
        origin = display_path(root, directory)
        documents = list(load_all_safe(kustomize_build(directory), origin))
    except (LabgenError, YamlSyntaxError) as exc:
        detail = str(exc).splitlines()[-1].replace(f"{root.resolve()}/", "")
        return SourceError(detail)
    if store is not None and digest is not None:
        store.put("kubectl", digest, documents)
    return [d for d in documents if isinstance(d, dict)]


def kept_build(directory: Path, store: BuildStore, digest: str) -> Objects | None:
    """The objects of an earlier build of ``directory`` with this input digest, if
    ``store`` kept them (the ``--verbose`` trace is told it is reused)."""
    documents = store.get("kubectl", digest)
    if documents is None:
        return None
    reused([str(find_tool("kubectl")), "kustomize", str(directory)])
    return [d for d in documents if isinstance(d, dict)]


def display_path(root: Path, path: Path) -> str:
    """A path as reports show it: relative to ``root`` (posix) when it is under it."""
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
