"""NetworkPolicy semantics of `labgen check` (labgen.check.netpol), case by case."""

from __future__ import annotations

from typing import Any

from labgen.check.netpol import Pod, Policies

WEB = Pod("web", {"app": "web"}, {"http": 8080})
CLIENT = Pod("shop", {"app": "client"})


def policy(namespace: str, spec: dict[str, Any], name: str = "p") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


DENY = policy("web", {"podSelector": {}, "policyTypes": ["Ingress"]}, "deny")


def from_shop(ports: list[dict[str, Any]] | None = None, **selector: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"from": [selector]}
    if ports is not None:
        rule["ports"] = ports
    return policy("web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [rule]})


SHOP = {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}


def test_no_policy_admits_everything() -> None:
    assert Policies([]).allows(CLIENT, WEB, 8080)
    assert Policies([]).allows(None, WEB, 1)


def test_default_deny_alone_isolates() -> None:
    assert not Policies([DENY]).allows(CLIENT, WEB, 8080)
    assert not Policies([DENY]).allows(Pod("web", {"app": "other"}), WEB, 8080)


def test_a_pod_selector_alone_means_the_policys_namespace() -> None:
    only_pods = from_shop(podSelector={"matchLabels": {"app": "client"}})
    assert not Policies([DENY, only_pods]).allows(CLIENT, WEB, 8080)
    assert Policies([DENY, only_pods]).allows(Pod("web", {"app": "client"}), WEB, 8080)


def test_namespace_by_name_label_and_by_namespace_object_labels() -> None:
    by_name = from_shop(namespaceSelector=SHOP, podSelector={"matchLabels": {"app": "client"}})
    assert Policies([DENY, by_name]).allows(CLIENT, WEB, 8080)
    assert not Policies([DENY, by_name]).allows(Pod("other", {"app": "client"}), WEB, 8080)
    by_team = from_shop(namespaceSelector={"matchLabels": {"team": "a"}})
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"team": "a"}},
    }
    assert not Policies([DENY, by_team]).allows(CLIENT, WEB, 8080)
    assert Policies([DENY, by_team, namespace]).allows(CLIENT, WEB, 8080)


def test_match_expressions() -> None:
    rule = from_shop(
        namespaceSelector={
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["shop"]}
            ]
        },
        podSelector={
            "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["client"]}]
        },
    )
    assert not Policies([DENY, rule]).allows(CLIENT, WEB, 8080)
    assert Policies([DENY, rule]).allows(Pod("shop", {"app": "batch"}), WEB, 8080)


def test_ports_by_number_range_name_and_protocol() -> None:
    def allows(ports: list[dict[str, Any]], port: int = 8080) -> bool:
        return Policies([DENY, from_shop(ports, namespaceSelector=SHOP)]).allows(CLIENT, WEB, port)

    assert allows([{"port": 8080}])
    assert not allows([{"port": 8081}])
    assert allows([{"port": 8000, "endPort": 8100}])
    assert allows([{"port": "http"}])
    assert not allows([{"port": "http"}], 9090)
    assert not allows([{"port": "metrics"}])
    assert not allows([{"protocol": "UDP", "port": 8080}])
    assert allows([{"protocol": "TCP"}], 1234)


def test_policies_add_up() -> None:
    a = from_shop([{"port": 9090}], namespaceSelector=SHOP)
    b = from_shop([{"port": 8080}], namespaceSelector=SHOP)
    assert Policies([DENY, a, b]).allows(CLIENT, WEB, 8080)
    assert Policies([DENY, a, b]).allows(CLIENT, WEB, 9090)


def test_egress_of_the_client_counts() -> None:
    egress = policy(
        "shop",
        {"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]},
    )
    assert not Policies([egress]).allows(CLIENT, WEB, 8080)
    ingress_only = policy("shop", {"podSelector": {}, "policyTypes": ["Ingress"], "egress": []})
    assert Policies([ingress_only]).allows(CLIENT, WEB, 8080)


def test_ip_blocks_admit_pods_only_when_they_span_every_address() -> None:
    everywhere = from_shop(ipBlock={"cidr": "0.0.0.0/0"})
    some = from_shop(ipBlock={"cidr": "10.0.0.0/8"})
    assert Policies([DENY, everywhere]).allows(None, WEB, 8080)
    assert not Policies([DENY, some]).allows(None, WEB, 8080)
    assert not Policies([DENY, some]).allows(CLIENT, WEB, 8080)
