"""Kuadrant (Authorino for API keys, Limitador for request and token limits): the
community operator from OLM on OpenShift, the upstream chart elsewhere; plus the
`Kuadrant` instance in its namespace, which deploys Authorino and Limitador.

API key Secrets live in the instance's namespace (Authorino reads them there); the
policies that use them are rendered with the lab's exposure (`components/exposure.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    KustomizeSource,
    helm_operator_app,
    obj,
    skip_dry_run,
)
from labgen.components.olm import olm_app, olm_objects
from labgen.data.releases import RELEASES
from labgen.plan.exposure import KUADRANT_NAMESPACE
from labgen.plan.model import LabPlan

KEY = "kuadrant"
OLM_BASE = "operators/kuadrant/olm"
INSTANCE_BASE = "operators/kuadrant/instance"
INSTANCE = "kuadrant"


def catalog() -> Iterator[CatalogBase]:
    package = RELEASES[KEY].olm
    assert package is not None
    yield CatalogBase(OLM_BASE, "Kuadrant community operator from OLM", tuple(olm_objects(package)))
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
    release = plan.releases[KEY]
    if plan.openshift:
        yield olm_app(KEY, release, OLM_BASE)
    else:
        yield helm_operator_app(plan, KEY, KUADRANT_NAMESPACE, "kuadrant-operator")
    yield App(
        f"{KEY}-instance",
        WAVE_INSTANCES,
        KUADRANT_NAMESPACE,
        KustomizeSource(bases=(INSTANCE_BASE,)),
    )


COMPONENT = Component(KEY, catalog, apps)
