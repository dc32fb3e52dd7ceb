"""Grafana dashboards built as data from the plan: vLLM per model, GPUs per pool, llm-d
routing per InferencePool.

Each dashboard is a dict in Grafana's dashboard JSON model (schemaVersion 39) with a
`datasource` variable (any Prometheus data source) and a custom variable listing the lab's
models or pools, so one file serves the whole lab and needs no query against Prometheus
to fill its menus. :func:`to_json` serializes it byte-stably (sorted keys, fixed indent).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labgen.components.observability import targets
from labgen.data.observability import DCGM, POOL_METRIC_LABEL, EppMetrics
from labgen.data.serving import VllmGeneration
from labgen.plan.model import LabPlan

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
WIDTH = 24
HEIGHT = 8
RATE = "5m"

Json = dict[str, Any]


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str
    description: str
    threshold: float | None = None
    """Drawn as a red line (an SLO)."""


def to_json(dashboard: Json) -> str:
    return json.dumps(dashboard, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def uid(lab: str, kind: str) -> str:
    """Stable dashboard uid within Grafana's 40 characters."""
    return f"labgen-{hashlib.sha256(f'{lab}/{kind}'.encode()).hexdigest()[:16]}"


def _quantiles(metric: str, selector: str) -> tuple[Query, ...]:
    return tuple(
        Query(
            f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{{{selector}}}[{RATE}])))",
            f"p{round(q * 100)}",
        )
        for q in (0.5, 0.95, 0.99)
    )


def vllm_panels(vllm: VllmGeneration, ttft_slo: float, itl_slo: float) -> list[Panel]:
    sel = 'job="$model"'
    return [
        Panel(
            "Time to first token",
            _quantiles(vllm.ttft_metric, sel),
            "s",
            f"{vllm.ttft_metric}; the red line is the lab's p95 SLO.",
            ttft_slo,
        ),
        Panel(
            "Inter-token latency",
            _quantiles(vllm.itl_metric, sel),
            "s",
            f"{vllm.itl_metric}; the red line is the lab's p95 SLO.",
            itl_slo,
        ),
        Panel(
            "End-to-end request latency",
            _quantiles(vllm.e2e_metric, sel),
            "s",
            vllm.e2e_metric,
        ),
        Panel(
            "Requests finished",
            (
                Query(
                    f"sum by (finished_reason) (rate(vllm:request_success_total{{{sel}}}[{RATE}]))",
                    "{{finished_reason}}",
                ),
            ),
            "reqps",
            "Requests per second by finish reason (stop, length, abort).",
        ),
        Panel(
            "Token throughput",
            (
                Query(f"sum(rate(vllm:prompt_tokens_total{{{sel}}}[{RATE}]))", "prompt"),
                Query(f"sum(rate(vllm:generation_tokens_total{{{sel}}}[{RATE}]))", "generated"),
            ),
            "short",
            "Prompt (prefill) and generated tokens per second, all replicas.",
        ),
        Panel(
            "Scheduler queue",
            (
                Query(f"sum({vllm.running_metric}{{{sel}}})", "running"),
                Query(f"sum({vllm.waiting_metric}{{{sel}}})", "waiting"),
            ),
            "short",
            "Requests in the running batch and waiting for a slot, all replicas.",
        ),
        Panel(
            "KV-cache usage",
            (Query(f"max by (pod) ({vllm.kv_usage_metric}{{{sel}}})", "{{pod}}"),),
            "percentunit",
            f"{vllm.kv_usage_metric} per pod; near 1, requests queue or get preempted.",
        ),
        Panel(
            "Prefix-cache hit rate",
            (
                Query(
                    f"sum(rate({vllm.prefix_hits_metric}{{{sel}}}[{RATE}])) / "
                    f"sum(rate({vllm.prefix_queries_metric}{{{sel}}}[{RATE}]))",
                    "hit rate",
                ),
            ),
            "percentunit",
            "Share of prompt tokens served from the prefix cache.",
        ),
    ]


def gpu_panels() -> list[Panel]:
    sel = f'{POOL_METRIC_LABEL}="$pool"'
    per_gpu = "{{Hostname}} GPU {{gpu}}"
    return [
        Panel(
            "GPU utilization",
            (Query(f"{DCGM.gpu_util}{{{sel}}}", per_gpu),),
            "percent",
            f"{DCGM.gpu_util}: time the GPU was busy.",
        ),
        Panel(
            "GPU memory used",
            (
                Query(
                    f"{DCGM.fb_used}{{{sel}}} / "
                    f"({DCGM.fb_used}{{{sel}}} + {DCGM.fb_free}{{{sel}}})",
                    per_gpu,
                ),
            ),
            "percentunit",
            f"{DCGM.fb_used} / ({DCGM.fb_used} + {DCGM.fb_free}); vLLM reserves "
            "--gpu-memory-utilization of it at start.",
        ),
        Panel(
            "GPU memory free",
            (Query(f"{DCGM.fb_free}{{{sel}}}", per_gpu),),
            "decmbytes",
            f"{DCGM.fb_free} (MiB).",
        ),
        Panel(
            "Power",
            (Query(f"{DCGM.power}{{{sel}}}", per_gpu),),
            "watt",
            f"{DCGM.power}.",
        ),
        Panel(
            "Temperature",
            (Query(f"{DCGM.temperature}{{{sel}}}", per_gpu),),
            "celsius",
            f"{DCGM.temperature}.",
        ),
        Panel(
            "Xid errors",
            (Query(f"{DCGM.xid}{{{sel}}}", per_gpu),),
            "none",
            f"{DCGM.xid}: the last Xid the driver reported (0: none). See docs/observability.md.",
        ),
    ]


def epp_panels(epp: EppMetrics) -> list[Panel]:
    job = 'job="$pool-epp"'
    pool = f'{job}, name="$pool"'
    return [
        Panel(
            "Requests routed",
            (
                Query(
                    "sum by (model_name, target_model_name) "
                    f"(rate({epp.requests}{{{job}}}[{RATE}]))",
                    "{{model_name}} -> {{target_model_name}}",
                ),
            ),
            "reqps",
            epp.requests,
        ),
        Panel(
            "Routing errors",
            (
                Query(
                    f"sum by (error_code) (rate({epp.errors}{{{job}}}[{RATE}]))",
                    "{{error_code}}",
                ),
            ),
            "reqps",
            epp.errors,
        ),
        Panel(
            "Request latency at the EPP",
            _quantiles(epp.duration, job),
            "s",
            epp.duration,
        ),
        Panel(
            "Scheduling decision time",
            _quantiles(epp.scheduler_duration, job),
            "s",
            epp.scheduler_duration,
        ),
        Panel(
            "Ready endpoints",
            (Query(f"max({epp.ready_endpoints}{{{pool}}})", "ready"),),
            "short",
            epp.ready_endpoints,
        ),
        Panel(
            "Pool KV-cache utilization and queue",
            (
                Query(f"max({epp.kv_cache}{{{pool}}})", "KV cache (avg of endpoints)"),
                Query(f"max({epp.queue}{{{pool}}})", "waiting (avg of endpoints)"),
            ),
            "short",
            f"{epp.kv_cache} and {epp.queue}: what the scorers see.",
        ),
    ]


def _panel_json(panel: Panel, index: int) -> Json:
    thresholds: Json = {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
    custom: Json = {"lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
    if panel.threshold is not None:
        thresholds["steps"].append({"color": "red", "value": panel.threshold})
        custom["thresholdsStyle"] = {"mode": "line"}
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {
            "x": (index % 2) * WIDTH // 2,
            "y": (index // 2) * HEIGHT,
            "w": WIDTH // 2,
            "h": HEIGHT,
        },
        "fieldConfig": {
            "defaults": {"unit": panel.unit, "custom": custom, "thresholds": thresholds},
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": q.expr,
                "legendFormat": q.legend,
            }
            for i, q in enumerate(panel.queries)
        ],
    }


def _choice(name: str, label: str, options: Sequence[tuple[str, str]]) -> Json:
    """A custom variable whose options are known when rendering (text, value)."""
    first_text, first_value = options[0]
    return {
        "name": name,
        "label": label,
        "type": "custom",
        "query": ",".join(f"{text} : {value}" for text, value in options),
        "current": {"text": first_text, "value": first_value, "selected": True},
        "options": [
            {"text": text, "value": value, "selected": i == 0}
            for i, (text, value) in enumerate(options)
        ],
        "hide": 0,
        "multi": False,
        "includeAll": False,
    }


def dashboard(lab: str, kind: str, title: str, panels: Sequence[Panel], variable: Json) -> Json:
    return {
        "uid": uid(lab, kind),
        "title": f"{lab} / {title}",
        "tags": ["labgen", lab],
        "editable": True,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "timezone": "browser",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "hide": 0,
                },
                variable,
            ]
        },
        "panels": [_panel_json(p, i) for i, p in enumerate(panels)],
    }


def dashboards(plan: LabPlan) -> dict[str, Json]:
    """kind -> dashboard, for what the lab has (models, GPU metrics, EPP monitors)."""
    obs = plan.observability
    assert obs is not None
    out: dict[str, Json] = {}
    versions = targets.versions(plan)
    models = targets.scraped_models(plan)
    if models:
        options = [(m.name, targets.vllm_job(m)) for m in models]
        out["vllm"] = dashboard(
            plan.name,
            "vllm",
            "vLLM",
            vllm_panels(versions.vllm, obs.ttft_slo_seconds, obs.itl_slo_seconds),
            _choice("model", "Model", options),
        )
    if obs.gpu_metrics and plan.pools:
        options = [(p.name, p.name) for p in plan.pools]
        out["gpus"] = dashboard(
            plan.name, "gpus", "GPUs", gpu_panels(), _choice("pool", "GPU pool", options)
        )
    routed = targets.epp_models(plan)
    if routed:
        options = [(m.name, m.name) for m in routed]
        out["epp"] = dashboard(
            plan.name,
            "epp",
            "llm-d routing",
            epp_panels(targets.epp_metrics(plan)),
            _choice("pool", "InferencePool", options),
        )
    return out
