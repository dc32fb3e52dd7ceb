"""The NetworkPolicies of the shipped labs allow exactly the flows their plans need: the
sets below are written out by hand from what each lab runs (who calls whom, on which
port), and every namespace with a lab workload starts from a default deny of ingress."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import RenderedRepo
from labgen.check.netpol import Pod, Policies
from labgen.check.rules import network_rules
from labgen.components.network.flows import lab_flows
from labgen.components.network.policies import namespace_policies
from labgen.components.serving import model_objects
from labgen.components.serving.common import Versions
from labgen.data.serving import EPP
from labgen.plan import build_plan
from labgen.spec import parse_lab
from labgen.yamlio import load_all_safe

OPEN_WEBUI = "data/app.kubernetes.io/component=ui,app.kubernetes.io/name=open-webui"
UWM_PROMETHEUS = "openshift-user-workload-monitoring/app.kubernetes.io/name=prometheus"
QWEN = "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-32b"
QWEN_EPP = "llm/app.kubernetes.io/component=epp,labgen.dev/model=qwen3-32b"
QWEN_GATEWAY = "llm/gateway.networking.k8s.io/gateway-name=qwen3-32b"
GRANITE = "llm/app.kubernetes.io/name=vllm,labgen.dev/model=granite-8b"
CNPG = "openshift-operators/app.kubernetes.io/name=cloudnative-pg"
VECTORS = "data/cnpg.io/cluster=vectors"
POOLER = "data/cnpg.io/poolerName=vectors-pooler"

EXPECTED = {
    "h100-llmd": {
        # Open WebUI: its two models (llm-d through the Gateway's pods) and its database
        f"{OPEN_WEBUI} -> {VECTORS}:5432",
        f"{OPEN_WEBUI} -> {GRANITE}:8000",
        f"{OPEN_WEBUI} -> {QWEN_GATEWAY}:80",
        # benchmarks, each against its target's in-cluster URL
        f"llm/labgen.dev/benchmark=granite-concurrency -> {GRANITE}:8000",
        f"llm/labgen.dev/benchmark=qwen-sweep -> {QWEN_GATEWAY}:80",
        # llm-d: gateway -> EPP (ext-proc) and pods; EPP -> pods (metrics, tokenize, KV events)
        f"{QWEN_GATEWAY} -> {QWEN_EPP}:9002",
        f"{QWEN_GATEWAY} -> {QWEN}:8000",
        f"{QWEN_EPP} -> {QWEN}:8000",
        f"{QWEN_EPP} -> {QWEN}:5557",
        # CloudNativePG: the operator, the instances among themselves, PgBouncer
        f"{CNPG} -> {VECTORS}:5432",
        f"{CNPG} -> {VECTORS}:8000",
        f"{VECTORS} -> {VECTORS}:*",
        f"{POOLER} -> {VECTORS}:5432",
        # user-workload monitoring scrapes every monitor's port
        f"{UWM_PROMETHEUS} -> {VECTORS}:9187",
        f"{UWM_PROMETHEUS} -> {POOLER}:9127",
        f"{UWM_PROMETHEUS} -> {QWEN_EPP}:9090",
        f"{UWM_PROMETHEUS} -> {GRANITE}:8000",
        f"{UWM_PROMETHEUS} -> {QWEN}:8000",
    },
    "eks-pd": {
        # P/D llm-d model: gateway, EPP, and its prefill/decode pods (NIXL, dynamic ports)
        "llm/gateway.networking.k8s.io/gateway-name=qwen3-32b-pd -> "
        "llm/app.kubernetes.io/component=epp,labgen.dev/model=qwen3-32b-pd:9002",
        "llm/gateway.networking.k8s.io/gateway-name=qwen3-32b-pd -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-32b-pd:8000",
        "llm/app.kubernetes.io/component=epp,labgen.dev/model=qwen3-32b-pd -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-32b-pd:8000",
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-32b-pd -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-32b-pd:*",
        # a multi-node (LeaderWorkerSet) model: Ray and NCCL between its pods
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-235b -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-235b:*",
        # kube-prometheus-stack's Prometheus (namespace monitoring)
        "monitoring/app.kubernetes.io/name=prometheus -> "
        "llm/app.kubernetes.io/component=epp,labgen.dev/model=qwen3-32b-pd:9090",
        "monitoring/app.kubernetes.io/name=prometheus -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=llama-8b:8000",
        "monitoring/app.kubernetes.io/name=prometheus -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-235b:8000",
        "monitoring/app.kubernetes.io/name=prometheus -> "
        "llm/app.kubernetes.io/name=vllm,labgen.dev/model=qwen3-32b-pd:8000",
    },
}
WORKLOAD_APPS = ("serve-", "benchmarks", "matrices", "open-webui", "db-")


def _labels(selector: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items()))


def _policies(files: dict[str, str]) -> list[dict[str, Any]]:
    return [
        doc
        for path, text in sorted(files.items())
        if path.endswith(".yaml")
        for doc in load_all_safe(text, path)
        if isinstance(doc, dict) and doc.get("kind") == "NetworkPolicy"
    ]


def allowed_flows(policies: list[dict[str, Any]]) -> set[str]:
    """``source -> target:port`` for every (peer, port) of every ingress rule."""
    out = set()
    for policy in policies:
        namespace = policy["metadata"]["namespace"]
        spec = policy["spec"]
        target = f"{namespace}/{_labels(spec['podSelector'])}"
        for rule in spec.get("ingress", []):
            for peer in rule.get("from", [None]):
                if peer is None:
                    source = "*"
                else:
                    names = _labels(peer.get("namespaceSelector") or {})
                    source_ns = names.partition("=")[2] if names else namespace
                    source = f"{source_ns}/{_labels(peer.get('podSelector') or {})}"
                for port in [p["port"] for p in rule.get("ports", [])] or ["*"]:
                    out.add(f"{source} -> {target}:{port}")
    return out


@pytest.mark.parametrize("lab", sorted(EXPECTED))
def test_policies_allow_exactly_the_flows_the_lab_needs(
    shipped_render: RenderedRepo, lab: str
) -> None:
    policies = _policies(shipped_render.lab_files(lab))
    assert allowed_flows(policies) == EXPECTED[lab]


def test_every_lab_namespace_starts_from_default_deny(golden_render: RenderedRepo) -> None:
    labs = {
        p.split("/")[1]
        for p in (f.path for f in golden_render.rendered.tree)
        if p.startswith("overlays/")
    }
    for lab in sorted(labs):
        files = golden_render.lab_files(lab)
        denied = {
            p["metadata"]["namespace"]
            for p in _policies(files)
            if p["metadata"]["name"] == "default-deny-ingress"
            and p["spec"]
            == {
                "podSelector": {},
                "policyTypes": ["Ingress"],
            }
        }
        workloads = {
            doc["metadata"]["namespace"]
            for path, text in files.items()
            if path.split("/")[2].startswith(WORKLOAD_APPS) and path.endswith(".yaml")
            for doc in load_all_safe(text, path)
            if isinstance(doc, dict) and doc.get("metadata", {}).get("namespace")
        }
        assert workloads <= denied, f"{lab}: namespaces without a default deny"


def test_default_deny_isolates_what_no_flow_names(shipped_render: RenderedRepo) -> None:
    policies = Policies(_policies(shipped_render.lab_files("h100-llmd")))
    granite = Pod("llm", {"app.kubernetes.io/name": "vllm", "labgen.dev/model": "granite-8b"})
    ui = Pod("data", {"app.kubernetes.io/name": "open-webui", "app.kubernetes.io/component": "ui"})
    stranger = Pod("default", {"app": "curl"})
    assert policies.allows(ui, granite, 8000)
    assert not policies.allows(ui, granite, 8001)
    assert not policies.allows(stranger, granite, 8000)
    assert not policies.allows(None, granite, 8000)


PRECISE = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {name: precise}
spec:
  cluster: {platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}
  gitops: {repoURL: https://github.com/example/lab.git}
  versions: {"llm-d-router": {version: "VERSION"}}
  gpuPools:
    - {name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {min: 1, max: 4}}
  gateway: {className: istio}
  operators: {gpuOperator: {}, gatewayApi: {}, inferenceExtension: {}, monitoring: {}}
  models:
    - {name: m, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192,
       routing: precise-prefix-cache}
  benchmarks:
    - {name: b, target: m, profile: sweep, data: {promptTokens: 512, outputTokens: 256}}
"""


@pytest.mark.parametrize("epp", [row.since for row in EPP])
def test_every_call_between_a_models_pods_is_allowed(epp: str) -> None:
    """The serving objects of a precise-prefix-cache llm-d model (the EPP's render and
    KV-events endpoints differ by EPP generation) and its benchmark, under the lab's
    policies: every declared client and every in-cluster URL of the pods gets through."""
    plan = build_plan(parse_lab(PRECISE.replace("VERSION", epp), "lab.yaml"), "lab.yaml")
    model = plan.models[0]
    objects, _ = model_objects(plan, model, Versions.of(plan))
    flows = lab_flows(plan)
    policies = namespace_policies(
        model.namespace, [f for f in flows if f.target.namespace == model.namespace]
    )
    client = {
        "metadata": {"namespace": model.namespace, "name": "bench"},
        "kind": "Job",
        "spec": {"template": {"metadata": {"labels": {"labgen.dev/benchmark": "b"}}, "spec": {}}},
    }
    assert [f.message for _, f in network_rules([*objects, *policies, client])] == []
    # and without the policies' allow rules, the same calls are refused
    deny_only = [p for p in policies if p["metadata"]["name"] == "default-deny-ingress"]
    assert list(network_rules([*objects, *deny_only]))
