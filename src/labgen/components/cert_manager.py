"""cert-manager: the Red Hat operator on OpenShift, the Jetstack chart elsewhere; plus a
self-signed ClusterIssuer labs use for webhook and gateway certificates."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    K8sObject,
    KustomizeSource,
    obj,
    skip_dry_run,
)
from labgen.components.operators import Operator
from labgen.plan.model import LabPlan

HELM_NAMESPACE = "cert-manager"
OPERATOR = Operator(
    "cert-manager",
    olm_base="operators/cert-manager/olm",
    olm_description="cert-manager Operator for Red Hat OpenShift from OLM",
    helm_namespace=HELM_NAMESPACE,
    release_name="cert-manager",
)
KEY = OPERATOR.key
ISSUER_BASE = "operators/cert-manager/issuers"
SELF_SIGNED_ISSUER = "labgen-selfsigned"


def catalog() -> Iterator[CatalogBase]:
    yield OPERATOR.catalog_base()
    issuer = obj(
        "cert-manager.io/v1",
        "ClusterIssuer",
        SELF_SIGNED_ISSUER,
        annotations=skip_dry_run(),
        spec={"selfSigned": {}},
    )
    yield CatalogBase(ISSUER_BASE, "A self-signed ClusterIssuer", (issuer,))


# The chart sets no requests; these are the ones its values.yaml suggests for every pod.
_REQUESTS = {"requests": {"cpu": "10m", "memory": "32Mi"}}


def helm_values() -> K8sObject:
    return {
        "crds": {"enabled": True},
        "resources": _REQUESTS,
        **{pod: {"resources": _REQUESTS} for pod in ("webhook", "cainjector", "startupapicheck")},
    }


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    yield OPERATOR.app(plan, helm_values())
    yield App(
        f"{KEY}-issuers", WAVE_INSTANCES, HELM_NAMESPACE, KustomizeSource(bases=(ISSUER_BASE,))
    )


COMPONENT = Component(KEY, catalog, apps)
