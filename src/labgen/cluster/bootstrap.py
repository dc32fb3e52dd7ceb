"""`labgen bootstrap`: find Argo CD in the cluster, then server-side apply the lab's
bootstrap bundle (`apps/<lab>/bootstrap` with its AppProject) as field manager `labgen`.

Applying is idempotent: an object whose fields already hold labgen's values is left as it
is by the server (same resourceVersion) and reported unchanged. Objects are applied in an
order that lets Argo CD act on the root Application as soon as it appears: the AppProject
it belongs to and the Application health check first, the root Application last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from labgen.cluster.client import Cluster, ClusterError, describe
from labgen.components.base import K8sObject
from labgen.plan.model import LabPlan
from labgen.render import argocd_objects
from labgen.render.argocd import uses_openshift_gitops

# The CRDs every labgen tree needs; OpenShift GitOps labs also patch the ArgoCD resource.
ARGOCD_CRDS = ("applications.argoproj.io", "appprojects.argoproj.io")
OPERATOR_CRD = "argocds.argoproj.io"
PART_OF = "app.kubernetes.io/part-of=argocd"  # upstream manifests, Helm chart, operator alike
VERSION_LABEL = "app.kubernetes.io/version"
COMPONENT_LABEL = "app.kubernetes.io/component"
# OCI Helm chart sources, which labgen renders for OCI charts, arrived in Argo CD 3.1.
MIN_VERSION = (3, 1)

Action = Literal["created", "configured", "unchanged"]


@dataclass(frozen=True)
class ArgoInstall:
    """What runs in the lab's Argo CD namespace, and how its version was found."""

    namespace: str
    flavor: str
    deployment: str
    version: str | None
    version_source: str
    kubernetes_version: str

    @property
    def too_old(self) -> bool:
        match = re.match(r"v?(\d+)\.(\d+)", self.version or "")
        if match is None:
            return False
        return (int(match[1]), int(match[2])) < MIN_VERSION


@dataclass(frozen=True)
class Applied:
    object: str
    action: Action


@dataclass(frozen=True)
class BootstrapResult:
    install: ArgoInstall
    applied: tuple[Applied, ...]
    dry_run: bool
    warnings: tuple[str, ...]


def bundle(plan: LabPlan) -> list[K8sObject]:
    """The objects `apps/<lab>/bootstrap` builds to, in apply order."""
    objects = argocd_objects(plan)
    rest = [o for o in objects.bootstrap if o["kind"] != "Application"]
    roots = [o for o in objects.bootstrap if o["kind"] == "Application"]
    return [objects.project, *rest, *roots]


def detect_argocd(cluster: Cluster, plan: LabPlan) -> ArgoInstall:
    """Argo CD's CRDs and a Deployment of it in the lab's namespace, or a ClusterError."""
    kubernetes_version = cluster.server_version()
    namespace = plan.gitops.argocd_namespace
    missing = [name for name in ARGOCD_CRDS if cluster.crd(name) is None]
    if missing:
        raise ClusterError(
            f"Argo CD is not installed in context {cluster.context!r} ({cluster.server}): no "
            f"CustomResourceDefinition {', '.join(missing)}. Install Argo CD "
            f"v{MIN_VERSION[0]}.{MIN_VERSION[1]} or newer (or the OpenShift GitOps operator), "
            "then rerun"
        )
    if uses_openshift_gitops(plan) and cluster.crd(OPERATOR_CRD) is None:
        raise ClusterError(
            f"lab {plan.name} is driven by OpenShift GitOps (namespace {namespace}), but the "
            f"cluster has no CustomResourceDefinition {OPERATOR_CRD}: install the OpenShift "
            "GitOps operator"
        )
    deployments = cluster.deployments(namespace, PART_OF)
    chosen = _pick(deployments)
    if chosen is None:
        raise ClusterError(
            f"Argo CD's CRDs are installed, but namespace {namespace!r} has no Argo CD "
            f"Deployment (label {PART_OF}); spec.gitops.argocdNamespace must name the "
            "namespace Argo CD runs in"
        )
    owners = {o.get("kind") for o in chosen["metadata"].get("ownerReferences", [])}
    operator = "ArgoCD" in owners
    version, source = _version(chosen, operator)
    flavor = "OpenShift GitOps (argocd-operator)" if operator else "Argo CD"
    return ArgoInstall(
        namespace, flavor, chosen["metadata"]["name"], version, source, kubernetes_version
    )


def _pick(deployments: list[K8sObject]) -> K8sObject | None:
    """The API server's Deployment; a core install (no API server) has the repo server."""
    for component in ("server", "repo-server"):
        for deployment in sorted(deployments, key=lambda d: str(d["metadata"]["name"])):
            if deployment["metadata"].get("labels", {}).get(COMPONENT_LABEL) == component:
                return deployment
    return None


def _version(deployment: K8sObject, operator: bool) -> tuple[str | None, str]:
    """The Argo CD version from the version label, else from the image tag (not for the
    operator's images: OpenShift GitOps tags them with its own product version)."""
    name = deployment["metadata"]["name"]
    label = deployment["metadata"].get("labels", {}).get(VERSION_LABEL)
    if label:
        return str(label), f"label {VERSION_LABEL} of Deployment {name}"
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get("containers")
    images = [str(c.get("image", "")) for c in containers or []]
    image = next((i for i in images if "argocd" in i), images[0] if images else "")
    reference = image.split("@", 1)[0]
    last = reference.rsplit("/", 1)[-1]
    if operator:
        return None, (
            f"unknown: the image of Deployment {name} ({image or 'none'}) is tagged with the "
            "OpenShift GitOps release, not the Argo CD version it ships; see the OpenShift "
            "GitOps release notes (labgen needs Argo CD "
            f"v{MIN_VERSION[0]}.{MIN_VERSION[1]} or newer)"
        )
    if ":" in last:
        return last.rsplit(":", 1)[1], f"image tag of Deployment {name} ({image})"
    why = "pinned by digest" if "@" in image else "without a tag"
    return None, f"unknown: the image of Deployment {name} is {why} ({image or 'none'})"


def bootstrap(
    cluster: Cluster, plan: LabPlan, *, dry_run: bool = False, force: bool = False
) -> BootstrapResult:
    """Check Argo CD, then apply the bundle (with the server's dry run when asked)."""
    install = detect_argocd(cluster, plan)
    warnings = []
    if install.version is None:
        warnings.append(f"could not tell the Argo CD version: {install.version_source}")
    elif install.too_old:
        warnings.append(
            f"Argo CD {install.version} is older than v{MIN_VERSION[0]}.{MIN_VERSION[1]}, "
            "which labgen's trees need (OCI Helm chart sources)"
        )
    applied = []
    for item in bundle(plan):
        before = cluster.read(item)
        after = cluster.apply(item, dry_run=dry_run, force=force)
        applied.append(Applied(describe(item), _action(before, after, dry_run)))
    return BootstrapResult(install, tuple(applied), dry_run, tuple(warnings))


def _action(before: K8sObject | None, after: K8sObject, dry_run: bool) -> Action:
    if before is None:
        return "created"
    if not dry_run:
        same = _resource_version(before) == _resource_version(after)
        return "unchanged" if same else "configured"
    # A dry run persists nothing, so the resourceVersion says nothing: compare contents.
    return "unchanged" if _content(before) == _content(after) else "configured"


def _resource_version(item: K8sObject) -> str | None:
    version = item.get("metadata", {}).get("resourceVersion")
    return None if version is None else str(version)


def _content(item: K8sObject) -> K8sObject:
    """The object without the metadata the server maintains."""
    server_side = {"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"}
    meta = {k: v for k, v in item.get("metadata", {}).items() if k not in server_side}
    return {**item, "metadata": meta}
