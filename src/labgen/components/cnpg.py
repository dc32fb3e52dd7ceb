"""CloudNativePG: the certified operator from OLM on OpenShift, the chart elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, CatalogBase, Component
from labgen.components.operators import Operator
from labgen.plan.model import LabPlan

OPERATOR = Operator(
    "cnpg",
    olm_base="operators/cnpg/olm",
    olm_description="CloudNativePG from OLM (certified-operators)",
    helm_namespace="cnpg-system",
    release_name="cnpg",
)
KEY = OPERATOR.key


def catalog() -> Iterator[CatalogBase]:
    yield OPERATOR.catalog_base()


def apps(plan: LabPlan) -> Iterator[App]:
    if plan.has(KEY):
        # the chart sets no requests: these are the ones its values.yaml suggests
        yield OPERATOR.app(plan, {"resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}})


COMPONENT = Component(KEY, catalog, apps)
