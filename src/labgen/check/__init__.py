"""`labgen check`: validate a GitOps tree the way Argo CD would build it.

Works on the committed files, not on specs, so it also catches hand edits and checks trees
labgen did not write: every kustomization directory under the given paths is built with the
pinned kubectl, every object is validated strictly (a kind without a schema is an error
unless skipped), Argo CD Applications are followed to their sources, and lab-aware rules run
(`labgen.check.rules`). Helm sources are rendered with the pinned `helm template` from a
chart cache (``--chart-dir``); with a cache, a Helm source whose chart is not in it is an
error, not a note.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from labgen.check.clusters import shared_cluster_findings
from labgen.check.files import Progress, check_file, check_object, documents_with_lines
from labgen.check.model import Finding, Report, Resource
from labgen.check.rules import (
    BUILTIN_CLUSTER_KINDS,
    BUILTIN_GROUPS,
    GpuPool,
    api_group,
    application_rules,
    crd_order_rule,
    cycles,
    gpu_placement_rules,
    network_rules,
    skipped_rules,
    skips_dry_run,
)
from labgen.check.sources import app_sources, cached_chart, chart_name, template_source
from labgen.data.charts import chart_waiver, inventories
from labgen.data.releases import DEFAULT_KUBERNETES_VERSION, RELEASES, platform_crd_groups
from labgen.errors import LabgenError
from labgen.schemas import SchemaError, SchemaSet
from labgen.tools import kustomize_build
from labgen.yamlio import YamlSyntaxError, load_all_safe, load_document

DEFAULT_PATHS = ("catalog", "overlays", "apps")
APPLICATION = ("argoproj.io/v1alpha1", "Application")
APP_PROJECT = ("argoproj.io/v1alpha1", "AppProject")
STDIN = Path("-")
"""A path that reads a manifest stream from standard input (`labgen check -`)."""
STDIN_ORIGIN = "<stdin>"


@dataclass(frozen=True)
class CheckOptions:
    schema_dirs: tuple[Path, ...]
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    skip_kinds: frozenset[str] = frozenset()
    """Kinds not validated, as ``Kind`` or ``group/version/Kind``."""
    assumed_crd_groups: frozenset[str] = frozenset()
    """API groups whose CRDs the cluster has before any Application syncs."""
    chart_dirs: tuple[Path, ...] = ()
    """Chart caches: ``<chart>-<version>.tgz`` (as ``helm pull`` saves them), or unpacked
    ``<chart>-<version>/`` or ``<chart>/`` directories (vendored charts)."""


def check_tree(
    root: Path,
    paths: Iterable[Path],
    options: CheckOptions,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
) -> Report:
    """Check the kustomizations and plain manifest files under ``paths``; ``-`` (STDIN) is
    a manifest stream read from ``stdin`` (default: standard input), reported as
    ``<stdin>``. It is copied to a temporary file first, so that it is checked in chunks
    on every core like a plain file."""
    paths = list(paths)
    if STDIN not in paths:
        return _check_tree(root, paths, options, progress, {})
    with tempfile.TemporaryDirectory(prefix="labgen-stdin-") as tmp:
        copy = Path(tmp) / "stdin.yaml"
        with copy.open("wb") as file:
            shutil.copyfileobj(stdin or sys.stdin.buffer, file)
        return _check_tree(root, paths, options, progress, {STDIN: copy})


def _check_tree(
    root: Path,
    paths: list[Path],
    options: CheckOptions,
    progress: Progress | None,
    streams: dict[Path, Path],
) -> Report:
    """``check_tree``; ``streams`` maps a path that is not a file (STDIN) to a copy."""
    report = Report()
    directories = _kustomization_dirs(root, paths)
    files = _plain_files(root, paths)
    if not directories and not files:
        raise LabgenError(f"no kustomization.yaml or YAML file in {', '.join(map(str, paths))}")
    schema_sets: dict[str, SchemaSet] = {}
    labs = _Labs(root)
    built: dict[Path, list[dict[str, Any]]] = {}
    sources = _Sources(root)
    outputs = _build_all(directories, progress)
    for done, directory in enumerate(directories, 1):
        origin = _display(root, directory)
        try:
            output = outputs[directory]
            if isinstance(output, LabgenError):
                raise output
            built[directory] = [d for d in load_all_safe(output, origin) if isinstance(d, dict)]
        except (LabgenError, YamlSyntaxError) as exc:
            report.problems.append(_build_problem(root, origin, exc))
            continue
        version = labs.of(directory).kubernetes_version or options.kubernetes_version
        schemas = schema_sets.setdefault(version, SchemaSet(version, options.schema_dirs))
        located = sources.of(directory)
        for obj in built[directory]:
            resource = _check_object(origin, obj, schemas, options, report)
            resource.file, resource.line = located.find(obj)
            report.resources.append(resource)
        if progress:
            progress("validating builds", done, len(directories))
    for file in files:
        origin = _display(root, file)
        version = labs.of(file).kubernetes_version or options.kubernetes_version
        try:
            result = check_file(
                streams.get(file, file),
                origin,
                version,
                options.schema_dirs,
                options.skip_kinds,
                progress,
            )
        except YamlSyntaxError as exc:
            report.problems.append(_build_problem(root, origin, exc))
            continue
        built[file] = result.kept
        report.resources += result.resources
        report.skipped_kinds |= result.skipped_kinds
    if progress:
        progress("checking Applications and rules", 0, 0)
    _render_charts(root, built, report, labs, options, schema_sets)
    _check_applications(root, built, report, labs, options)
    apps = (o for objs in built.values() for o in objs if o.get("kind") == "Application")
    report.problems += shared_cluster_findings(apps)
    _check_gpu_placement(root, built, report)
    _apply_waivers(root, report, labs)
    _locate_errors(root, report, {_display(root, path): copy for path, copy in streams.items()})
    return report


def _build_all(directories: list[Path], progress: Progress | None) -> dict[Path, str | LabgenError]:
    """kustomize runs as a subprocess per directory: build them all at once."""
    outputs: dict[Path, str | LabgenError] = {}
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {pool.submit(_build, directory): directory for directory in directories}
        for done, future in enumerate(as_completed(futures), 1):
            outputs[futures[future]] = future.result()
            if progress:
                progress("building kustomizations", done, len(directories))
    return outputs


def _build_problem(root: Path, origin: str, exc: Exception) -> Finding:
    # kustomize's own message, with paths relative to the repository
    detail = str(exc).splitlines()[-1].replace(f"{root.resolve()}/", "")
    return Finding("build/kustomize", "error", f"{origin}: {detail}", "fix the kustomization")


def _locate_errors(root: Path, report: Report, copies: dict[str, Path]) -> None:
    """Give each schema error the line of its field in the committed file (or of the
    nearest enclosing field that is there: a kustomize patch may have added the rest).
    Only objects with errors are re-read, with the position-keeping loader; ``copies``
    are where streams (``<stdin>``) can be read again."""
    texts: dict[str, list[str]] = {}
    for resource in report.resources:
        if not resource.errors or resource.file is None or resource.line is None:
            continue
        if resource.file not in texts:
            file = copies.get(resource.file, root / resource.file)
            texts[resource.file] = file.read_text().splitlines(keepends=True)
        lines = texts[resource.file][resource.line - 1 :]
        end = next((i for i, x in enumerate(lines) if x.startswith("---")), len(lines))
        try:
            document = load_document("".join(lines[:end]), resource.file)
        except YamlSyntaxError:
            continue
        resource.errors = [
            replace(e, line=document.position(_offending(e))[0] + resource.line - 1)
            for e in resource.errors
        ]


_UNEXPECTED = re.compile(r"^Additional properties are not allowed \('([^']+)'")


def _offending(error: SchemaError) -> tuple[str | int, ...]:
    """The field an error is about: for an unknown field, the field itself, not the
    object holding it."""
    unexpected = _UNEXPECTED.match(error.message)
    return (*error.location, unexpected.group(1)) if unexpected else error.location


def _build(directory: Path) -> str | LabgenError:
    try:
        return kustomize_build(directory)
    except LabgenError as exc:
        return exc


def _render_charts(
    root: Path,
    built: dict[Path, list[dict[str, Any]]],
    report: Report,
    labs: _Labs,
    options: CheckOptions,
    schema_sets: dict[str, SchemaSet],
) -> None:
    """Helm sources whose chart is in a chart cache, rendered with the real `helm template`
    as Argo CD would (release name, destination namespace, values, CRDs included)."""
    chart_dirs = options.chart_dirs or ((root / "charts",) if (root / "charts").is_dir() else ())
    if not chart_dirs:
        return
    apps = {
        _app_key(obj): (directory, obj)
        for directory, objects in list(built.items())
        for obj in objects
        if (obj.get("apiVersion"), obj.get("kind")) == APPLICATION
    }
    for directory, app in apps.values():
        for source in app_sources(app):
            chart = chart_name(source)
            if not chart:
                continue
            key = _chart_key(app, source)
            path = cached_chart(chart_dirs, chart, str(source.get("targetRevision", "")))
            if path is None:
                report.problems.append(
                    Finding(
                        "build/helm",
                        "error",
                        f"{key}: chart {chart} {source.get('targetRevision', '')} is not in the "
                        f"chart cache ({', '.join(map(str, chart_dirs))}): it cannot be rendered "
                        "or validated",
                        "add the chart to the cache (`helm pull`) or pin a version it has",
                    )
                )
                continue
            kube = labs.of(directory).kubernetes_version or options.kubernetes_version
            try:
                objects = template_source(app, source, path, kube, str(key))
            except (LabgenError, YamlSyntaxError) as exc:
                lines = str(exc).splitlines()
                detail = next((x for x in lines if x.startswith("Error:")), lines[-1])
                report.problems.append(
                    Finding(
                        "build/helm",
                        "error",
                        f"{key}: {detail}",
                        "fix the Application's Helm values (or the chart)",
                    )
                )
                continue
            built[key] = objects
            schemas = schema_sets.setdefault(kube, SchemaSet(kube, options.schema_dirs))
            for obj in objects:
                resource = _check_object(str(key), obj, schemas, options, report)
                _waive_chart_findings(chart, resource, report)
                report.resources.append(resource)


def _waive_chart_findings(chart: str, resource: Resource, report: Report) -> None:
    """Findings on an upstream chart's object that no value of the chart fixes are waived
    per chart (``labgen.data.charts.CHART_WAIVERS``) and counted in the report."""
    kept = []
    for finding in resource.findings:
        waiver = chart_waiver(chart, finding.rule, resource.kind)
        if waiver is None:
            kept.append(finding)
            continue
        key = (f"chart {chart}", finding.rule, waiver.reason)
        report.waived[key] = report.waived.get(key, 0) + 1
    resource.findings = kept


def _chart_key(app: dict[str, Any], source: dict[str, Any]) -> Path:
    """Where a rendered chart is filed among the builds (shown as the objects' origin)."""
    name = app["metadata"].get("name")
    return Path("helm") / f"{chart_name(source)}-{source.get('targetRevision', '')}" / str(name)


@dataclass(frozen=True)
class LabContext:
    """What the lab spec beside a checked directory says (nothing when there is none)."""

    name: str | None = None
    kubernetes_version: str | None = None
    platform_crd_groups: frozenset[str] = frozenset()
    waivers: tuple[tuple[str, str], ...] = ()
    """(rule, reason) pairs from the spec's ``check.disable``."""
    gateway_class: str | None = None
    """The GatewayClass every Gateway of the lab must use (``spec.gateway.className``)."""


class _Labs:
    """Lab contexts by directory (``overlays/<lab>/...``, ``apps/<lab>/...``), each spec
    loaded once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, LabContext] = {}

    def of(self, path: Path) -> LabContext:
        if path == STDIN:
            return LabContext()
        try:
            parts = path.resolve().relative_to(self.root).parts
        except ValueError:
            return LabContext()
        if len(parts) < 2 or parts[0] not in ("overlays", "apps"):
            return LabContext()
        name = parts[1]
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> LabContext:
        # the spec models: only for trees beside specs
        from labgen.plan.endpoints import gateway_class_of, gateway_crd_groups
        from labgen.spec import load_lab

        spec = self.root / "labs" / f"{name}.yaml"
        if not spec.is_file():
            spec = spec.with_suffix(".yml")
        if not spec.is_file():
            return LabContext()
        try:
            lab = load_lab(spec).lab
        except LabgenError:
            return LabContext()  # `labgen validate` reports it
        cluster = lab.spec.cluster
        return LabContext(
            name,
            cluster.kubernetesVersion,
            platform_crd_groups(cluster.platform, cluster.provider)
            | gateway_crd_groups(gateway_class_of(lab)),
            tuple((w.rule, w.reason) for w in lab.spec.check.disable),
            gateway_class_of(lab),
        )


def _apply_waivers(root: Path, report: Report, labs: _Labs) -> None:
    """Drop findings a lab disabled (``spec.check.disable``), counting what was waived."""
    contexts: dict[str, LabContext] = {}
    for resource in report.resources:
        if resource.origin not in contexts:
            contexts[resource.origin] = labs.of(root / resource.origin)
        context = contexts[resource.origin]
        waived = dict(context.waivers)
        if not waived:
            continue
        kept = []
        for finding in resource.findings:
            if finding.rule in waived:
                key = (f"lab {context.name}", finding.rule, waived[finding.rule])
                report.waived[key] = report.waived.get(key, 0) + 1
            else:
                kept.append(finding)
        resource.findings = kept


def _check_gpu_placement(
    root: Path, built: dict[Path, list[dict[str, Any]]], report: Report
) -> None:
    """GPU workloads against the GPU pools the same tree declares."""
    objects = [obj for objs in built.values() for obj in objs]
    pools = [pool for obj in objects if (pool := GpuPool.of(obj)) is not None]
    gpu_pools = [p for p in pools if p.taints or p.gpus]
    if not gpu_pools:
        return  # node pools are made outside this tree: nothing to check against
    by_identity = {(r.origin, r.kind, r.namespace, r.name): r for r in report.resources}
    for directory, objs in built.items():
        origin = _display(root, directory)
        if origin.startswith("catalog/"):
            continue  # lab-independent bases: placed by GPU product label, not by pools
        for obj in objs:
            findings = list(gpu_placement_rules(obj, gpu_pools))
            if not findings:
                continue
            meta = obj.get("metadata") or {}
            resource = by_identity.get(
                (origin, str(obj.get("kind")), meta.get("namespace"), str(meta.get("name")))
            )
            if resource is not None:
                opted_out = skipped_rules(obj)
                resource.findings += [f for f in findings if f.rule not in opted_out]


def _check_object(
    origin: str, obj: dict[str, Any], schemas: SchemaSet, options: CheckOptions, report: Report
) -> Resource:
    return check_object(origin, obj, schemas, options.skip_kinds, report)


def _check_applications(
    root: Path,
    built: dict[Path, list[dict[str, Any]]],
    report: Report,
    labs: _Labs,
    options: CheckOptions,
) -> None:
    """Argo CD rules across the tree: projects, names, sources, reachability."""
    apps: list[tuple[str, dict[str, Any]]] = []
    projects: dict[str, dict[str, Any]] = {}
    for directory, objects in built.items():
        for obj in objects:
            key = (obj.get("apiVersion"), obj.get("kind"))
            if key == APPLICATION:
                apps.append((_display(root, directory), obj))
            elif key == APP_PROJECT:
                projects[str((obj.get("metadata") or {}).get("name"))] = obj
    resources = {(r.origin, r.kind, r.namespace, r.name): r for r in report.resources}
    # This repository's URL(s): those of sources whose path exists here. A path source in
    # another repository cannot be built here; one in this repository must exist.
    own_repos = {
        source.get("repoURL")
        for _, app in apps
        for source in app_sources(app)
        if source.get("path") and (root / source["path"]).is_dir()
    }
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    referenced: set[Path] = set()
    owners: dict[tuple[str, ...], str] = {}
    for origin, app in apps:
        meta = app["metadata"]
        key = (str(meta.get("namespace")), str(meta.get("name")))
        resource = resources[(origin, "Application", meta.get("namespace"), meta.get("name"))]
        if key in seen:
            # The same Application reached through several directories is fine; two
            # different Applications with one name are not (the last applied wins).
            if seen[key].get("spec") != app.get("spec"):
                resource.findings.append(
                    Finding(
                        "argocd/duplicate-app-name",
                        "error",
                        f"another Application named {key[1]!r} in {key[0]} differs from this one",
                        "give every Application a unique name",
                    )
                )
            continue
        seen[key] = app
        opted_out = skipped_rules(app)
        findings = [f for f in application_rules(app, projects) if f.rule not in opted_out]
        for source in app_sources(app):
            if _chart_key(app, source) in built:
                continue  # rendered from the chart cache
            findings += _source(root, source, own_repos, report, referenced)
        resource.findings += findings
        _claim_objects(root, app, built, owners, resources)
    unique = [(origin, app) for origin, app in apps if seen.get(_app_key(app)) is app]
    _check_app_graph(root, unique, built, resources)
    _check_crd_order(root, unique, built, resources, labs, options)
    _check_project_cluster_kinds(root, unique, built, resources, projects)
    _check_gateway_classes(root, unique, built, resources, labs)
    _check_namespaces(root, unique, built, resources)
    _check_network(root, unique, built, resources, labs)
    for directory in built:
        if directory.is_file() or not directory.is_relative_to(root.resolve()):
            continue
        relative = directory.relative_to(root.resolve()).parts
        if relative[:1] == ("overlays",) and directory not in referenced:
            report.problems.append(
                Finding(
                    "argocd/orphan",
                    "warning",
                    f"{_display(root, directory)} is not the source of any Application",
                    "point an Application at it or delete it",
                )
            )


Key = tuple[str, str, Any, Any]


def _app_key(app: dict[str, Any]) -> tuple[str, str]:
    meta = app.get("metadata") or {}
    return (str(meta.get("namespace")), str(meta.get("name")))


def _wave(obj: dict[str, Any]) -> int:
    wave = ((obj.get("metadata") or {}).get("annotations") or {}).get(
        "argocd.argoproj.io/sync-wave", "0"
    )
    return int(wave) if re.fullmatch(r"-?\d+", str(wave)) else 0


def _cluster(app: dict[str, Any]) -> tuple[str, str]:
    """Argo CD instance (its namespace) and destination cluster of an Application."""
    destination = (app.get("spec") or {}).get("destination") or {}
    return (
        str((app.get("metadata") or {}).get("namespace")),
        str(destination.get("server") or destination.get("name")),
    )


def _built_sources(
    root: Path, app: dict[str, Any], built: dict[Path, list[dict[str, Any]]]
) -> list[Path]:
    """The directories of this repository an Application's sources point at, as built."""
    out = []
    for source in app_sources(app):
        if _chart_key(app, source) in built:
            out.append(_chart_key(app, source))
        elif source.get("path") and not source.get("chart"):
            directory = (root / str(source["path"])).resolve()
            if directory in built:
                out.append(directory)
    return out


def _resource_of(
    root: Path, directory: Path, obj: dict[str, Any], resources: dict[Key, Resource]
) -> Resource | None:
    meta = obj.get("metadata") or {}
    key = (_display(root, directory), str(obj.get("kind")), meta.get("namespace"), meta.get("name"))
    return resources.get(key)


def _add(resource: Resource | None, obj: dict[str, Any], findings: Iterable[Finding]) -> None:
    if resource is not None:
        opted_out = skipped_rules(obj)
        resource.findings += [f for f in findings if f.rule not in opted_out]


def _check_app_graph(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
) -> None:
    """App-of-apps: an Application whose source contains (transitively) itself would
    recreate itself forever; Argo CD does not detect it."""
    edges: dict[str, set[str]] = {}
    by_name: dict[str, tuple[str, dict[str, Any]]] = {}
    for origin, app in apps:
        name = "/".join(_app_key(app))
        by_name[name] = (origin, app)
        edges[name] = {
            "/".join(_app_key(child))
            for directory in _built_sources(root, app, built)
            for child in built[directory]
            if (child.get("apiVersion"), child.get("kind")) == APPLICATION
        }
    for cycle in cycles(edges):
        origin, app = by_name[cycle[0]]
        meta = app["metadata"]
        loop = " -> ".join(n.split("/", 1)[1] for n in [*cycle, cycle[0]])
        _add(
            resources.get((origin, "Application", meta.get("namespace"), meta.get("name"))),
            app,
            [
                Finding(
                    "argocd/app-cycle",
                    "error",
                    f"the app-of-apps graph has a cycle: {loop}",
                    "an Application must not (transitively) deploy itself; point the "
                    "parent at a directory of children only",
                )
            ],
        )


@cache
def _crd_providers() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """API groups installed by each Helm chart (as measured: ``labgen.data.charts``), and
    by each OLM package and git repository labgen knows (the release table)."""
    charts: dict[str, set[str]] = {}
    packages: dict[str, set[str]] = {}
    repos: dict[str, set[str]] = {}
    for inventory in inventories().values():
        charts.setdefault(inventory.chart, set()).update(inventory.crd_groups)
    for release in RELEASES.values():
        groups = set(release.crd_groups)
        if release.olm:
            packages.setdefault(release.olm.package, set()).update(groups)
        if release.git:
            repos.setdefault(release.git[0].removesuffix(".git"), set()).update(groups)
    return charts, packages, repos


def _provided_groups(
    root: Path, app: dict[str, Any], built: dict[Path, list[dict[str, Any]]]
) -> set[str]:
    charts, packages, repos = _crd_providers()
    groups: set[str] = set()
    for source in app_sources(app):
        repo = str(source.get("repoURL", ""))
        if _chart_key(app, source) not in built:  # rendered: its own CRDs tell (below)
            groups |= charts.get(chart_name(source), set())
        groups |= repos.get(repo.removesuffix(".git"), set())
    for directory in _built_sources(root, app, built):
        for obj in built[directory]:
            kind = obj.get("kind")
            spec = obj.get("spec") or {}
            if kind == "CustomResourceDefinition":
                groups.add(str(spec.get("group")))
            elif kind == "Subscription" and api_group(obj) == "operators.coreos.com":
                groups |= packages.get(str(spec.get("name")), set())
    return groups


def _check_crd_order(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
    labs: _Labs,
    options: CheckOptions,
) -> None:
    """Custom resources sync after the Application installing their CRD (or skip the dry
    run): Argo CD dry-runs every object of an Application before applying any."""
    providers: dict[tuple[tuple[str, str], str], list[tuple[str, int]]] = {}
    provided: dict[tuple[str, str], set[str]] = {}
    for _, app in apps:
        provided[_app_key(app)] = _provided_groups(root, app, built)
        for group in provided[_app_key(app)]:
            entry = (str(app["metadata"].get("name")), _wave(app))
            providers.setdefault((_cluster(app), group), []).append(entry)
    # A tree deploying OpenShift's own API groups targets OpenShift, spec or not.
    openshift = any(
        api_group(obj).endswith(".openshift.io") for objs in built.values() for obj in objs
    )
    assumed = (
        {"argoproj.io"}
        | options.assumed_crd_groups
        | (platform_crd_groups("openshift", "") if openshift else set())
    )
    _check_crd_owners(root, apps, built, resources, provided)
    for origin, app in apps:
        present = assumed | labs.of(root / origin).platform_crd_groups | provided[_app_key(app)]
        for directory in _built_sources(root, app, built):
            for obj in built[directory]:
                group = api_group(obj)
                if group in BUILTIN_GROUPS or group in present or skips_dry_run(obj, app):
                    continue
                findings = crd_order_rule(
                    obj, _wave(app), providers.get((_cluster(app), group), [])
                )
                _add(_resource_of(root, directory, obj, resources), obj, findings)


def _check_project_cluster_kinds(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
    projects: dict[str, dict[str, Any]],
) -> None:
    """Every cluster-scoped object an Application deploys (chart-rendered ones included)
    is allowed by its AppProject's clusterResourceWhitelist: Argo CD refuses to sync it
    otherwise. Scopes: the Kubernetes API's own kinds, the CRDs in the tree and those the
    pinned charts install."""
    cluster = set(BUILTIN_CLUSTER_KINDS)
    crds = [
        o for objs in built.values() for o in objs if o.get("kind") == "CustomResourceDefinition"
    ]
    for crd in crds:
        spec = crd.get("spec") or {}
        if spec.get("scope") == "Cluster":
            cluster.add((str(spec.get("group")), str((spec.get("names") or {}).get("kind"))))
    for inventory in inventories().values():
        cluster.update((c.group, c.kind) for c in inventory.crds if c.scope == "Cluster")
    for _, app in apps:
        project = projects.get(str((app.get("spec") or {}).get("project")))
        if project is None:
            continue  # argocd/project-missing says so
        allowed = {
            (str(e.get("group", "")), str(e.get("kind", "")))
            for e in (project.get("spec") or {}).get("clusterResourceWhitelist") or []
        }
        for directory in _built_sources(root, app, built):
            for obj in built[directory]:
                kind = (api_group(obj), str(obj.get("kind")))
                if kind not in cluster or _whitelisted(kind, allowed):
                    continue
                finding = Finding(
                    "argocd/project-cluster-kind",
                    "error",
                    f"cluster-scoped {kind[1]} ({kind[0] or 'core'}) is not in AppProject "
                    f"{project['metadata'].get('name')!r}'s clusterResourceWhitelist: Argo CD "
                    "refuses to sync it",
                    "add the kind to the project's clusterResourceWhitelist (labgen derives "
                    "it from labgen/data/charts.json: regenerate it)",
                )
                _add(_resource_of(root, directory, obj, resources), obj, [finding])


def _whitelisted(kind: tuple[str, str], allowed: set[tuple[str, str]]) -> bool:
    group, name = kind
    return any(g in ("*", group) and k in ("*", name) for g, k in allowed)


def _check_gateway_classes(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
    labs: _Labs,
) -> None:
    """Every Gateway a lab ends up with (chart-rendered ones included) uses the lab's
    ``gateway.className``: a Gateway of another class is never programmed by the lab's
    Gateway implementation."""
    for origin, app in apps:
        wanted = labs.of(root / origin).gateway_class
        if wanted is None:
            continue
        for directory in _built_sources(root, app, built):
            for obj in built[directory]:
                if (api_group(obj), obj.get("kind")) != ("gateway.networking.k8s.io", "Gateway"):
                    continue
                actual = (obj.get("spec") or {}).get("gatewayClassName")
                if actual == wanted:
                    continue
                finding = Finding(
                    "gateway/class",
                    "error",
                    f"Gateway uses GatewayClass {actual!r}, the lab's gateway.className is "
                    f"{wanted!r}: the lab's Gateway implementation never programs it",
                    "render the Gateway with the lab's class (for a chart: turn its Gateway "
                    "off with a value and render labgen's own)",
                )
                _add(_resource_of(root, directory, obj, resources), obj, [finding])


def _check_crd_owners(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
    provided: dict[tuple[str, str], set[str]],
) -> None:
    """A CRD an Application renders must not also come from another Application that
    installs its API group without the tree showing the CRDs (a git repository not
    built here, an OLM operator): both would own it and fight on every sync. CRDs both
    Applications render are the one-owner rule's (``argocd/duplicate-resource``)."""
    built_groups = {
        _app_key(app): {
            str((obj.get("spec") or {}).get("group"))
            for directory in _built_sources(root, app, built)
            for obj in built[directory]
            if obj.get("kind") == "CustomResourceDefinition"
        }
        for _, app in apps
    }
    for _, app in apps:
        for directory in _built_sources(root, app, built):
            for obj in built[directory]:
                if obj.get("kind") != "CustomResourceDefinition":
                    continue
                group = str((obj.get("spec") or {}).get("group"))
                others = sorted(
                    str(other["metadata"].get("name"))
                    for _, other in apps
                    if other is not app
                    and _cluster(other) == _cluster(app)
                    and group in provided[_app_key(other)] - built_groups[_app_key(other)]
                )
                findings = [
                    Finding(
                        "argocd/duplicate-resource",
                        "error",
                        f"API group {group} is also installed by Application {other!r}",
                        "keep each CRD in exactly one Application (turn the chart's own "
                        "CRDs off with its values, or drop the other source)",
                    )
                    for other in others
                ]
                _add(_resource_of(root, directory, obj, resources), obj, findings)


def _check_network(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
    labs: _Labs,
) -> None:
    """``network/unreachable`` over the objects of each lab's Applications together."""
    by_lab: dict[str | None, list[tuple[Path, dict[str, Any]]]] = {}
    for origin, app in apps:
        objects = by_lab.setdefault(labs.of(root / origin).name, [])
        for directory in _built_sources(root, app, built):
            objects += [(directory, obj) for obj in built[directory]]
    for objects in by_lab.values():
        where = {id(obj): directory for directory, obj in objects}
        for obj, finding in network_rules([obj for _, obj in objects]):
            _add(_resource_of(root, where[id(obj)], obj, resources), obj, [finding])


_SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def _check_namespaces(
    root: Path,
    apps: list[tuple[str, dict[str, Any]]],
    built: dict[Path, list[dict[str, Any]]],
    resources: dict[Key, Resource],
) -> None:
    """Every namespace an Application deploys into exists when it syncs: declared as a
    Namespace object or created (CreateNamespace=true) by the same Application or by one of
    an earlier sync wave on the cluster, or one the platform has (``kube-*``, ``default``,
    ``openshift-*``, Argo CD's own). Applications of one wave sync side by side, so a
    namespace another Application of the same or a later wave creates may not exist yet: the
    sync fails, and the App-of-Apps waits on it forever."""
    created: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
    owns = [_own_namespaces(root, app, built) for _, app in apps]
    for (_, app), own in zip(apps, owns, strict=True):
        names = created.setdefault(_cluster(app), {})
        creator = (_wave(app), str(app["metadata"].get("name")))
        for ns in own:  # the earliest (wave, name) creating each namespace
            if ns not in names or creator < names[ns]:
                names[ns] = creator
    for (_, app), own in zip(apps, owns, strict=True):
        names = created[_cluster(app)]
        for directory in _built_sources(root, app, built):
            for obj in built[directory]:
                namespace = (obj.get("metadata") or {}).get("namespace")
                if (
                    not namespace
                    or namespace in own
                    or namespace in _SYSTEM_NAMESPACES
                    or namespace == app["metadata"].get("namespace")
                    or namespace.startswith("openshift-")
                ):
                    continue
                finding = _namespace_finding(namespace, _wave(app), names.get(namespace))
                if finding is not None:
                    _add(_resource_of(root, directory, obj, resources), obj, [finding])


def _own_namespaces(
    root: Path, app: dict[str, Any], built: dict[Path, list[dict[str, Any]]]
) -> set[str]:
    """Namespaces the Application itself creates (in its own sync, before its objects)."""
    spec = app.get("spec") or {}
    own = set()
    if "CreateNamespace=true" in ((spec.get("syncPolicy") or {}).get("syncOptions") or []):
        own.add(str((spec.get("destination") or {}).get("namespace")))
    for directory in _built_sources(root, app, built):
        own.update(
            str((obj.get("metadata") or {}).get("name"))
            for obj in built[directory]
            if (obj.get("apiVersion"), obj.get("kind")) == ("v1", "Namespace")
        )
    return own


def _namespace_finding(
    namespace: str, wave: int, creator: tuple[int, str] | None
) -> Finding | None:
    if creator is None:
        return Finding(
            "hygiene/namespace",
            "error",
            f"namespace {namespace!r} is neither declared in the tree nor created by "
            "an Application",
            "add a Namespace object, or CreateNamespace=true on the Application "
            "whose destination it is",
        )
    if creator[0] < wave:
        return None
    return Finding(
        "hygiene/namespace",
        "error",
        f"namespace {namespace!r} is created by Application {creator[1]} in sync wave "
        f"{creator[0]}, not before this Application's wave {wave}: its sync fails until then",
        "render the object with the Application that creates the namespace, or create the "
        "namespace in an earlier wave",
    )


def _claim_objects(
    root: Path,
    app: dict[str, Any],
    built: dict[Path, list[dict[str, Any]]],
    owners: dict[tuple[str, ...], str],
    resources: dict[tuple[str, str, Any, Any], Resource],
) -> None:
    """(group, kind, namespace, name) must belong to one Application: two that deploy the
    same object fight over it on every sync. Objects are compared per cluster: the Argo CD
    instance (its namespace) and the Application's destination."""
    app_name = str(app["metadata"].get("name"))
    destination = (app.get("spec") or {}).get("destination") or {}
    default_namespace = str(destination.get("namespace", ""))
    cluster = (
        str(app["metadata"].get("namespace")),
        str(destination.get("server") or destination.get("name")),
    )
    for directory in _built_sources(root, app, built):  # kustomize builds and charts
        origin = _display(root, directory)
        for obj in built[directory]:
            meta = obj.get("metadata") or {}
            group = str(obj.get("apiVersion", "")).rpartition("/")[0]
            namespace = str(meta.get("namespace") or default_namespace)
            key = (*cluster, group, str(obj.get("kind")), namespace, str(meta.get("name")))
            owner = owners.setdefault(key, app_name)
            resource = resources.get(
                (origin, str(obj.get("kind")), meta.get("namespace"), meta.get("name"))
            )
            if owner != app_name and resource is not None:
                resource.findings.append(
                    Finding(
                        "argocd/duplicate-resource",
                        "error",
                        f"deployed by both Application {owner!r} and {app_name!r}",
                        "keep each object in exactly one Application; two labs on one "
                        "cluster clash: give each its own `spec.gitops.destination`",
                    )
                )


def _source(
    root: Path,
    source: dict[str, Any],
    own_repos: set[Any],
    report: Report,
    referenced: set[Path],
) -> list[Finding]:
    repo = source.get("repoURL", "")
    if source.get("chart") or repo.startswith("oci://"):
        label = f"{repo} {source.get('chart', '')} {source.get('targetRevision', '')}"
        report.not_rendered.append(" ".join(label.split()))
        return []
    path = source.get("path")
    if path is None:
        return []
    local = (root / path).resolve()
    if not local.is_dir():
        ours = repo in own_repos or (root / Path(path).parts[0]).is_dir()
        if not ours:
            report.not_rendered.append(f"{repo} {path}@{source.get('targetRevision', '')}")
            return []
        return [
            Finding(
                "argocd/source-path",
                "error",
                f"source path {path!r} does not exist in the repository",
                "render the lab (`labgen render`) or fix the path",
            )
        ]
    referenced.add(local)
    return []


def _kustomization_dirs(root: Path, paths: Iterable[Path]) -> list[Path]:
    found: set[Path] = set()
    for path in paths:
        if path == STDIN:
            continue
        absolute = (root / path).resolve() if not path.is_absolute() else path
        if (absolute / "kustomization.yaml").is_file():
            found.add(absolute)
        found.update(p.parent.resolve() for p in absolute.rglob("kustomization.yaml"))
    return sorted(found)


Identity = tuple[str, str, str, str]


def _identity(obj: dict[str, Any]) -> Identity:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    return (
        str(obj.get("apiVersion")),
        str(obj.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name")),
    )


class _Located:
    """Where the objects of one build are written: (file, line of its document) by
    identity, the first file of the kustomization closure that declares it winning (a
    resource before a patch of it)."""

    def __init__(self, index: dict[Identity, tuple[str, int]]) -> None:
        self.index = index
        self.by_name = {(i[0], i[1], i[3]): where for i, where in reversed(index.items())}

    def find(self, obj: dict[str, Any]) -> tuple[str | None, int | None]:
        identity = _identity(obj)
        # kustomize may have set the namespace the file leaves out
        where = self.index.get(identity) or self.by_name.get(
            (identity[0], identity[1], identity[3])
        )
        return where if where else (None, None)


class _Sources:
    """Which committed files a kustomization build reads: its kustomization closure
    (resources, components and bases, recursively; then patches), each file parsed once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, list[tuple[Identity, tuple[str, int]]]] = {}

    def of(self, directory: Path) -> _Located:
        index: dict[Identity, tuple[str, int]] = {}
        for file in self._closure(directory, set()):
            for identity, where in self._documents(file):
                index.setdefault(identity, where)
        return _Located(index)

    def _closure(self, directory: Path, seen: set[Path]) -> list[Path]:
        if directory in seen:
            return []
        seen.add(directory)
        kustomization = next(
            (directory / n for n in _KUSTOMIZATION_NAMES if (directory / n).is_file()), None
        )
        if kustomization is None:
            return []
        try:
            docs = list(load_all_safe(kustomization.read_text(), str(kustomization)))
        except YamlSyntaxError:
            return []  # the build reports it
        spec = docs[0] if docs and isinstance(docs[0], dict) else {}
        files: list[Path] = []
        for entry in [*_strings(spec, "resources"), *_strings(spec, "bases")]:
            files += self._entry(directory, entry, seen)
        for entry in _strings(spec, "components"):
            files += self._entry(directory, entry, seen)
        patches: list[Any] = _strings(spec, "patchesStrategicMerge")
        for key in ("patches", "patchesJson6902"):
            patches += [p.get("path") for p in spec.get(key) or [] if isinstance(p, dict)]
        for entry in patches:
            if isinstance(entry, str) and (directory / entry).is_file():
                files.append((directory / entry).resolve())
        return files

    def _entry(self, directory: Path, entry: str, seen: set[Path]) -> list[Path]:
        if "://" in entry or entry.startswith(("github.com/", "git@")):
            return []  # remote: not in this repository
        path = (directory / entry).resolve()
        if path.is_dir():
            return self._closure(path, seen)
        return [path] if path.is_file() else []

    def _documents(self, file: Path) -> list[tuple[Identity, tuple[str, int]]]:
        if file not in self._files:
            display = _display(self.root, file)
            try:
                located = documents_with_lines(file.read_text(), display)
            except (YamlSyntaxError, OSError, UnicodeDecodeError):
                located = []  # the build reports it
            self._files[file] = [(_identity(doc), (display, line)) for doc, line in located]
        return self._files[file]


_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _strings(spec: dict[str, Any], key: str) -> list[str]:
    return [entry for entry in spec.get(key) or [] if isinstance(entry, str)]


def _plain_files(root: Path, paths: Iterable[Path]) -> list[Path]:
    """YAML files given directly, or under directories with no kustomization at all (plain
    manifest trees, kubeconform-style), and STDIN where it is given."""
    files: list[Path] = []
    for path in paths:
        absolute = (root / path).resolve() if not path.is_absolute() else path
        if path == STDIN:
            files.append(STDIN)
        elif absolute.is_file():
            files.append(absolute)
        elif absolute.is_dir() and not any(absolute.rglob("kustomization.yaml")):
            files += sorted(p for p in absolute.rglob("*") if p.suffix in (".yaml", ".yml"))
    return files


def _display(root: Path, path: Path) -> str:
    if path == STDIN:
        return STDIN_ORIGIN
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
