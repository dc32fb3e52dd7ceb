"""One side's desired state: its Argo CD Applications (found by building every
kustomization under ``apps/``) and, per Application, the objects its sources render:
Kustomize paths with the pinned `kubectl kustomize`, Helm charts with the pinned `helm
template` when the chart is in a chart cache (otherwise the Helm source itself is what
gets compared).

Builds are keyed by a digest of every file they can read (git blob ids), shared by both
sides: a kustomization whose inputs are identical on both sides is built once, and an
Application whose object and source inputs are identical is not built at all. Only the
files of the builds that run are written out of git.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from labgen.buildcache import KUSTOMIZATION_FILES, BuildInputs, BuildStore, Inputs, path_digest
from labgen.data.releases import DEFAULT_KUBERNETES_VERSION
from labgen.desired import (
    SourceError,
    app_sources,
    build_kustomization,
    build_kustomizations,
    cached_chart,
    chart_name,
    is_application,
    kept_build,
    render_chart,
)
from labgen.diff.sides import Snapshot
from labgen.yamlio import YamlSyntaxError, dump_data, load_all_safe

TargetKey = tuple[str, str, str]


@dataclass(frozen=True)
class Target:
    """What a desired state belongs to: an Application, or a kustomization under ``apps/``
    that nothing points at (a bundle applied by hand: ``apps/<lab>/bootstrap``)."""

    kind: Literal["Application", "bundle"]
    namespace: str
    name: str
    lab: str | None
    app: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> TargetKey:
        return (self.kind, self.namespace, self.name)

    @property
    def finalizers(self) -> tuple[str, ...]:
        return tuple(str(f) for f in (self.app.get("metadata") or {}).get("finalizers") or [])


@dataclass
class Desired:
    objects: list[dict[str, Any]] = field(default_factory=list)
    helm_sources: list[dict[str, Any]] = field(default_factory=list)
    """Helm sources whose chart is in no chart cache (compared as sources)."""
    paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


Built = list[dict[str, Any]] | str
"""The objects of a build, or the error message of a failed one."""


class BuildCache:
    """kustomize builds by input digest, shared by both sides, and kept between runs in
    ``store`` when there is one."""

    def __init__(self, store: BuildStore | None = None) -> None:
        self.outputs: dict[str, Built] = {}
        self.store = store

    def build_all(self, jobs: Iterable[tuple[str, Path]], root: Path) -> None:
        """Build the (digest, directory) pairs not built yet, in parallel (directories of
        the side whose files are under ``root``)."""
        todo = {digest: directory for digest, directory in jobs if digest not in self.outputs}
        keys = {directory: digest for digest, directory in todo.items()}
        outputs = build_kustomizations(todo.values(), root, store=self.store, keys=keys)
        self.outputs.update((digest, _built(outputs[d])) for digest, d in todo.items())

    def known(self, digest: str, directory: Path) -> bool:
        """Whether the build with this digest is known without running it (built already,
        or read now from ``store``): its files need not be written out."""
        if digest not in self.outputs and self.store is not None:
            kept = kept_build(directory, self.store, digest)
            if kept is not None:
                self.outputs[digest] = kept
        return digest in self.outputs


def _built(output: list[dict[str, Any]] | SourceError) -> Built:
    return str(output) if isinstance(output, SourceError) else output


class SideTree:
    """The desired state of one side, read from its snapshot."""

    def __init__(self, files: Snapshot, chart_dirs: tuple[Path, ...], cache: BuildCache) -> None:
        self.files = files
        self.root = files.root.resolve()
        self.chart_dirs = chart_dirs
        if files.is_dir("charts"):
            files.ensure(files.files_under("charts"))
            self.chart_dirs = (*chart_dirs, self.root / "charts")
        self.cache = cache
        self._inputs = BuildInputs(files)
        self._kube: dict[str, str] = {}

    # -- inputs and digests -------------------------------------------------------------

    def inputs(self, directory: str) -> Inputs | None:
        """What a build of ``directory`` can read; None when it reads something outside
        this side (a remote base), so it is always built."""
        return self._inputs.inputs(directory)

    def _kustomization_file(self, directory: str) -> str | None:
        return self._inputs.kustomization_file(directory)

    def digest(self, directory: str) -> str | None:
        return self._inputs.digest(directory)

    def target_digest(self, target: Target) -> str | None:
        """Everything a target's desired state depends on, or None when unknown."""
        if target.kind == "bundle":
            return self.digest(target.name)
        parts = [dump_data(target.app)]
        for source in app_sources(target.app):
            chart = chart_name(source)
            if chart:
                path = cached_chart(self.chart_dirs, chart, str(source.get("targetRevision", "")))
                parts += [path_digest(path), self.kubernetes_version(target.lab)]
            elif source.get("path"):
                directory = _source_dir(source)
                digest = self.digest(directory) if self.files.is_dir(directory) else "missing"
                if digest is None:
                    return None
                parts.append(digest)
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    # -- builds ---------------------------------------------------------------------------

    def build_all(self, directories: Iterable[str]) -> None:
        """Write out the inputs of these kustomizations and build them, in parallel."""
        jobs = []
        for directory in directories:
            digest = self.digest(directory)
            if digest is None or self.cache.known(digest, self.root / directory):
                continue
            inputs = self.inputs(directory)
            assert inputs is not None
            self.files.ensure(inputs[0])
            jobs.append((digest, self.root / directory))
        self.cache.build_all(jobs, self.root)

    def objects(self, directory: str) -> Built:
        digest = self.digest(directory)
        if digest is None:  # remote bases: build it as it is, never cached
            self.files.ensure(self.files.files_under(directory))
            return _built(build_kustomization(self.root / directory, self.root))
        if digest not in self.cache.outputs:
            self.build_all([directory])
        return self.cache.outputs[digest]

    # -- targets --------------------------------------------------------------------------

    def targets(self) -> dict[TargetKey, Target]:
        directories = sorted(
            {posixpath.dirname(p) for p in self.files.files_under("apps")}
            & set(self._dirs_with_kustomization())
        )
        self.build_all(directories)
        out: dict[TargetKey, Target] = {}
        sources: set[str] = set()
        referenced: set[str] = set()
        for directory in directories:
            inputs = self.inputs(directory)
            if inputs is not None:
                referenced |= inputs[1] - {directory}
            built = self.objects(directory)
            if isinstance(built, str):
                continue  # reported when the bundle itself is compared
            for obj in built:
                if not is_application(obj):
                    continue
                meta = obj.get("metadata") or {}
                lab = (meta.get("labels") or {}).get("labgen.dev/lab") or _lab_of(directory)
                target = Target(
                    "Application", str(meta.get("namespace", "")), str(meta.get("name")), lab, obj
                )
                out.setdefault(target.key, target)
                sources |= {
                    _source_dir(s) for s in app_sources(obj) if s.get("path") and not chart_name(s)
                }
        for directory in directories:
            if directory not in sources and directory not in referenced:
                bundle = Target("bundle", "", directory, _lab_of(directory))
                out[bundle.key] = bundle
        return out

    def _dirs_with_kustomization(self) -> Iterator[str]:
        for path in self.files.files_under("apps"):
            directory, name = posixpath.split(path)
            if name in KUSTOMIZATION_FILES:
                yield directory

    def prebuild(self, targets: Iterable[Target]) -> None:
        """Build the kustomizations these targets need, in parallel."""
        directories = []
        for target in targets:
            if target.kind == "bundle":
                directories.append(target.name)
            for source in app_sources(target.app):
                if source.get("path") and not chart_name(source):
                    directory = _source_dir(source)
                    if self._kustomization_file(directory) is not None:
                        directories.append(directory)
        self.build_all(directories)

    # -- desired state --------------------------------------------------------------------

    def desired(self, target: Target) -> Desired:
        out = Desired()
        if target.kind == "bundle":
            self._add_directory(target.name, out)
            return out
        for source in app_sources(target.app):
            chart = chart_name(source)
            if chart:
                self._add_chart(target, source, chart, out)
            elif source.get("path"):
                self._add_directory(_source_dir(source), out)
            else:
                out.notes.append(f"a source without path or chart ({source.get('repoURL')})")
        return out

    def _add_directory(self, directory: str, out: Desired) -> None:
        out.paths.append(directory)
        if not self.files.is_dir(directory):
            out.notes.append(f"source path {directory} does not exist on this side")
            return
        if self._kustomization_file(directory) is None:
            # a plain directory source: Argo CD applies its manifests as they are
            for path in self.files.files_under(directory):
                if posixpath.dirname(path) == directory and path.endswith((".yaml", ".yml")):
                    try:
                        docs = load_all_safe(self.files.read(path).decode(), path)
                        out.objects += [d for d in docs if isinstance(d, dict)]
                    except (YamlSyntaxError, UnicodeDecodeError) as exc:
                        out.errors.append(str(exc))
            return
        built = self.objects(directory)
        if isinstance(built, str):
            out.errors.append(f"{directory}: kustomize build failed: {built}")
        else:
            out.objects += built

    def _add_chart(self, target: Target, source: dict[str, Any], chart: str, out: Desired) -> None:
        version = str(source.get("targetRevision", ""))
        out.paths.append(f"{chart} {version}")
        kube = self.kubernetes_version(target.lab)
        try:
            objects = render_chart(
                target.app, source, self.chart_dirs, kube, f"{chart}-{version}", self.cache.store
            )
        except SourceError as exc:
            out.errors.append(f"helm template {chart} {version}: {exc}")
            return
        if objects is None:
            out.helm_sources.append(source)
        else:
            out.objects += objects

    def kubernetes_version(self, lab: str | None) -> str:
        """The lab spec's Kubernetes version on this side (charts render for it)."""
        if lab is None:
            return DEFAULT_KUBERNETES_VERSION
        if lab not in self._kube:
            self._kube[lab] = DEFAULT_KUBERNETES_VERSION
            spec = f"labs/{lab}.yaml"
            if self.files.is_file(spec):
                try:
                    data = next(iter(load_all_safe(self.files.read(spec).decode(), spec)), None)
                except (YamlSyntaxError, UnicodeDecodeError):
                    data = None
                if isinstance(data, dict):
                    cluster = (data.get("spec") or {}).get("cluster") or {}
                    version = cluster.get("kubernetesVersion") or DEFAULT_KUBERNETES_VERSION
                    self._kube[lab] = str(version)
        return self._kube[lab]


def _source_dir(source: dict[str, Any]) -> str:
    return posixpath.normpath(str(source["path"]).strip("/"))


def _lab_of(directory: str) -> str | None:
    parts = directory.split("/")
    return parts[1] if len(parts) > 1 and parts[0] in ("apps", "overlays") else None
