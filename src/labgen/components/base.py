"""What a component contributes: lab-independent catalog bases and per-lab Applications.

A component is a small module with two functions: ``catalog()`` lists the Kustomize bases
it owns under ``catalog/`` (built from labgen's default release table, so they are the
same for every lab) and ``apps(plan)`` lists the Argo CD Applications a lab needs from it,
each with its source: a Kustomize overlay on catalog bases, a Helm chart, or a git path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from labgen.components.jsonpatch import JsonPatch
from labgen.data.types import HelmChart
from labgen.plan.model import LabPlan

K8sObject = dict[str, Any]

# Sync waves: CRDs before operators before their instances before infrastructure before
# data before workloads. Serving, apps and benchmarks take 10, 12, 20.
WAVE_CRDS = 0
WAVE_OPERATORS = 1
WAVE_INSTANCES = 2
WAVE_INFRASTRUCTURE = 3
WAVE_DATA = 5
"""Databases: after their operator (CloudNativePG, wave 1), ready before anything serves."""
WAVE_SERVING = 10
WAVE_APPS = 12
"""Applications over the models (Open WebUI): once serving is healthy, before benchmarks."""

SKIP_DRY_RUN = "SkipDryRunOnMissingResource=true"
SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"


@dataclass(frozen=True)
class CatalogBase:
    """A Kustomize directory under ``catalog/``: a base usable on its own with ``kubectl
    kustomize``, or (``component``) a Kustomize Component that bases include."""

    path: str
    description: str
    objects: tuple[K8sObject, ...]
    """What ``kubectl kustomize catalog/<path>`` builds (lab overlays patch these)."""
    files: tuple[K8sObject, ...] | None = None
    """The objects written into the directory, when they are not ``objects`` (a layered
    base writes its own few, and its images untagged for ``images`` to pin)."""
    resources: tuple[str, ...] = ()
    """Other catalog directories the kustomization builds on."""
    components: tuple[str, ...] = ()
    """Catalog Components the kustomization includes, in order."""
    json_patches: tuple[JsonPatch, ...] = ()
    """RFC 6902 patches; a Component's target its objects by kind alone."""
    images: tuple[tuple[str, str], ...] = ()
    """(image name, tag) pairs the kustomization pins with ``images: newTag``."""
    component: bool = False
    """A ``kind: Component`` (builds nothing alone; only for ``components:``)."""
    name_suffix: tuple[str, tuple[str, ...]] | None = None
    """(suffix, label selectors): the Jobs matching a selector get ``-<suffix>`` appended to
    their name (a local-config ConfigMap and ``replacements``; the file keeps its name)."""


@dataclass(frozen=True)
class KustomizeSource:
    """An overlay ``overlays/<lab>/<app>/``: catalog bases plus what is specific to the lab."""

    bases: tuple[str, ...] = ()
    objects: tuple[K8sObject, ...] = ()
    patches: tuple[K8sObject, ...] = ()
    """Strategic-merge patches (partial objects) applied to the bases."""
    json_patches: tuple[JsonPatch, ...] = ()
    """RFC 6902 patches of base objects (which may rename them)."""
    components: tuple[str, ...] = ()
    """Catalog Components included (e.g. the one pinning the serving images)."""
    untagged: tuple[tuple[str, str], ...] = ()
    """(image name, tag) pairs those Components pin: ``objects`` are written with these
    images untagged, so a version bump does not touch the lab's files."""


@dataclass(frozen=True)
class HelmSource:
    chart: HelmChart
    release_name: str
    values: K8sObject


@dataclass(frozen=True)
class GitSource:
    repo_url: str
    path: str
    revision: str


Source = KustomizeSource | HelmSource | GitSource


@dataclass(frozen=True)
class App:
    """One child Application of the lab's App-of-Apps."""

    component: str
    """Suffix of the Application name (``<lab>-<component>``) and overlay directory name."""
    wave: int
    namespace: str
    source: Source
    create_namespace: bool = False
    ignore_differences: tuple[K8sObject, ...] = ()
    cascade_delete: bool = False
    """Deleting the Application deletes its resources (resources finalizer). Off for
    operators and CRDs, whose deletion would take every custom resource with them."""
    chart_cluster_kinds: tuple[tuple[str, str], ...] = ()
    """Cluster-scoped (group, kind) a git source creates, for the AppProject (a Helm
    chart's come from the measured chart inventory, ``labgen.data.charts``)."""
    extra_namespaces: tuple[str, ...] = ()
    """Other namespaces the source writes to, for the AppProject's destinations."""
    extra_source: KustomizeSource | None = None
    extra_charts: tuple[HelmSource, ...] = ()
    """Further Helm charts of the same Application (sources after the first): charts that
    each ship one same object must share an Application, or two would own it."""
    """Lab objects deployed beside a Helm chart (a second source of the Application)."""


@dataclass(frozen=True)
class Component:
    name: str
    catalog: Callable[[], Iterable[CatalogBase]] = field(default=lambda: ())
    apps: Callable[[LabPlan], Iterable[App]] = field(default=lambda plan: ())
    docs: Callable[[], Iterable[tuple[str, str]]] = field(default=lambda: ())
    """Generated documents (path, text) beside the catalog, e.g. catalog/serving/README.md."""


def obj(
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **body: Any,
) -> K8sObject:
    """A Kubernetes object with metadata in a fixed shape (no empty maps, no nulls)."""
    metadata: K8sObject = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def skip_dry_run() -> dict[str, str]:
    """Annotation for a custom resource whose CRD an operator installs during the sync."""
    return {SYNC_OPTIONS_ANNOTATION: SKIP_DRY_RUN}


def webhook_ca_bundle_ignores() -> tuple[K8sObject, ...]:
    """ignoreDifferences for webhook CA bundles that cert controllers inject."""
    return tuple(
        {
            "group": "admissionregistration.k8s.io",
            "kind": kind,
            "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"],
        }
        for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    )


def untagged(objects: Iterable[K8sObject], images: Iterable[tuple[str, str]]) -> list[K8sObject]:
    """``objects`` with every container image ``name:tag`` of ``images`` written as plain
    ``name``, for an ``images:`` entry (``newTag``) to pin in one place."""
    pinned = {f"{name}:{tag}": name for name, tag in images}
    if not pinned:
        return list(objects)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: pinned.get(v, v) if k == "image" and isinstance(v, str) else walk(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return [walk(o) for o in objects]
