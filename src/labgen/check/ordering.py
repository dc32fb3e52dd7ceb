"""Sync order across Applications: custom resources after their CRDs, one installer per
API group, namespaces that exist when an Application syncs."""

from __future__ import annotations

from functools import cache
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
    sync_wave,
)
from labgen.check.labs import Labs
from labgen.check.model import Finding, Resource
from labgen.check.options import CheckOptions
from labgen.check.rules import BUILTIN_GROUPS, api_group, crd_order_rule, skips_dry_run
from labgen.data.charts import inventories
from labgen.data.releases import RELEASES, platform_crd_groups
from labgen.data.types import GitRelease, OlmRelease
from labgen.desired import app_sources, chart_name


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
        if isinstance(release, OlmRelease):
            packages.setdefault(release.olm.package, set()).update(groups)
        if isinstance(release, GitRelease):
            repos.setdefault(release.git.repo_url.removesuffix(".git"), set()).update(groups)
    return charts, packages, repos


def _provided_groups(root: Path, app: dict[str, Any], built: Built) -> set[str]:
    charts, packages, repos = _crd_providers()
    groups: set[str] = set()
    for source in app_sources(app):
        repo = str(source.get("repoURL", ""))
        if chart_key(app, source) not in built:  # rendered: its own CRDs tell (below)
            groups |= charts.get(chart_name(source), set())
        groups |= repos.get(repo.removesuffix(".git"), set())
    for directory in built_sources(root, app, built):
        for obj in built[directory]:
            kind = obj.get("kind")
            spec = obj.get("spec") or {}
            if kind == "CustomResourceDefinition":
                groups.add(str(spec.get("group")))
            elif kind == "Subscription" and api_group(obj) == "operators.coreos.com":
                groups |= packages.get(str(spec.get("name")), set())
    return groups


def check_crd_order(
    root: Path,
    apps: Apps,
    built: Built,
    resources: dict[Key, Resource],
    labs: Labs,
    options: CheckOptions,
) -> None:
    """Custom resources sync after the Application installing their CRD (or skip the dry
    run): Argo CD dry-runs every object of an Application before applying any."""
    providers: dict[tuple[tuple[str, str], str], list[tuple[str, int]]] = {}
    provided: dict[tuple[str, str], set[str]] = {}
    for _, app in apps:
        provided[app_key(app)] = _provided_groups(root, app, built)
        for group in provided[app_key(app)]:
            entry = (str(app["metadata"].get("name")), sync_wave(app))
            providers.setdefault((cluster_of(app), group), []).append(entry)
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
        present = assumed | labs.of(root / origin).platform_crd_groups | provided[app_key(app)]
        for directory in built_sources(root, app, built):
            for obj in built[directory]:
                group = api_group(obj)
                if group in BUILTIN_GROUPS or group in present or skips_dry_run(obj, app):
                    continue
                findings = crd_order_rule(
                    obj, sync_wave(app), providers.get((cluster_of(app), group), [])
                )
                add_findings(resource_of(root, directory, obj, resources), obj, findings)


def _check_crd_owners(
    root: Path,
    apps: Apps,
    built: Built,
    resources: dict[Key, Resource],
    provided: dict[tuple[str, str], set[str]],
) -> None:
    """A CRD an Application renders must not also come from another Application that
    installs its API group without the tree showing the CRDs (a git repository not
    built here, an OLM operator): both would own it and fight on every sync. CRDs both
    Applications render are the one-owner rule's (``argocd/duplicate-resource``)."""
    built_groups = {
        app_key(app): {
            str((obj.get("spec") or {}).get("group"))
            for directory in built_sources(root, app, built)
            for obj in built[directory]
            if obj.get("kind") == "CustomResourceDefinition"
        }
        for _, app in apps
    }
    for _, app in apps:
        for directory in built_sources(root, app, built):
            for obj in built[directory]:
                if obj.get("kind") != "CustomResourceDefinition":
                    continue
                group = str((obj.get("spec") or {}).get("group"))
                others = sorted(
                    str(other["metadata"].get("name"))
                    for _, other in apps
                    if other is not app
                    and cluster_of(other) == cluster_of(app)
                    and group in provided[app_key(other)] - built_groups[app_key(other)]
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
                add_findings(resource_of(root, directory, obj, resources), obj, findings)


_SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def check_namespaces(
    root: Path,
    apps: Apps,
    built: Built,
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
        names = created.setdefault(cluster_of(app), {})
        creator = (sync_wave(app), str(app["metadata"].get("name")))
        for ns in own:  # the earliest (wave, name) creating each namespace
            if ns not in names or creator < names[ns]:
                names[ns] = creator
    for (_, app), own in zip(apps, owns, strict=True):
        names = created[cluster_of(app)]
        for directory in built_sources(root, app, built):
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
                finding = _namespace_finding(namespace, sync_wave(app), names.get(namespace))
                if finding is not None:
                    add_findings(resource_of(root, directory, obj, resources), obj, [finding])


def _own_namespaces(root: Path, app: dict[str, Any], built: Built) -> set[str]:
    """Namespaces the Application itself creates (in its own sync, before its objects)."""
    spec = app.get("spec") or {}
    own = set()
    if "CreateNamespace=true" in ((spec.get("syncPolicy") or {}).get("syncOptions") or []):
        own.add(str((spec.get("destination") or {}).get("namespace")))
    for directory in built_sources(root, app, built):
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
