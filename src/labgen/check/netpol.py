"""NetworkPolicy semantics (networking.k8s.io/v1), evaluated on the objects of a tree.

May a pod (namespace, labels) open a TCP connection to another pod on a port?

A pod is isolated for ingress when a policy of its namespace selects it and lists
``Ingress`` in ``policyTypes`` (absent: Ingress, plus Egress when the policy has egress
rules); an isolated pod admits a connection that any selecting policy's rule admits
(the union). A rule without ``from`` admits every source, without ``ports`` every port;
a peer with only ``podSelector`` means the policy's namespace, with
``namespaceSelector`` the namespaces whose labels match (every namespace carries
``kubernetes.io/metadata.name``; labels of Namespace objects in the tree add to it);
``ipBlock`` admits pods only when it spans every address (``0.0.0.0/0`` or ``::/0``
without ``except``). A named port means the target pod's container port of that name.
Egress is evaluated the same way from the source pod's side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
_EVERYWHERE = {"0.0.0.0/0", "::/0"}


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[str, int] = field(default_factory=dict)
    """Named TCP container ports."""


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector against labels (an empty selector selects everything)."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        key = str(expression.get("key"))
        values = {str(v) for v in expression.get("values") or []}
        operator = expression.get("operator")
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


class Policies:
    """The NetworkPolicies (and Namespace labels) of one cluster."""

    def __init__(self, objects: Iterable[Mapping[str, Any]]) -> None:
        self.by_namespace: dict[str, list[Mapping[str, Any]]] = {}
        self.namespace_labels: dict[str, dict[str, str]] = {}
        for item in objects:
            meta = item.get("metadata") or {}
            if (item.get("apiVersion"), item.get("kind")) == (
                "networking.k8s.io/v1",
                "NetworkPolicy",
            ):
                self.by_namespace.setdefault(str(meta.get("namespace")), []).append(item)
            elif (item.get("apiVersion"), item.get("kind")) == ("v1", "Namespace"):
                labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
                self.namespace_labels[str(meta.get("name"))] = labels

    def _namespace(self, name: str) -> dict[str, str]:
        return {**self.namespace_labels.get(name, {}), NAMESPACE_NAME_LABEL: name}

    def allows(self, source: Pod | None, target: Pod, port: int) -> bool:
        """Whether ``source`` (None: a client outside the cluster's pods) may connect to
        ``target`` on TCP ``port``."""
        ingress = self._direction(target, "Ingress")
        if ingress is not None and not any(
            self._rule_admits(rule.get("from"), source, target.namespace, rule, target, port)
            for rule in ingress
        ):
            return False
        if source is None:
            return True
        egress = self._direction(source, "Egress")
        return egress is None or any(
            self._rule_admits(rule.get("to"), target, source.namespace, rule, target, port)
            for rule in egress
        )

    def _direction(self, pod: Pod, direction: str) -> list[Mapping[str, Any]] | None:
        """The rules of the policies isolating ``pod`` in ``direction`` (None: not isolated)."""
        rules: list[Mapping[str, Any]] | None = None
        for policy in self.by_namespace.get(pod.namespace, []):
            spec = policy.get("spec") or {}
            if not selects(spec.get("podSelector"), pod.labels):
                continue
            types = spec.get("policyTypes") or (
                ["Ingress", "Egress"] if "egress" in spec else ["Ingress"]
            )
            if direction in types:
                rules = (rules or []) + list(spec.get(direction.lower()) or [])
        return rules

    def _rule_admits(
        self,
        peers: list[Mapping[str, Any]] | None,
        other: Pod | None,
        namespace: str,
        rule: Mapping[str, Any],
        target: Pod,
        port: int,
    ) -> bool:
        if peers and not any(self._peer_matches(peer, other, namespace) for peer in peers):
            return False
        ports = rule.get("ports")
        return not ports or any(_port_matches(entry, target, port) for entry in ports)

    def _peer_matches(self, peer: Mapping[str, Any], pod: Pod | None, namespace: str) -> bool:
        if "ipBlock" in peer:
            block = peer["ipBlock"] or {}
            return block.get("cidr") in _EVERYWHERE and not block.get("except")
        if pod is None:
            return False
        if "namespaceSelector" in peer:
            if not selects(peer["namespaceSelector"], self._namespace(pod.namespace)):
                return False
        elif pod.namespace != namespace:
            return False
        return "podSelector" not in peer or selects(peer["podSelector"], pod.labels)


def _port_matches(entry: Mapping[str, Any], target: Pod, port: int) -> bool:
    if str(entry.get("protocol") or "TCP") != "TCP":
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        return target.ports.get(wanted) == port
    end = entry.get("endPort")
    return int(wanted) <= port <= int(end if end is not None else wanted)
