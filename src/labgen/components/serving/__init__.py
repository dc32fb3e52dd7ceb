"""Model serving: one Argo CD Application per `spec.models` entry, rendered by the
entry's server module (registered in :mod:`labgen.components.serving.kinds`), plus the
standalone serving catalog under catalog/serving/."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import WAVE_SERVING, App, Component, K8sObject
from labgen.components.podsecurity import without_pod_ids
from labgen.components.serving import autoscaling
from labgen.components.serving.catalog import catalog, docs, overlay
from labgen.components.serving.common import Versions
from labgen.components.serving.kinds import kind_of
from labgen.plan.model import LabPlan, ModelPlan
from labgen.plan.serving import APP_PREFIX

KEY = "serving"


def model_objects(
    plan: LabPlan, model: ModelPlan, versions: Versions
) -> tuple[list[K8sObject], str | None]:
    """The model's objects and the Deployment its autoscaler scales (if any)."""
    kind = kind_of(model)
    return kind.model_objects(plan, model, versions), kind.scaled(model)


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.models:
        return
    versions = Versions.of(plan)
    for model in plan.models:
        objects, scaled = model_objects(plan, model, versions)
        if plan.platform.assigns_pod_ids:
            objects = without_pod_ids(objects)
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
