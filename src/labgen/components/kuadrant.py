"""Kuadrant (Authorino for API keys, Limitador for request and token limits): the
community operator from OLM on OpenShift, the upstream chart elsewhere; plus the
`Kuadrant` instance in its namespace, which deploys Authorino and Limitador.

API key Secrets live in the instance's namespace (Authorino reads them there); the
policies that use them are rendered with the lab's exposure (`components/exposure.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    KustomizeSource,
    obj,
    skip_dry_run,
)
from labgen.components.operators import Operator
from labgen.plan.exposure import KUADRANT_NAMESPACE
from labgen.plan.model import LabPlan

OPERATOR = Operator(
    "kuadrant",
    olm_base="operators/kuadrant/olm",
    olm_description="Kuadrant community operator from OLM",
    helm_namespace=KUADRANT_NAMESPACE,
    release_name="kuadrant-operator",
)
KEY = OPERATOR.key
INSTANCE_BASE = "operators/kuadrant/instance"
INSTANCE = "kuadrant"
CHART_CLUSTER_KINDS = (
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
)
"""Cluster-scoped kinds of the chart and its bundled operator charts, read from their
templates (kuadrant-operator v1.5.2, authorino-operator v0.25.2, dns-operator v0.17.1
`charts/*/templates/manifests.yaml`; limitador-operator's main branch, its v0.18.3 tag
was not available here). The chart is not in the chart cache, so its render was not
measured (``labgen.data.charts``); the AppProject needs them all the same."""


def catalog() -> Iterator[CatalogBase]:
    yield OPERATOR.catalog_base()
    instance = obj(
        "kuadrant.io/v1beta1",
        "Kuadrant",
        INSTANCE,
        KUADRANT_NAMESPACE,
        annotations=skip_dry_run(),
        spec={},
    )
    yield CatalogBase(INSTANCE_BASE, "The Kuadrant instance (Authorino, Limitador)", (instance,))


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    operator = OPERATOR.app(plan)
    if not OPERATOR.from_olm(plan):
        operator = dataclasses.replace(operator, chart_cluster_kinds=CHART_CLUSTER_KINDS)
    yield operator
    yield App(
        f"{KEY}-instance",
        WAVE_INSTANCES,
        KUADRANT_NAMESPACE,
        KustomizeSource(bases=(INSTANCE_BASE,)),
    )


COMPONENT = Component(KEY, catalog, apps)
