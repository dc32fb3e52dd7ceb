"""The vocabulary of network flows: a group of pods (namespace and labels) and a flow
("these pods may reach those pods on this port"). Serving engines describe their own pods
and flows with it (:mod:`labgen.components.serving.kinds`); :mod:`.flows` gathers a lab's."""

from __future__ import annotations

from dataclasses import dataclass

from labgen.data.platforms import GATEWAY_NAME_LABEL

Labels = tuple[tuple[str, str], ...]
Port = int | str | None
"""A target container port by number or name; None: every port."""


@dataclass(frozen=True, order=True)
class Pods:
    """The pods of one namespace whose labels include ``labels`` (all of them when
    empty); ``name`` names the NetworkPolicy that admits traffic to them."""

    namespace: str
    labels: Labels
    name: str


@dataclass(frozen=True, order=True)
class Flow:
    """``source`` pods may open connections to ``target`` pods on ``port``; a None source
    is anywhere. ``service`` is the Service of the tree the clients address, if any."""

    target: Pods
    port: Port
    source: Pods | None
    why: str
    service: str | None = None


@dataclass(frozen=True)
class Client:
    """Where a client of a model's in-cluster URL connects: the pods, their container
    port, and the Service of the tree it addresses (None: one a controller creates)."""

    pods: Pods
    port: Port
    service: str | None = None


def pods(namespace: str, name: str, labels: dict[str, str] | Labels) -> Pods:
    items = labels.items() if isinstance(labels, dict) else labels
    return Pods(namespace, tuple(sorted(items)), name)


def gateway_pods(namespace: str, gateway: str) -> Pods:
    return pods(namespace, f"gateway-{gateway}", {GATEWAY_NAME_LABEL: gateway})


def own_pods_flow(servers: Pods) -> Flow:
    """A model's pods reaching each other on every port: tensor/pipeline groups (Ray,
    NCCL) and P/D (NIXL, UCX) pick dynamic ports."""
    return Flow(
        servers,
        None,
        servers,
        "the model's own pods (NCCL, NIXL, Ray; an LLMInferenceService's scheduler)",
    )
