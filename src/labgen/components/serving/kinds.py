"""The serving engine registry: one line per engine module.

Each engine module in this package (``vllm``, ``kserve``, ``llmd``, ``llmd_kserve``) is a
:class:`ServerKind`: it names its row of :data:`labgen.data.servers.SERVERS` (what the spec
and the plan know of it: operators, capabilities, endpoint), renders a model's objects,
says which Deployment autoscaling scales, which metrics its monitors expose, and whether it
has catalog bases. Everything that depends on the server reads it from here or from that
row, never by comparing server names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from labgen.components.base import K8sObject
from labgen.components.network.model import Client, Flow, Pods
from labgen.components.serving import kserve, llmd, llmd_kserve, vllm
from labgen.components.serving.common import Versions
from labgen.data.servers import Metric, ServerTraits
from labgen.plan.model import LabPlan, ModelPlan


class ServerKind(Protocol):
    """What a serving engine module provides."""

    TRAITS: ServerTraits
    """Its row of the server table (spec name, needed operators, capabilities, endpoint)."""
    CATALOG: bool
    """It has standalone catalog bases (``catalog/serving/<server>/``)."""
    METRICS: frozenset[Metric]
    """What its monitors expose when the lab enables monitoring."""

    def model_objects(self, plan: LabPlan, model: ModelPlan, versions: Versions) -> list[K8sObject]:
        """The objects of the model's serving Application (autoscalers aside)."""
        ...

    def catalog_objects(self, model: ModelPlan, versions: Versions) -> list[K8sObject]:
        """The standalone objects of a catalog entry point serving ``model`` (no
        namespace), when ``CATALOG``."""
        ...

    def scaled(self, model: ModelPlan) -> str | None:
        """The Deployment autoscaling scales, or None if the engine scales its own pods."""
        ...

    def pods(self, model: ModelPlan) -> Pods:
        """The pods that serve the model (NetworkPolicies select them)."""
        ...

    def client(self, plan: LabPlan, model: ModelPlan) -> Client:
        """Where a client of the model's in-cluster URL connects."""
        ...

    def flows(self, plan: LabPlan, model: ModelPlan) -> Iterator[Flow]:
        """The connections the engine itself needs (a router, an ingress Gateway, its
        pods among themselves), which the lab's NetworkPolicies allow."""
        ...


ENGINES: tuple[ServerKind, ...] = (vllm, kserve, llmd, llmd_kserve)
SERVER_KINDS: dict[str, ServerKind] = {kind.TRAITS.name: kind for kind in ENGINES}


def kind_of(model: ModelPlan) -> ServerKind:
    return SERVER_KINDS[model.server]


def having(plan: LabPlan, metric: Metric) -> list[ModelPlan]:
    """The lab's models whose monitors expose ``metric``."""
    return [m for m in plan.models if metric in kind_of(m).METRICS]
