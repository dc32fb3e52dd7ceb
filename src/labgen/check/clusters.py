"""Labs that share a cluster: a cluster-wide operator has one owner.

Every operator labgen installs is cluster-wide (CRDs, ClusterRoles, webhooks, and the
singletons that come with it: the ``labgen-selfsigned`` ClusterIssuer with cert-manager,
the ``openshift-default`` GatewayClass with gatewayApi on OpenShift, OpenShift's monitoring
ConfigMap). Argo CD records which Application manages an object in the object itself (the
``argocd.argoproj.io/tracking-id`` annotation, or the ``app.kubernetes.io/instance``
label, naming one Application), so two Applications deploying the same object overwrite
each other's mark on every sync, each shows the object as not its own, and pruning in one
deletes what the other needs; identical content does not help. Two labs whose
Applications reach one cluster (the same Argo CD instance and destination) must therefore
not both install an operator, and since a lab's features need their operators
(``spec.operators``), such labs cannot share the cluster: this rule says so before Argo CD
finds out. Lab-specific objects are named per lab (the Kueue ClusterQueue and LocalQueue of
matrices), so they do not collide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labgen.check.applications import cluster_of
from labgen.check.model import Finding
from labgen.plan.resolve import OPERATORS
from labgen.render.argocd import LAB_LABEL

CLUSTER_WIDE = OPERATORS | {"prometheus-adapter"}
"""Components with cluster-wide objects: the operators, and the adapter that serves the
custom metrics API (one APIService per cluster)."""

COMPONENT_LABEL = "labgen.dev/component"


def operator_of(component: str) -> str | None:
    """The operator an Application's component belongs to (``cert-manager-issuers`` is
    cert-manager's), or None for a lab's own components."""
    for key in sorted(CLUSTER_WIDE, key=len, reverse=True):
        if component == key or component.startswith(f"{key}-"):
            return key
    return None


def shared_cluster_findings(apps: Iterable[dict[str, Any]]) -> list[Finding]:
    """One error per operator that labs sharing a cluster both install."""
    labs: dict[tuple[str, str, str], set[str]] = {}
    for app in apps:
        meta = app.get("metadata") or {}
        labels = meta.get("labels") or {}
        lab, component = labels.get(LAB_LABEL), labels.get(COMPONENT_LABEL)
        operator = operator_of(str(component)) if component else None
        if lab is None or operator is None:
            continue
        key = (*cluster_of(app), operator)
        labs.setdefault(key, set()).add(str(lab))
    findings = []
    for (argocd, cluster, operator), owners in sorted(labs.items()):
        if len(owners) < 2:
            continue
        names = ", ".join(repr(name) for name in sorted(owners))
        findings.append(
            Finding(
                "argocd/shared-cluster",
                "error",
                f"labs {names} share cluster {cluster} (Argo CD in {argocd}) and each "
                f"installs {operator}: its cluster-wide objects can have one owning "
                "Application only",
                "give the labs separate clusters (spec.gitops.destination); labs that need "
                "the same operators cannot share one",
            )
        )
    return findings
