"""Node Feature Discovery: OLM + NodeFeatureDiscovery on OpenShift, the Helm chart elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    K8sObject,
    KustomizeSource,
    obj,
    skip_dry_run,
)
from labgen.components.operators import Operator
from labgen.data.releases import RELEASES, release_as
from labgen.data.types import OlmRelease
from labgen.plan.model import LabPlan

OPERATOR = Operator(
    "nfd",
    olm_base="operators/nfd/olm",
    olm_description="Node Feature Discovery Operator from OLM (redhat-operators)",
    helm_namespace="node-feature-discovery",
    release_name="node-feature-discovery",
)
KEY = OPERATOR.key
INSTANCE_BASE = "operators/nfd/instance"
INSTANCE_NAME = "nfd-instance"


def _olm_namespace() -> str:
    """The OLM install's namespace, where the NodeFeatureDiscovery instance lives."""
    return release_as(RELEASES, KEY, OlmRelease).olm.namespace


def catalog() -> Iterator[CatalogBase]:
    yield OPERATOR.catalog_base()
    instance = obj(
        "nfd.openshift.io/v1",
        "NodeFeatureDiscovery",
        INSTANCE_NAME,
        _olm_namespace(),
        annotations=skip_dry_run(),
        spec={
            # No operand image: the operator fills in the one it was released with, which
            # the cluster's catalog (versioned with OpenShift) pins.
            "operand": {"imagePullPolicy": "IfNotPresent", "servicePort": 12000}
        },
    )
    yield CatalogBase(INSTANCE_BASE, "The NodeFeatureDiscovery instance for OpenShift", (instance,))


def _instance_patch(plan: LabPlan) -> K8sObject:
    return obj(
        "nfd.openshift.io/v1",
        "NodeFeatureDiscovery",
        INSTANCE_NAME,
        _olm_namespace(),
        spec={"operand": {"workerTolerations": plan.gpu_tolerations()}},
    )


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    if not OPERATOR.from_olm(plan):
        values = {"worker": {"tolerations": plan.gpu_tolerations()}} if plan.pools else {}
        yield OPERATOR.app(plan, values, ignore_differences=())
        return
    yield OPERATOR.app(plan)
    patches = (_instance_patch(plan),) if plan.pools else ()
    yield App(
        f"{KEY}-instance",
        WAVE_INSTANCES,
        OPERATOR.namespace(plan),
        KustomizeSource(bases=(INSTANCE_BASE,), patches=patches),
    )


COMPONENT = Component(KEY, catalog, apps)
