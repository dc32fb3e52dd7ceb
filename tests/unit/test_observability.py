"""Observability: metric names follow the pinned vLLM and EPP versions, every PromQL
expression parses, dashboards are byte-stable Grafana JSON, every alert links to a runbook
section that exists, and the GPU Operator's own DCGM monitor gives way to labgen's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest

from labgen.components import gpu_operator, monitoring, observability
from labgen.components.observability import alerts, dashboards
from labgen.data.observability import EPP_METRICS
from labgen.data.serving import generation
from labgen.plan import build_plan
from labgen.plan.model import LabPlan
from labgen.spec import parse_lab

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{name: obs}}
spec:
  cluster: {cluster}
  gitops: {{repoURL: {repo}}}
  versions: {versions}
  gpuPools:
    - {{name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {{min: 1, max: 2}}}}
  gateway: {{className: istio}}
  operators:
    {{gpuOperator: {{}}, nfd: {{}}, gatewayApi: {{}}, inferenceExtension: {{}}, cnpg: {{}},
     monitoring: {{}}}}
  models:
    - {{name: small, model: Qwen/Qwen3-8B, server: vllm, pool: h100, maxModelLen: 8192}}
    - {{name: routed, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192,
       routing: load}}
  benchmarks:
    - {{name: sweep, target: small, data: {{promptTokens: 128, outputTokens: 64}}}}
  observability: {observability}
"""
KUBERNETES = '{platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}'
OPENSHIFT = (
    '{platform: openshift, provider: aws, kubernetesVersion: "1.33", region: us-east-2, '
    "zones: [us-east-2a], infrastructureId: obs-x1, machineImage: ami-0c8a1b2c3d4e5f607}"
)


def plan_of(
    *,
    cluster: str = KUBERNETES,
    observability: str = "{}",
    repo: str = "https://github.com/example/lab.git",
    **versions: str,
) -> LabPlan:
    pinned = json.dumps({key: {"version": value} for key, value in versions.items()})
    text = SPEC.format(cluster=cluster, observability=observability, repo=repo, versions=pinned)
    return build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")


def rule_exprs(plan: LabPlan) -> list[str]:
    return [
        rule["expr"]
        for item in alerts.rules(plan)
        for group in item["spec"]["groups"]
        for rule in group["rules"]
    ]


def dashboard_exprs(plan: LabPlan) -> list[str]:
    return [
        target["expr"]
        for board in dashboards.dashboards(plan).values()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def all_text(plan: LabPlan) -> str:
    return "\n".join(rule_exprs(plan) + dashboard_exprs(plan))


@pytest.mark.parametrize(
    ("version", "current", "gone"),
    [
        (
            "v0.30.0",
            ["vllm:kv_cache_usage_perc", "vllm:inter_token_latency_seconds_bucket",
             "vllm:prefix_cache_hits_total"],
            ["vllm:gpu_cache_usage_perc", "vllm:time_per_output_token_seconds",
             "vllm:gpu_prefix_cache"],
        ),
        (
            "v0.8.5",
            ["vllm:gpu_cache_usage_perc", "vllm:time_per_output_token_seconds_bucket",
             "vllm:gpu_prefix_cache_hits_total"],
            ["vllm:kv_cache_usage_perc", "vllm:inter_token_latency_seconds",
             "vllm:prefix_cache_hits_total"],
        ),
    ],
)  # fmt: skip
def test_vllm_metric_names_follow_the_pinned_version(
    version: str, current: list[str], gone: list[str]
) -> None:
    text = all_text(plan_of(vllm=version))
    for name in current:
        assert name in text
    for name in gone:
        assert not re.search(re.escape(name) + r"[{_]", text), name


def test_epp_metric_names_follow_the_pinned_router() -> None:
    assert generation(EPP_METRICS, "v0.10.0").requests == "llm_d_epp_request_total"
    assert generation(EPP_METRICS, "v0.5.0").requests == "inference_objective_request_total"
    epp = dashboards.dashboards(plan_of())["epp"]
    exprs = [t["expr"] for p in epp["panels"] for t in p["targets"]]
    assert any("llm_d_epp_ready_endpoints" in e for e in exprs)
    assert not any("inference_pool_" in e for e in exprs)


def test_epp_dashboard_only_when_serving_scrapes_the_epp() -> None:
    # the v0.5 EPP's metrics need a token; serving renders no ServiceMonitor for it
    assert "epp" not in dashboards.dashboards(plan_of(**{"llm-d-router": "v0.5.0"}))


@pytest.mark.parametrize("cluster", [KUBERNETES, OPENSHIFT])
def test_every_expression_parses(cluster: str) -> None:
    plan = plan_of(cluster=cluster)
    exprs = rule_exprs(plan) + dashboard_exprs(plan)
    assert len(exprs) > 20
    for expr in exprs:
        promql_parser.parse(expr.replace("$model", "x").replace("$pool", "x"))


def test_alerts_cover_models_benchmarks_and_gpus() -> None:
    plan = plan_of(observability="{slo: {ttftSeconds: 1.5, itlSeconds: 0.05}}")
    rules = {
        (r["alert"], r["labels"].get("model")): r
        for item in alerts.rules(plan)
        for g in item["spec"]["groups"]
        for r in g["rules"]
    }
    for model in ("small", "routed"):
        assert rules[("VllmTtftOverSlo", model)]["expr"].endswith("> 1.5")
        assert f'job="llm/{model}"' in rules[("VllmTtftOverSlo", model)]["expr"]
        assert rules[("VllmItlOverSlo", model)]["expr"].endswith("> 0.05")
    assert 'job_name=~"(bench|mx)-.+"' in rules[("LabgenBenchmarkJobFailed", None)]["expr"]
    assert rules[("GpuXidError", None)]["labels"]["severity"] == "critical"


def test_every_alert_has_a_runbook_section() -> None:
    doc = (ROOT / alerts.DOC).read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in doc.splitlines()
        if line.startswith("#")
    }
    plan = plan_of()
    for item in alerts.rules(plan):
        for group in item["spec"]["groups"]:
            for rule in group["rules"]:
                url = rule["annotations"]["runbook_url"]
                assert url.startswith("https://github.com/example/lab/blob/HEAD/docs/")
                assert url.rsplit("#", 1)[1] in anchors, rule["alert"]
                assert rule["annotations"]["summary"]
                assert rule["annotations"]["description"]


@pytest.mark.parametrize(
    ("repo", "url"),
    [
        ("git@github.com:org/lab.git", "https://github.com/org/lab/blob/HEAD/docs/"),
        ("ssh://git@example.com/lab.git", "docs/"),
    ],
)
def test_runbook_links_for_other_remotes(repo: str, url: str) -> None:
    assert alerts.runbook_url(plan_of(repo=repo), "GpuXidError") == (
        f"{url}observability.md#gpuxiderror"
    )


def test_dashboards_are_byte_stable_json_in_labelled_config_maps() -> None:
    first = observability.dashboard_config_maps(plan_of())
    second = observability.dashboard_config_maps(plan_of())
    assert first == second
    assert [c["metadata"]["name"] for c in first] == [
        "labgen-obs-vllm",
        "labgen-obs-gpus",
        "labgen-obs-epp",
    ]
    for config_map in first:
        assert config_map["metadata"]["labels"] == {"grafana_dashboard": "1"}
        assert config_map["metadata"]["namespace"] == "monitoring"
        (text,) = config_map["data"].values()
        board: dict[str, Any] = json.loads(text)
        assert dashboards.to_json(board) == text
        assert len(board["uid"]) <= 40
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))


def test_pool_and_model_menus_come_from_the_plan() -> None:
    boards = dashboards.dashboards(plan_of())
    model = boards["vllm"]["templating"]["list"][1]
    assert model["query"] == "small : llm/small,routed : llm/routed"
    pool = boards["gpus"]["templating"]["list"][1]
    assert [o["value"] for o in pool["options"]] == ["h100"]


def test_labgen_dcgm_monitor_replaces_the_operators() -> None:
    on = plan_of()
    off = plan_of(observability="{dcgmExporter: false}")
    assert on.gpu_operator is not None
    assert off.gpu_operator is not None
    values = gpu_operator.helm_values(on, on.gpu_operator)
    assert values["dcgmExporter"]["serviceMonitor"] == {"enabled": False}
    values = gpu_operator.helm_values(off, off.gpu_operator)
    assert values["dcgmExporter"]["serviceMonitor"] == {"enabled": True}
    kinds = {(o["kind"], o["metadata"]["name"]) for o in observability.objects(on)}
    assert ("ServiceMonitor", "labgen-dcgm-exporter") in kinds
    assert not any(k == "ServiceMonitor" for k, _ in {
        (o["kind"], o["metadata"]["name"]) for o in observability.objects(off)
    })  # fmt: skip
    monitor = next(o for o in observability.objects(on) if o["kind"] == "ServiceMonitor")
    relabel = monitor["spec"]["endpoints"][0]["relabelings"][0]
    assert relabel["sourceLabels"] == ["__meta_kubernetes_node_label_labgen_dev_gpu_pool"]
    assert monitor["spec"]["attachMetadata"] == {"node": True}


def test_grafana_turns_on_with_dashboards_only() -> None:
    assert monitoring.grafana_values(plan_of())["enabled"] is True
    assert monitoring.grafana_values(plan_of(observability="{grafana: false}")) == {
        "enabled": False
    }
    secret = monitoring.grafana_values(plan_of(observability="{grafanaAdminSecret: gf}"))
    assert secret["admin"] == {
        "existingSecret": "gf",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }


def test_openshift_places_rules_where_their_prometheus_runs() -> None:
    plan = plan_of(cluster=OPENSHIFT)
    where = {
        (o["kind"], o["metadata"]["name"]): o["metadata"].get("namespace")
        for o in observability.objects(plan)
    }
    assert where[("PrometheusRule", "labgen-obs-llm")] == "llm"
    assert where[("PrometheusRule", "labgen-obs-gpus")] == "nvidia-gpu-operator"
    assert where[("ServiceMonitor", "labgen-dcgm-exporter")] == "nvidia-gpu-operator"
    assert where[("PodMonitor", "labgen-cnpg-llm")] == "llm"
    assert where[("ClusterRoleBinding", "labgen-obs-prometheus-nodes")] is None
    assert where[("ConfigMap", "labgen-obs-vllm")] == "labgen-observability"
