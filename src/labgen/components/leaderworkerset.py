"""LeaderWorkerSet (multi-node serving) from the upstream OCI chart on every platform."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, Component
from labgen.components.operators import helm_operator_app
from labgen.plan.model import LabPlan

KEY = "leaderworkerset"
NAMESPACE = "lws-system"


def apps(plan: LabPlan) -> Iterator[App]:
    if plan.has(KEY):
        yield helm_operator_app(plan, KEY, NAMESPACE, "lws")


COMPONENT = Component(KEY, apps=apps)
