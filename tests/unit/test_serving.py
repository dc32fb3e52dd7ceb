"""Serving renders: the precise-prefix-cache contract between vLLM and the EPP, and the
version-dependent details for two pinned versions of vLLM, llm-d's EPP and KServe
(every variant strictly valid against the upstream schemas)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from labgen.components import kserve as kserve_operator
from labgen.components import prometheus_adapter
from labgen.components.serving import model_objects
from labgen.components.serving.common import Versions
from labgen.data.serving import EPP, PREFIX_CACHE
from labgen.errors import SpecError
from labgen.plan import build_plan
from labgen.plan.model import LabPlan
from labgen.schemas import SchemaSet
from labgen.spec import parse_lab
from support import SERVING_SPEC as SPEC
from support import serving_plan as plan_of
from support import validation_errors


def objects_of(plan: LabPlan) -> list[dict[str, Any]]:
    objects, _ = model_objects(plan, plan.models[0], Versions.of(plan))
    from labgen.components.serving import autoscaling

    scaled = f"{plan.models[0].name}-decode" if plan.models[0].server == "llm-d" else "m"
    return objects + autoscaling.objects(plan, plan.models[0], Versions.of(plan), scaled)


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    for item in objects:
        if item["kind"] == kind and (name is None or item["metadata"]["name"] == name):
            return item
    raise AssertionError(f"no {kind} {name or ''}")


def flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


PRECISE = (
    "{name: m, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192, "
    "routing: precise-prefix-cache}"
)


@pytest.mark.parametrize("epp", [row.since for row in EPP])
def test_precise_prefix_cache_vllm_and_epp_agree(epp: str) -> None:
    plan = plan_of(PRECISE, **{"llm-d-router": epp})
    objects = objects_of(plan)
    pod = find(objects, "Deployment", "m-decode")["spec"]["template"]["spec"]
    (vllm,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in vllm["env"]}
    events = json.loads(flag(vllm["args"], "--kv-events-config"))
    config = yaml.safe_load(find(objects, "ConfigMap", "m-epp")["data"]["config.yaml"])
    versions = Versions.of(plan)
    gen = versions.epp
    plugins = {p["type"]: p.get("parameters", {}) for p in config["plugins"]}
    indexer = gen.precise_producer or gen.precise_scorer
    params = plugins[indexer]
    tokens = params["tokenProcessorConfig"]
    epp_service = find(objects, "Service", "m-epp")

    assert config["apiVersion"] == gen.config_api_version
    # block size and hash seed: the EPP recomputes vLLM's block hashes
    block_size = tokens.get("blockSizeTokens", tokens.get("blockSize"))
    assert int(flag(vllm["args"], "--block-size")) == block_size
    assert env["PYTHONHASHSEED"] == tokens["hashSeed"]
    assert flag(vllm["args"], "--prefix-caching-hash-algo") == PREFIX_CACHE.hash_algo
    assert events["enable_kv_cache_events"] is True
    assert events["publisher"] == "zmq"
    assert events["topic"].startswith(params["kvEventsConfig"]["topicFilter"])
    assert "$(POD_IP)" in events["topic"]
    assert "POD_IP" in env
    # the scorer of the preset is in the default profile
    (profile,) = config["schedulingProfiles"]
    assert gen.precise_scorer in {p["pluginRef"] for p in profile["plugins"]}
    if gen.precise_producer is None:
        # before llm-d-router v0.10: vLLM publishes to the EPP Service's ZMQ port and the
        # scorer tokenizes with its own pool
        host, port = events["endpoint"].removeprefix("tcp://").rsplit(":", 1)
        assert host == f"{epp_service['metadata']['name']}.{plan.models[0].namespace}.svc"
        assert int(port) in {p["port"] for p in epp_service["spec"]["ports"]}
        assert params["kvEventsConfig"]["zmqEndpoint"] == f"tcp://*:{port}"
        assert params["indexerConfig"]["tokenizersPoolConfig"]["modelName"] == "Qwen/Qwen3-8B"


def test_precise_prefix_cache_with_llm_d_router_v0_10() -> None:
    plan = plan_of(PRECISE, **{"llm-d-router": "v0.10.0"})
    objects = objects_of(plan)
    (vllm,) = find(objects, "Deployment", "m-decode")["spec"]["template"]["spec"]["containers"]
    events = json.loads(flag(vllm["args"], "--kv-events-config"))
    config = yaml.safe_load(find(objects, "ConfigMap", "m-epp")["data"]["config.yaml"])
    versions = Versions.of(plan)
    gen = versions.epp
    assert gen.precise_producer is not None
    plugins = {p["type"]: p.get("parameters", {}) for p in config["plugins"]}
    params = plugins[gen.precise_producer]
    epp_service = find(objects, "Service", "m-epp")
    # llm-d-router v0.10 (deploy/config/epp-precise-prefix-cache-config.yaml): each vLLM
    # pod binds its publisher, the producer subscribes to every pool endpoint's socket
    host, port = events["endpoint"].removeprefix("tcp://").rsplit(":", 1)
    assert host == "*"
    assert int(port) == params["kvEventsConfig"]["podDiscoveryConfig"]["socketPort"]
    assert {"name": "kv-events", "containerPort": int(port), "protocol": "TCP"} in vllm["ports"]
    assert params["kvEventsConfig"]["discoverPods"] is True
    assert "zmqEndpoint" not in params["kvEventsConfig"]
    assert int(port) not in {p["port"] for p in epp_service["spec"]["ports"]}
    (source,) = config["dataLayer"]["sources"]
    assert source == {
        "pluginRef": gen.endpoint_source,
        "extractors": [{"pluginRef": gen.precise_producer}],
    }
    # no in-process tokenizer pool (the EPP refuses it): a token producer calls the
    # decode pods' render endpoints, which vLLM v0.30 serves only when asked
    assert "tokenizersPoolConfig" not in params["indexerConfig"]
    assert plugins[gen.precise_scorer] == {"prefixMatchInfoProducerName": gen.precise_producer}
    token = plugins[gen.token_producer or ""]
    assert token["modelName"] == plan.models[0].served_name
    render = find(objects, "Service", "m-vllm")
    assert token["vllm"]["url"] == f"http://m-vllm.{plan.models[0].namespace}.svc:8000"
    decode = find(objects, "Deployment", "m-decode")
    assert render["spec"]["selector"] == decode["spec"]["selector"]["matchLabels"]
    assert render["spec"]["ports"][0]["port"] == 8000
    assert versions.vllm.render_flag == "--enable-scale-out"
    assert versions.vllm.render_flag in vllm["args"]


PD = (
    "{name: m, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192, "
    "routing: pd, prefill: {replicas: 2}}"
)


def test_epp_generations_differ_where_upstream_renamed_things() -> None:
    old = objects_of(plan_of(PD, **{"llm-d-router": "v0.5.0"}))
    new = objects_of(plan_of(PD, **{"llm-d-router": "v0.10.0"}))
    old_config = yaml.safe_load(find(old, "ConfigMap", "m-epp")["data"]["config.yaml"])
    new_config = yaml.safe_load(find(new, "ConfigMap", "m-epp")["data"]["config.yaml"])
    assert old_config["apiVersion"] == "inference.networking.x-k8s.io/v1alpha1"
    assert new_config["apiVersion"] == "llm-d.ai/v1alpha1"
    old_types = {p["type"] for p in old_config["plugins"]}
    new_types = {p["type"] for p in new_config["plugins"]}
    assert {"pd-profile-handler", "prefill-header-handler"} <= old_types
    assert {"disagg-profile-handler", "prefix-based-pd-decider"} <= new_types
    assert not new_types & {"pd-profile-handler", "prefill-header-handler"}
    old_sidecar = find(old, "Deployment", "m-decode")["spec"]["template"]["spec"]["initContainers"][
        0
    ]
    new_sidecar = find(new, "Deployment", "m-decode")["spec"]["template"]["spec"]["initContainers"][
        0
    ]
    assert old_sidecar["image"] == "ghcr.io/llm-d/llm-d-routing-sidecar:v0.5.0"
    assert "--vllm-port=8200" in old_sidecar["args"]
    assert new_sidecar["image"] == "ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.10.0"
    assert "--model-server-port=8200" in new_sidecar["args"]
    # the old EPP reads vLLM's pre-0.9 KV metric name unless told the new one
    old_epp = find(old, "Deployment", "m-epp")["spec"]["template"]["spec"]["containers"][0]
    assert flag(old_epp["args"], "--kv-cache-usage-percentage-metric") == "vllm:kv_cache_usage_perc"
    new_epp = find(new, "Deployment", "m-epp")["spec"]["template"]["spec"]["containers"][0]
    assert "--kv-cache-usage-percentage-metric" not in new_epp["args"]
    prefill = find(new, "Deployment", "m-prefill")
    assert prefill["spec"]["replicas"] == 2
    assert prefill["spec"]["template"]["metadata"]["labels"]["llm-d.ai/role"] == "prefill"


SCALED = (
    "{name: m, model: Qwen/Qwen3-8B, server: vllm, pool: h100, maxModelLen: 8192, "
    "autoscaling: {min: 1, max: 3, metric: kv-cache-usage}}"
)


@pytest.mark.parametrize(
    ("version", "metric"),
    [("v0.8.5", "vllm:gpu_cache_usage_perc"), ("v0.30.0", "vllm:kv_cache_usage_perc")],
)
def test_autoscaling_queries_the_metric_of_the_pinned_vllm(version: str, metric: str) -> None:
    objects = objects_of(plan_of(SCALED, vllm=version))
    scaled = find(objects, "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["metadata"]["query"].startswith(f"avg({metric}{{")
    assert trigger["metadata"]["threshold"] == "0.8"
    image = find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"docker.io/vllm/vllm-openai:{version}"


@pytest.mark.parametrize(
    ("version", "metric"),
    [("v0.8.5", "vllm:gpu_cache_usage_perc"), ("v0.30.0", "vllm:kv_cache_usage_perc")],
)
@pytest.mark.parametrize("server", ["vllm", "llm-d"])
def test_hpa_targets_a_metric_prometheus_adapter_exposes(
    version: str, metric: str, server: str
) -> None:
    """The HPA's Pods metric is the name one of the adapter's rules gives the pinned vLLM's
    series, a rule that maps the series' namespace and pod labels to those resources."""
    spec = SCALED.replace("metric: kv-cache-usage", "metric: kv-cache-usage, engine: hpa")
    plan = plan_of(spec.replace("server: vllm", f"server: {server}"), vllm=version)
    assert plan.has("prometheus-adapter")
    objects = objects_of(plan)
    assert not [o for o in objects if o["apiVersion"].startswith("keda.sh/")]
    hpa = find(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == ("m-decode" if server == "llm-d" else "m")
    (target,) = hpa["spec"]["metrics"]
    assert target["type"] == "Pods"
    assert target["pods"]["target"] == {"type": "AverageValue", "averageValue": "0.8"}
    rules = {
        rule["name"]["as"]: rule for rule in prometheus_adapter.helm_values(plan)["rules"]["custom"]
    }
    rule = rules[target["pods"]["metric"]["name"]]
    assert rule["seriesQuery"].startswith(f"{metric}{{")
    assert re.fullmatch(rule["name"]["matches"], metric)
    assert rule["resources"]["overrides"] == {
        "namespace": {"resource": "namespace"},
        "pod": {"resource": "pod"},
    }
    assert rule["metricsQuery"].startswith("avg(<<.Series>>{<<.LabelMatchers>>})")


def test_without_hpa_there_is_no_prometheus_adapter() -> None:
    assert not plan_of(SCALED).has("prometheus-adapter")


def test_precise_routing_needs_a_vllm_with_kv_events() -> None:
    with pytest.raises(SpecError, match="lacks"):
        plan_of(PRECISE, vllm="v0.8.5")


def test_versions_labgen_does_not_know_are_spec_errors() -> None:
    with pytest.raises(SpecError, match=r"llm-d-router: labgen knows .*not v0\.9\.0"):
        plan_of(PRECISE, **{"llm-d-router": "v0.9.0"})


LLMISVC = "{name: m, model: Qwen/Qwen3-8B, server: llm-d-kserve, pool: h100, maxModelLen: 8192}"


@pytest.mark.parametrize(
    ("version", "api", "controller_chart"),
    [
        ("v0.16.0", "serving.kserve.io/v1alpha1", "kserve"),
        ("v0.20.0", "serving.kserve.io/v1alpha2", "kserve-resources"),
    ],
)
def test_kserve_generations(version: str, api: str, controller_chart: str) -> None:
    plan = plan_of(LLMISVC, kserve=version)
    assert find(objects_of(plan), "LLMInferenceService")["apiVersion"] == api
    charts = {app.component: app.source for app in kserve_operator.apps(plan)}
    assert charts["kserve"].chart.chart == controller_chart  # type: ignore[union-attr]
    assert charts["kserve"].chart.version == version  # type: ignore[union-attr]


VARIANTS = [
    (PRECISE, {"llm-d-router": "v0.5.0"}),
    (PRECISE, {"llm-d-router": "v0.10.0"}),
    (PD, {"llm-d-router": "v0.5.0"}),
    (PD, {"llm-d-router": "v0.10.0"}),
    (SCALED, {"vllm": "v0.8.5"}),
    (LLMISVC, {"kserve": "v0.16.0"}),
    (LLMISVC, {"kserve": "v0.20.0"}),
    ("{name: m, model: Qwen/Qwen3-8B, server: kserve, pool: h100, maxModelLen: 8192}", {}),
]


@pytest.mark.parametrize(("model", "versions"), VARIANTS)
def test_every_version_variant_is_strictly_valid(
    model: str, versions: dict[str, str], schema_set: Callable[[str], SchemaSet]
) -> None:
    objects = objects_of(plan_of(model, **versions))
    assert not validation_errors(schema_set("1.33"), objects, str(versions))


@pytest.mark.parametrize(
    ("gateway_class", "tls"), [("istio", True), ("openshift-default", True), ("kgateway", False)]
)
def test_istio_gateways_speak_tls_to_the_epp(gateway_class: str, tls: bool) -> None:
    """The EPP serves TLS; Istio's proxies need a DestinationRule to use it (issue 14:
    with FailClose, plaintext made every request fail). kgateway needs none."""
    text = SPEC.format(versions="{}", model=PRECISE).replace(
        "className: istio", f"className: {gateway_class}"
    )
    plan = build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")
    objects = objects_of(plan)
    rules = [o for o in objects if o["kind"] == "DestinationRule"]
    if not tls:
        assert rules == []
        return
    (rule,) = rules
    epp = find(objects, "Service", "m-epp")
    assert rule["spec"]["host"] == f"m-epp.{epp['metadata']['namespace']}.svc.cluster.local"
    assert rule["metadata"]["namespace"] == epp["metadata"]["namespace"]
    assert rule["spec"]["trafficPolicy"]["tls"] == {"mode": "SIMPLE", "insecureSkipVerify": True}
    pool = find(objects, "InferencePool")
    assert pool["spec"]["endpointPickerRef"]["name"] == "m-epp"


CPU_LAB = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {name: cpu-lab}
spec:
  cluster: {platform: kubernetes, provider: kind, kubernetesVersion: "1.33"}
  gitops: {repoURL: https://github.com/example/lab.git}
  gpuPools:
    - {name: laptop, accelerator: cpu, memoryGiB: 32, nodes: {min: 1, max: 1}}
  models:
    - {name: m, model: microsoft/Phi-3.5-mini-instruct, server: vllm, pool: laptop,
       maxModelLen: 8192}
"""


def test_cpu_model_runs_vllms_cpu_image_sized_by_the_ram_plan() -> None:
    plan = build_plan(parse_lab(CPU_LAB, "cpu.yaml"), "cpu.yaml")
    pod = find(objects_of(plan), "Deployment", "m")["spec"]["template"]["spec"]
    (vllm,) = pod["containers"]
    version = plan.releases["vllm"].version
    assert vllm["image"] == f"docker.io/vllm/vllm-openai-cpu:{version}"
    env = {e["name"]: e.get("value") for e in vllm["env"]}
    # RAM plan (tests/unit/test_fit.py): 12 GiB KV space, 22 GiB for the pod
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "12"
    assert env["VLLM_CPU_OMP_THREADS_BIND"] == "auto"
    assert vllm["resources"] == {
        "requests": {"cpu": "2", "memory": "22Gi"},
        "limits": {"memory": "22Gi"},
    }
    assert "nvidia.com/gpu" not in json.dumps(pod)
    assert "tolerations" not in pod
    assert pod["nodeSelector"] == {"labgen.dev/gpu-pool": "laptop"}
    assert flag(vllm["args"], "--dtype") == "bfloat16"
    assert "--gpu-memory-utilization" not in vllm["args"]
    assert flag(vllm["args"], "--max-model-len") == "8192"


def test_cpu_pool_taint_only_when_the_spec_sets_one() -> None:
    tainted = CPU_LAB.replace(
        "nodes: {min: 1, max: 1}}", "nodes: {min: 1, max: 1}, taint: {key: example.com/cpu}}"
    )
    plan = build_plan(parse_lab(tainted, "cpu.yaml"), "cpu.yaml")
    pod = find(objects_of(plan), "Deployment", "m")["spec"]["template"]["spec"]
    assert pod["tolerations"] == [
        {"key": "example.com/cpu", "operator": "Exists", "effect": "NoSchedule"}
    ]


def test_cpu_context_defaults_to_the_longest_the_ram_holds() -> None:
    # Phi-3.5-mini's 131072 tokens need 48 GiB of KV cache; 32 GiB of RAM leave 16 whole GiB
    # (tests/unit/test_fit.py): 16 GiB / 393216 B per token = 43690 -> 43520 (x 256)
    plan = build_plan(parse_lab(CPU_LAB.replace(",\n       maxModelLen: 8192", ""), "c.yaml"), "c")
    (model,) = plan.models
    assert (model.fit.max_model_len, model.fit.max_sequences) == (43520, 1)
    pod = find(objects_of(plan), "Deployment", "m")["spec"]["template"]["spec"]
    assert flag(pod["containers"][0]["args"], "--max-model-len") == "43520"
