"""Gateway API Inference Extension: the InferencePool CRD from the upstream repository
(its EPP moved to llm-d; labgen renders one per llm-d model)."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import WAVE_CRDS, App, Component, GitSource
from labgen.plan.model import LabPlan

KEY = "inference-extension"


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = plan.releases[KEY]
    assert release.git is not None
    repo, path, ref = release.git
    yield App(
        KEY,
        WAVE_CRDS,
        "",
        GitSource(repo, path, ref),
        chart_cluster_kinds=(("apiextensions.k8s.io", "CustomResourceDefinition"),),
    )


COMPONENT = Component(KEY, apps=apps)
