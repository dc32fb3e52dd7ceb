"""Gateway API: the upstream standard-channel CRDs from git; where the platform ships its
own implementation, which owns those CRDs (OpenShift 4.19+: the Ingress Operator), the
GatewayClass of its controller instead."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    KustomizeSource,
    obj,
)
from labgen.components.operators import crds_from_git
from labgen.data.platforms import PLATFORMS, Platform
from labgen.plan.model import LabPlan

KEY = "gateway-api"


def _base(platform: Platform) -> str:
    return f"operators/gateway-api/{platform.name}"


def catalog() -> Iterator[CatalogBase]:
    for platform in PLATFORMS.values():
        if platform.gateway is None:
            continue
        gateway_class = obj(
            "gateway.networking.k8s.io/v1",
            "GatewayClass",
            platform.gateway.class_name,
            spec={"controllerName": platform.gateway.controller},
        )
        yield CatalogBase(
            _base(platform),
            f"GatewayClass of {platform.title}'s Gateway API controller",
            (gateway_class,),
        )


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    if plan.platform.gateway is not None:
        yield App(KEY, WAVE_INSTANCES, "", KustomizeSource(bases=(_base(plan.platform),)))
        return
    yield crds_from_git(
        plan,
        KEY,
        cluster_kinds=(
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ),
    )


COMPONENT = Component(KEY, catalog, apps)
