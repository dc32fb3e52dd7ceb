"""Facts the observability component builds monitors, dashboards and alerts from.

Metric names that change between releases are keyed by version like the serving tables
(:func:`labgen.data.serving.generation`): vLLM's live in :data:`labgen.data.serving.VLLM`,
the endpoint picker's here.

Sources:
- EPP metrics: llm-d-router ``pkg/epp/metrics/metrics.go`` (the GIE-era
  ``inference_objective_*``, ``inference_pool_*`` and ``inference_extension_*`` families)
  and ``llm_d_router_metrics.go`` (their ``llm_d_epp_*`` replacements, dual-written from
  llm-d-router v0.9.0: llm-d/llm-d-router PRs #1071 and #1661, verified against the v0.9.0
  release in llm-d/llm-d-autoscaling#1202; the legacy families are removed after that,
  PR #2826).
- DCGM exporter: NVIDIA/gpu-operator ``assets/state-dcgm-exporter/`` (Service
  ``nvidia-dcgm-exporter``, port ``gpu-metrics`` 9400, the operator's own ServiceMonitor
  selecting ``app: nvidia-dcgm-exporter``); field names from DCGM's default counters.
- CloudNativePG: every instance pod carries ``cnpg.io/podRole: instance`` (poolers carry
  ``cnpg.io/cluster`` too, but not that role) and serves metrics on port ``metrics``
  (9187).
- kube-state-metrics: ``kube_job_failed{condition="true"}`` is 1 once a Job has the
  ``Failed`` condition (``internal/store/job.go``).
- Grafana sidecar (kube-prometheus-stack's Grafana subchart): dashboards are ConfigMaps
  labelled ``grafana_dashboard: "1"``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EppMetrics:
    """Metric names of the endpoint picker (EPP) from one release on."""

    since: str
    requests: str
    """Counter of requests per ``model_name``/``target_model_name``."""
    errors: str
    """Counter of failed requests, with ``error_code``."""
    duration: str
    """Histogram of request latency as the EPP sees it."""
    ready_endpoints: str
    """Gauge of ready model-server endpoints per InferencePool (label ``name``)."""
    kv_cache: str
    """Gauge of the pool's average KV-cache utilization (label ``name``)."""
    queue: str
    """Gauge of the pool's average waiting queue (label ``name``)."""
    scheduler_duration: str
    """Histogram of the scheduler's end-to-end decision time."""
    until: str | None = None


EPP_METRICS: tuple[EppMetrics, ...] = (
    EppMetrics(
        "v0.5.0",
        until="v0.9.0",
        requests="inference_objective_request_total",
        errors="inference_objective_request_error_total",
        duration="inference_objective_request_duration_seconds",
        ready_endpoints="inference_pool_ready_pods",
        kv_cache="inference_pool_average_kv_cache_utilization",
        queue="inference_pool_average_queue_size",
        scheduler_duration="inference_extension_scheduler_e2e_duration_seconds",
    ),
    EppMetrics(
        "v0.9.0",
        requests="llm_d_epp_request_total",
        errors="llm_d_epp_request_error_total",
        duration="llm_d_epp_request_duration_seconds",
        ready_endpoints="llm_d_epp_ready_endpoints",
        kv_cache="llm_d_epp_average_kv_cache_utilization",
        queue="llm_d_epp_average_queue_size",
        scheduler_duration="llm_d_epp_scheduler_e2e_duration_seconds",
    ),
)


@dataclass(frozen=True)
class DcgmFacts:
    service: str = "nvidia-dcgm-exporter"
    service_label: tuple[str, str] = ("app", "nvidia-dcgm-exporter")
    port: str = "gpu-metrics"
    gpu_util: str = "DCGM_FI_DEV_GPU_UTIL"
    """GPU utilization, percent."""
    fb_used: str = "DCGM_FI_DEV_FB_USED"
    """Framebuffer memory used, MiB."""
    fb_free: str = "DCGM_FI_DEV_FB_FREE"
    """Framebuffer memory free, MiB."""
    power: str = "DCGM_FI_DEV_POWER_USAGE"
    """Power draw, W."""
    temperature: str = "DCGM_FI_DEV_GPU_TEMP"
    """GPU temperature, degrees C."""
    xid: str = "DCGM_FI_DEV_XID_ERRORS"
    """Value of the last Xid error (0: none)."""


DCGM = DcgmFacts()

CNPG_INSTANCE_LABEL = ("cnpg.io/podRole", "instance")
CNPG_METRICS_PORT = "metrics"

GRAFANA_DASHBOARD_LABEL = ("grafana_dashboard", "1")
"""Label kube-prometheus-stack's Grafana sidecar loads dashboards from (its default)."""

POOL_METRIC_LABEL = "gpu_pool"
"""Label labgen's DCGM ServiceMonitor copies from the node's ``labgen.dev/gpu-pool``."""
