"""Model serving: one Argo CD Application per `spec.models` entry, rendered by the
entry's server module (vllm, kserve, llm-d, llm-d-kserve), plus the standalone serving
catalog under catalog/serving/."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import WAVE_SERVING, App, Component, K8sObject
from labgen.components.podsecurity import for_openshift
from labgen.components.serving import autoscaling, kserve, llmd, llmd_kserve, vllm
from labgen.components.serving.catalog import catalog, docs, overlay
from labgen.components.serving.common import Versions
from labgen.plan.model import LabPlan, ModelPlan
from labgen.plan.serving import APP_PREFIX

KEY = "serving"


def model_objects(
    plan: LabPlan, model: ModelPlan, versions: Versions
) -> tuple[list[K8sObject], str | None]:
    """The model's objects and the Deployment its autoscaler scales (if any)."""
    monitoring = plan.has("monitoring")
    if model.server == "vllm":
        return vllm.objects(model, versions, monitoring), model.name
    if model.server == "kserve":
        return kserve.objects(model, versions), None
    if model.server == "llm-d":
        assert plan.gateway_class is not None
        return llmd.objects(model, versions, monitoring, plan.gateway_class), f"{model.name}-decode"
    return llmd_kserve.objects(model, versions), None


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.models:
        return
    versions = Versions.of(plan)
    for model in plan.models:
        objects, scaled = model_objects(plan, model, versions)
        if plan.openshift:
            objects = for_openshift(objects)
        ignores: tuple[K8sObject, ...] = ()
        if scaled is not None:
            objects += autoscaling.objects(plan, model, versions, scaled)
            ignores = autoscaling.replica_ignores(model, scaled)
        yield App(
            f"{APP_PREFIX}{model.name}",
            WAVE_SERVING,
            model.namespace,
            overlay(model, objects),
            create_namespace=True,
            ignore_differences=ignores,
            cascade_delete=True,
        )


COMPONENT = Component(KEY, catalog, apps, docs)
