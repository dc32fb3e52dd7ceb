"""Kueue (job queueing for benchmark matrices) from the upstream OCI chart on every platform."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, Component
from labgen.components.operators import helm_operator_app
from labgen.plan.model import LabPlan

KEY = "kueue"
NAMESPACE = "kueue-system"


def apps(plan: LabPlan) -> Iterator[App]:
    if plan.has(KEY):
        # the chart also registers Kueue's visibility API (pending workloads)
        yield helm_operator_app(plan, KEY, NAMESPACE, "kueue")


COMPONENT = Component(KEY, apps=apps)
