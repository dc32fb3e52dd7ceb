"""Gateway API: the upstream standard-channel CRDs from git on Kubernetes; on OpenShift
(4.19+, where the Ingress Operator owns those CRDs) the GatewayClass of its controller."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_CRDS,
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    GitSource,
    KustomizeSource,
    obj,
)
from labgen.plan.model import LabPlan

KEY = "gateway-api"
OPENSHIFT_BASE = "operators/gateway-api/openshift"
OPENSHIFT_GATEWAY_CLASS = "openshift-default"
OPENSHIFT_CONTROLLER = "openshift.io/gateway-controller/v1"
OPENSHIFT_MIN_KUBERNETES = (1, 32)  # OpenShift 4.19


def catalog() -> Iterator[CatalogBase]:
    gateway_class = obj(
        "gateway.networking.k8s.io/v1",
        "GatewayClass",
        OPENSHIFT_GATEWAY_CLASS,
        spec={"controllerName": OPENSHIFT_CONTROLLER},
    )
    yield CatalogBase(
        OPENSHIFT_BASE, "GatewayClass of OpenShift's Gateway API controller", (gateway_class,)
    )


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    if plan.openshift:
        yield App(KEY, WAVE_INSTANCES, "", KustomizeSource(bases=(OPENSHIFT_BASE,)))
        return
    release = plan.releases[KEY]
    assert release.git is not None
    repo, path, ref = release.git
    yield App(
        KEY,
        WAVE_CRDS,
        "",
        GitSource(repo, path, ref),
        chart_cluster_kinds=(
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ),
    )


COMPONENT = Component(KEY, catalog, apps)
