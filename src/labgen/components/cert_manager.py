"""cert-manager: the Red Hat operator on OpenShift, the Jetstack chart elsewhere; plus a
self-signed ClusterIssuer labs use for webhook and gateway certificates."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    WAVE_OPERATORS,
    App,
    CatalogBase,
    Component,
    HelmSource,
    K8sObject,
    KustomizeSource,
    obj,
    skip_dry_run,
    webhook_ca_bundle_ignores,
)
from labgen.components.olm import olm_app, olm_objects
from labgen.data.releases import RELEASES
from labgen.plan.model import LabPlan

KEY = "cert-manager"
OLM_BASE = "operators/cert-manager/olm"
ISSUER_BASE = "operators/cert-manager/issuers"
HELM_NAMESPACE = "cert-manager"
SELF_SIGNED_ISSUER = "labgen-selfsigned"


def catalog() -> Iterator[CatalogBase]:
    package = RELEASES[KEY].olm
    assert package is not None
    yield CatalogBase(
        OLM_BASE,
        "cert-manager Operator for Red Hat OpenShift from OLM",
        tuple(olm_objects(package)),
    )
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
    release = plan.releases[KEY]
    if plan.openshift:
        assert release.olm is not None
        yield olm_app(KEY, release, OLM_BASE)
    else:
        assert release.helm is not None
        yield App(
            KEY,
            WAVE_OPERATORS,
            HELM_NAMESPACE,
            HelmSource(release.helm, "cert-manager", helm_values()),
            create_namespace=True,
            ignore_differences=webhook_ca_bundle_ignores(),
        )
    yield App(
        f"{KEY}-issuers", WAVE_INSTANCES, HELM_NAMESPACE, KustomizeSource(bases=(ISSUER_BASE,))
    )


COMPONENT = Component(KEY, catalog, apps)
