"""KEDA from the upstream chart (on OpenShift too: the operator's KedaController CRD is
not among the upstream schemas labgen validates against)."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, Component, webhook_ca_bundle_ignores
from labgen.components.operators import helm_operator_app
from labgen.plan.model import LabPlan

KEY = "keda"
NAMESPACE = "keda"


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    yield helm_operator_app(
        plan,
        KEY,
        NAMESPACE,
        "keda",
        ignore_differences=(
            *webhook_ca_bundle_ignores(),
            {
                "group": "apiregistration.k8s.io",
                "kind": "APIService",
                "jsonPointers": ["/spec/caBundle"],
            },
        ),
    )


COMPONENT = Component(KEY, apps=apps)
