"""The serving engine registry agrees with the server table and with what each engine
renders: the URL the plan hands clients names a Service the engine renders, autoscaling is
allowed exactly where there is a Deployment to scale, and the metrics an engine declares
are the monitors it renders."""

from __future__ import annotations

from typing import Any

import pytest

from labgen.components.serving.common import Versions
from labgen.components.serving.kinds import ENGINES, SERVER_KINDS, ServerKind
from labgen.data.servers import SERVERS, Service, Unpublished, ViaGateway
from labgen.plan.endpoints import model_url, why_no_url
from labgen.plan.model import LabPlan
from labgen.plan.resolve import OPERATORS
from support import serving_plan

MODEL = (
    "{{name: m, namespace: ns, model: Qwen/Qwen3-8B, server: {server}, pool: h100, "
    "maxModelLen: 8192}}"
)


def plan_of(server: str) -> LabPlan:
    return serving_plan(MODEL.format(server=server))


def rendered(plan: LabPlan) -> list[dict[str, Any]]:
    model = plan.models[0]
    return SERVER_KINDS[model.server].model_objects(plan, model, Versions.of(plan))


def named(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_registry_is_the_server_table() -> None:
    assert [kind.TRAITS.name for kind in ENGINES] == list(SERVERS)
    assert all(SERVER_KINDS[name].TRAITS is traits for name, traits in SERVERS.items())


@pytest.mark.parametrize("server", list(SERVERS))
def test_endpoint_is_what_the_engine_renders(server: str) -> None:
    plan = plan_of(server)
    model = plan.models[0]
    objects = rendered(plan)
    endpoint = SERVERS[server].endpoint
    url = model_url(model, plan.gateway_class)
    if isinstance(endpoint, Service):
        name = endpoint.name.format(model="m")
        port = "" if endpoint.port is None else f":{endpoint.port}"
        assert url == f"http://{name}.ns.svc.cluster.local{port}"
        service = named(objects, "Service").get(name)
        if service is None:  # created by the engine's controller (see below)
            assert server == "kserve"
        else:
            assert endpoint.port in [p["port"] for p in service["spec"]["ports"]]
    elif isinstance(endpoint, ViaGateway):
        assert "m" in named(objects, "Gateway")
        assert url == "http://m-istio.ns.svc.cluster.local"
    else:
        assert isinstance(endpoint, Unpublished)
        assert url is None
        assert why_no_url(model, plan.gateway_class) == endpoint.why


def test_kserve_predictor_service_is_kserves() -> None:
    # KServe's controller creates <isvc>-predictor (port 80) for the InferenceService.
    assert named(rendered(plan_of("kserve")), "InferenceService").keys() == {"m"}


@pytest.mark.parametrize("kind", ENGINES, ids=lambda k: k.TRAITS.name)
def test_autoscaled_exactly_where_a_deployment_is_scaled(kind: ServerKind) -> None:
    plan = plan_of(kind.TRAITS.name)
    scaled = kind.scaled(plan.models[0])
    assert kind.TRAITS.autoscaled == (scaled is not None)
    if scaled is not None:
        assert scaled in named(rendered(plan), "Deployment")


@pytest.mark.parametrize("kind", ENGINES, ids=lambda k: k.TRAITS.name)
def test_metrics_are_the_monitors_rendered(kind: ServerKind) -> None:
    objects = rendered(plan_of(kind.TRAITS.name))
    assert ("vllm" in kind.METRICS) == ("m" in named(objects, "PodMonitor"))
    assert ("epp" in kind.METRICS) == ("m-epp" in named(objects, "ServiceMonitor"))


def test_needed_operators_are_operators() -> None:
    assert {op for t in SERVERS.values() for op in t.operators} <= OPERATORS


def _pod_labels(obj: dict[str, Any]) -> list[dict[str, str]]:
    """Labels of the pod templates of a workload (a LeaderWorkerSet has two)."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "LeaderWorkerSet":
        group = spec["leaderWorkerTemplate"]
        templates = [group[r] for r in ("leaderTemplate", "workerTemplate") if r in group]
    else:
        templates = [spec.get("template") or {}]
    return [(t.get("metadata") or {}).get("labels") or {} for t in templates]


@pytest.mark.parametrize("server", list(SERVERS))
def test_pods_select_the_serving_pods_the_engine_renders(server: str) -> None:
    """The pods a NetworkPolicy admits clients to are the engine's serving pods: every
    rendered vLLM pod template carries the labels (engines whose controller makes the pods
    render none, and say so by rendering no workload)."""
    plan = plan_of(server)
    model = plan.models[0]
    pods = SERVER_KINDS[server].pods(model)
    assert pods.namespace == "ns"
    workloads = [
        o
        for o in rendered(plan)
        if o["kind"] in ("Deployment", "LeaderWorkerSet")
        and any(c.get("name") == "vllm" for c in _containers(o))
    ]
    assert bool(workloads) == (server in ("vllm", "llm-d"))
    for workload in workloads:
        for labels in _pod_labels(workload):
            assert dict(pods.labels).items() <= labels.items()


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec") or {}
    if obj["kind"] == "LeaderWorkerSet":
        spec = spec["leaderWorkerTemplate"]["leaderTemplate"]
    else:
        spec = spec["template"]
    return list(spec["spec"]["containers"])
