"""NetworkPolicies: default deny of ingress in every lab namespace, then one policy per
group of target pods allowing exactly the lab's flows (:mod:`.flows`).

One Application per namespace (``<lab>-netpol-<namespace>``), which creates the
namespace in a wave before anything runs in it, so no pod starts unisolated. The default
deny carries the namespace's declared clients (annotation ``labgen.dev/clients``, one
JSON object per line):
who must still get in, and through which Service; ``labgen check`` proves each of them
reaches its target under every policy of the tree (rule ``network/unreachable``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from labgen.components.base import App, Component, K8sObject, KustomizeSource, obj
from labgen.components.network.flows import lab_flows, lab_namespaces
from labgen.components.network.model import Flow, Pods
from labgen.plan.model import LabPlan

API = "networking.k8s.io/v1"
APP_PREFIX = "netpol-"
WAVE_NETWORK = 4
"""After infrastructure (3), before data (5) and workloads: namespaces start isolated."""
CLIENTS_ANNOTATION = "labgen.dev/clients"
DEFAULT_DENY = "default-deny-ingress"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (immutable): selects a namespace by name."""


def _selector(labels: tuple[tuple[str, str], ...]) -> K8sObject:
    return {"matchLabels": dict(labels)} if labels else {}


def _peer(source: Pods, namespace: str) -> K8sObject:
    peer: K8sObject = {}
    if source.namespace != namespace:
        peer["namespaceSelector"] = {"matchLabels": {NAMESPACE_NAME_LABEL: source.namespace}}
    peer["podSelector"] = _selector(source.labels)
    return peer


def _rule(source: Pods | None, ports: list[int | str | None], namespace: str) -> K8sObject:
    rule: K8sObject = {}
    if source is not None:
        rule["from"] = [_peer(source, namespace)]
    if None not in ports:
        rule["ports"] = [{"protocol": "TCP", "port": p} for p in ports]
    return rule


def _port_key(port: int | str | None) -> tuple[int, str]:
    return (
        (0, "") if port is None else (1, str(port)) if isinstance(port, str) else (2, f"{port:08d}")
    )


def allow_policy(target: Pods, flows: list[Flow]) -> K8sObject:
    """The policy admitting ``flows`` (all to ``target``): one rule per source."""
    by_source: dict[Pods | None, list[int | str | None]] = {}
    for flow in flows:
        by_source.setdefault(flow.source, []).append(flow.port)
    rules = [
        _rule(source, sorted(set(ports), key=_port_key), target.namespace)
        for source, ports in sorted(by_source.items(), key=lambda item: item[0] or Pods("", (), ""))
    ]
    return obj(
        API,
        "NetworkPolicy",
        f"allow-to-{target.name}",
        target.namespace,
        annotations={"labgen.dev/why": "; ".join(sorted({f.why for f in flows}))},
        spec={
            "podSelector": _selector(target.labels),
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    )


def declared_clients(flows: list[Flow]) -> list[K8sObject]:
    """The annotation's entries: each flow's client, and its target (the Service it
    addresses when the tree has one, else the target pods) and port."""
    out = []
    for flow in flows:
        entry: K8sObject = {}
        if flow.source is not None:
            entry["from"] = {"namespace": flow.source.namespace, "pods": dict(flow.source.labels)}
        if flow.service is not None:
            entry["service"] = flow.service
        else:
            entry["pods"] = dict(flow.target.labels)
        if flow.port is not None:
            entry["port"] = flow.port
        out.append(entry)
    return out


def default_deny(namespace: str, flows: list[Flow]) -> K8sObject:
    lines = [json.dumps(entry, sort_keys=True) + "\n" for entry in declared_clients(flows)]
    annotations = {CLIENTS_ANNOTATION: "".join(lines)} if lines else None
    return obj(
        API,
        "NetworkPolicy",
        DEFAULT_DENY,
        namespace,
        annotations=annotations,
        spec={"podSelector": {}, "policyTypes": ["Ingress"]},
    )


def namespace_policies(namespace: str, flows: list[Flow]) -> list[K8sObject]:
    """The default deny of ``namespace`` and one allow policy per target pod group."""
    targets: dict[Pods, list[Flow]] = {}
    for flow in flows:
        targets.setdefault(flow.target, []).append(flow)
    return [default_deny(namespace, flows)] + [
        allow_policy(target, targets[target]) for target in sorted(targets)
    ]


def apps(plan: LabPlan) -> Iterator[App]:
    flows = lab_flows(plan)
    for namespace in lab_namespaces(plan):
        mine = [f for f in flows if f.target.namespace == namespace]
        yield App(
            f"{APP_PREFIX}{namespace}",
            WAVE_NETWORK,
            namespace,
            KustomizeSource(objects=tuple(namespace_policies(namespace, mine))),
            create_namespace=True,
            cascade_delete=True,
        )


COMPONENT = Component("network-policies", apps=apps)
