"""Kueue (job queueing for benchmark matrices) from the upstream OCI chart on every platform."""

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

KEY = "kueue"
NAMESPACE = "kueue-system"


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = plan.releases[KEY]
    assert release.helm is not None
    yield App(
        KEY,
        WAVE_OPERATORS,
        NAMESPACE,
        HelmSource(release.helm, "kueue", {}),
        create_namespace=True,
        ignore_differences=webhook_ca_bundle_ignores(),
        # the chart also registers Kueue's visibility API (pending workloads)
        chart_cluster_kinds=(
            *HELM_OPERATOR_CLUSTER_KINDS,
            ("apiregistration.k8s.io", "APIService"),
        ),
    )


COMPONENT = Component(KEY, apps=apps)
