"""CloudNativePG: the certified operator from OLM on OpenShift, the chart elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_OPERATORS,
    App,
    CatalogBase,
    Component,
    HelmSource,
    webhook_ca_bundle_ignores,
)
from labgen.components.olm import olm_app, olm_objects
from labgen.data.releases import RELEASES
from labgen.plan.model import LabPlan

KEY = "cnpg"
OLM_BASE = "operators/cnpg/olm"
HELM_NAMESPACE = "cnpg-system"


def catalog() -> Iterator[CatalogBase]:
    package = RELEASES[KEY].olm
    assert package is not None
    yield CatalogBase(
        OLM_BASE, "CloudNativePG from OLM (certified-operators)", tuple(olm_objects(package))
    )


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = plan.releases[KEY]
    if plan.openshift:
        assert release.olm is not None
        yield olm_app(KEY, release, OLM_BASE)
        return
    assert release.helm is not None
    yield App(
        KEY,
        WAVE_OPERATORS,
        HELM_NAMESPACE,
        # the chart sets no requests: these are the ones its values.yaml suggests
        HelmSource(
            release.helm, "cnpg", {"resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}}
        ),
        create_namespace=True,
        ignore_differences=webhook_ca_bundle_ignores(),
    )


COMPONENT = Component(KEY, catalog, apps)
