"""KEDA from the upstream chart (on OpenShift too: the operator's KedaController CRD is
not among the upstream schemas labgen validates against)."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    HELM_OPERATOR_CLUSTER_KINDS,
    WAVE_OPERATORS,
    App,
    Component,
    HelmSource,
    webhook_ca_bundle_ignores,
)
from labgen.plan.model import LabPlan

KEY = "keda"
NAMESPACE = "keda"


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = plan.releases[KEY]
    assert release.helm is not None
    yield App(
        KEY,
        WAVE_OPERATORS,
        NAMESPACE,
        HelmSource(release.helm, "keda", {}),
        create_namespace=True,
        ignore_differences=(
            *webhook_ca_bundle_ignores(),
            {
                "group": "apiregistration.k8s.io",
                "kind": "APIService",
                "jsonPointers": ["/spec/caBundle"],
            },
        ),
        chart_cluster_kinds=(
            *HELM_OPERATOR_CLUSTER_KINDS,
            ("apiregistration.k8s.io", "APIService"),
        ),
    )


COMPONENT = Component(KEY, apps=apps)
