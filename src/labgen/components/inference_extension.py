"""Gateway API Inference Extension: the InferencePool CRD from the upstream repository
(its EPP moved to llm-d; labgen renders one per llm-d model)."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, Component
from labgen.components.operators import crds_from_git
from labgen.plan.model import LabPlan

KEY = "inference-extension"


def apps(plan: LabPlan) -> Iterator[App]:
    if plan.has(KEY):
        yield crds_from_git(plan, KEY)


COMPONENT = Component(KEY, apps=apps)
