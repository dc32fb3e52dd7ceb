"""Argo CD rules across the tree: projects, Application names, sources, the app-of-apps
graph, one owner per object, AppProject cluster kinds, Gateway classes, orphans."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labgen.check.applications import (
    Apps,
    Built,
    Key,
    add_findings,
    app_key,
    built_sources,
    chart_key,
    cluster_of,
    resource_of,
)
from labgen.check.discover import display
from labgen.check.labs import Labs
from labgen.check.model import Finding, Report, Resource
from labgen.check.network import check_network
from labgen.check.options import CheckOptions
from labgen.check.ordering import check_crd_order, check_namespaces
from labgen.check.rules import (
    BUILTIN_CLUSTER_KINDS,
    api_group,
    application_rules,
    cycles,
    skipped_rules,
)
from labgen.data.charts import inventories
from labgen.desired import APPLICATION, app_sources

APP_PROJECT = ("argoproj.io/v1alpha1", "AppProject")


def check_applications(
    root: Path,
    built: Built,
    report: Report,
    labs: Labs,
    options: CheckOptions,
) -> None:
    """Argo CD rules across the tree: projects, names, sources, reachability."""
    apps: Apps = []
    projects: dict[str, dict[str, Any]] = {}
    for directory, objects in built.items():
        for obj in objects:
            key = (obj.get("apiVersion"), obj.get("kind"))
            if key == APPLICATION:
                apps.append((display(root, directory), obj))
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
            if chart_key(app, source) in built:
                continue  # rendered from the chart cache
            findings += _source(root, source, own_repos, report, referenced)
        resource.findings += findings
        _claim_objects(root, app, built, owners, resources)
    unique = [(origin, app) for origin, app in apps if seen.get(app_key(app)) is app]
    _check_app_graph(root, unique, built, resources)
    check_crd_order(root, unique, built, resources, labs, options)
    _check_project_cluster_kinds(root, unique, built, resources, projects)
    _check_gateway_classes(root, unique, built, resources, labs)
    check_namespaces(root, unique, built, resources)
    check_network(root, unique, built, resources, labs)
    report.problems += _orphans(root, built, referenced)


def _orphans(root: Path, built: Iterable[Path], referenced: set[Path]) -> list[Finding]:
    """Overlays no Application points at: rendered, and never deployed."""
    return [
        Finding(
            "argocd/orphan",
            "warning",
            f"{display(root, directory)} is not the source of any Application",
            "point an Application at it or delete it",
        )
        for directory in built
        if not directory.is_file()
        and directory.is_relative_to(root.resolve())
        and directory.relative_to(root.resolve()).parts[:1] == ("overlays",)
        and directory not in referenced
    ]


def _check_app_graph(
    root: Path,
    apps: Apps,
    built: Built,
    resources: dict[Key, Resource],
) -> None:
    """App-of-apps: an Application whose source contains (transitively) itself would
    recreate itself forever; Argo CD does not detect it."""
    edges: dict[str, set[str]] = {}
    by_name: dict[str, tuple[str, dict[str, Any]]] = {}
    for origin, app in apps:
        name = "/".join(app_key(app))
        by_name[name] = (origin, app)
        edges[name] = {
            "/".join(app_key(child))
            for directory in built_sources(root, app, built)
            for child in built[directory]
            if (child.get("apiVersion"), child.get("kind")) == APPLICATION
        }
    for cycle in cycles(edges):
        origin, app = by_name[cycle[0]]
        meta = app["metadata"]
        loop = " -> ".join(n.split("/", 1)[1] for n in [*cycle, cycle[0]])
        add_findings(
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


def _claim_objects(
    root: Path,
    app: dict[str, Any],
    built: Built,
    owners: dict[tuple[str, ...], str],
    resources: dict[tuple[str, str, Any, Any], Resource],
) -> None:
    """(group, kind, namespace, name) must belong to one Application: two that deploy the
    same object fight over it on every sync. Objects are compared per cluster: the Argo CD
    instance (its namespace) and the Application's destination."""
    app_name = str(app["metadata"].get("name"))
    destination = (app.get("spec") or {}).get("destination") or {}
    default_namespace = str(destination.get("namespace", ""))
    cluster = cluster_of(app)
    for directory in built_sources(root, app, built):  # kustomize builds and charts
        origin = display(root, directory)
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


def _check_project_cluster_kinds(
    root: Path,
    apps: Apps,
    built: Built,
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
        for directory in built_sources(root, app, built):
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
                add_findings(resource_of(root, directory, obj, resources), obj, [finding])


def _whitelisted(kind: tuple[str, str], allowed: set[tuple[str, str]]) -> bool:
    group, name = kind
    return any(g in ("*", group) and k in ("*", name) for g, k in allowed)


def _check_gateway_classes(
    root: Path,
    apps: Apps,
    built: Built,
    resources: dict[Key, Resource],
    labs: Labs,
) -> None:
    """Every Gateway a lab ends up with (chart-rendered ones included) uses the lab's
    ``gateway.className``: a Gateway of another class is never programmed by the lab's
    Gateway implementation."""
    for origin, app in apps:
        wanted = labs.of(root / origin).gateway_class
        if wanted is None:
            continue
        for directory in built_sources(root, app, built):
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
                add_findings(resource_of(root, directory, obj, resources), obj, [finding])
