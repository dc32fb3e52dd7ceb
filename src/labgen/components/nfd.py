"""Node Feature Discovery: OLM + NodeFeatureDiscovery on OpenShift, the Helm chart elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    WAVE_OPERATORS,
    App,
    CatalogBase,
    Component,
    HelmSource,
    K8sObject,
    KustomizeSource,
    obj,
    skip_dry_run,
)
from labgen.components.olm import olm_app, olm_objects
from labgen.data.releases import RELEASES
from labgen.plan.model import LabPlan

KEY = "nfd"
OLM_BASE = "operators/nfd/olm"
INSTANCE_BASE = "operators/nfd/instance"
INSTANCE_NAME = "nfd-instance"
HELM_NAMESPACE = "node-feature-discovery"


def _namespace() -> str:
    package = RELEASES[KEY].olm
    assert package is not None
    return package.namespace


def catalog() -> Iterator[CatalogBase]:
    package = RELEASES[KEY].olm
    assert package is not None
    yield CatalogBase(
        OLM_BASE,
        "Node Feature Discovery Operator from OLM (redhat-operators)",
        tuple(olm_objects(package)),
    )
    instance = obj(
        "nfd.openshift.io/v1",
        "NodeFeatureDiscovery",
        INSTANCE_NAME,
        package.namespace,
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
        _namespace(),
        spec={"operand": {"workerTolerations": plan.gpu_tolerations()}},
    )


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = plan.releases[KEY]
    if plan.openshift:
        assert release.olm is not None
        yield olm_app(KEY, release, OLM_BASE)
        patches = (_instance_patch(plan),) if plan.pools else ()
        yield App(
            f"{KEY}-instance",
            WAVE_INSTANCES,
            release.olm.namespace,
            KustomizeSource(bases=(INSTANCE_BASE,), patches=patches),
        )
        return
    assert release.helm is not None
    values: K8sObject = {"worker": {"tolerations": plan.gpu_tolerations()}} if plan.pools else {}
    yield App(
        KEY,
        WAVE_OPERATORS,
        HELM_NAMESPACE,
        HelmSource(release.helm, "node-feature-discovery", values),
        create_namespace=True,
    )


COMPONENT = Component(KEY, catalog, apps)
