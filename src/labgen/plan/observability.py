"""spec.observability -> ObservabilityPlan: defaults and the operators it depends on."""

from __future__ import annotations

from collections.abc import Callable

from labgen.data.platforms import PLATFORMS
from labgen.errors import PathPart
from labgen.plan.model import ObservabilityPlan
from labgen.spec import Lab
from labgen.yamlio import dump_data

Report = Callable[[tuple[PathPart, ...], str], None]


def resolve_observability(
    lab: Lab, operators: frozenset[str], error: Report
) -> ObservabilityPlan | None:
    spec = lab.spec.observability
    if spec is None:
        return None
    at: tuple[PathPart, ...] = ("spec", "observability")
    if "monitoring" not in operators:
        error(
            at,
            "dashboards and alerts read the lab's Prometheus: add `monitoring: {}` to "
            "spec.operators",
        )
    gpu_operator = lab.spec.operators.gpuOperator
    exporter_runs = gpu_operator is not None and gpu_operator.dcgmExporter
    if spec.dcgmExporter and not exporter_runs:
        why = (
            "spec.operators.gpuOperator has dcgmExporter: false"
            if gpu_operator is not None
            else "there is no spec.operators.gpuOperator"
        )
        error(
            (*at, "dcgmExporter"),
            f"GPU metrics come from the GPU Operator's DCGM exporter, but {why}",
        )
    if spec.logs == "loki":
        error(
            (*at, "logs"),
            "loki is not supported yet (labgen does not install a log store); use `none`",
        )
    chart = PLATFORMS[lab.spec.cluster.platform].monitoring.installed_by_labgen
    if spec.grafanaAdminSecret is not None and not chart:  # the chart's Grafana
        error(
            (*at, "grafanaAdminSecret"),
            "only used on Kubernetes (kube-prometheus-stack's Grafana); OpenShift gets the "
            "dashboards as ConfigMaps",
        )
    return ObservabilityPlan(
        grafana=spec.grafana,
        grafana_admin_secret=spec.grafanaAdminSecret,
        gpu_metrics=spec.dcgmExporter if spec.dcgmExporter is not None else exporter_runs,
        alerts=spec.alerts,
        ttft_slo_seconds=spec.slo.ttftSeconds,
        itl_slo_seconds=spec.slo.itlSeconds,
    )


def resolve_cluster_monitoring_config(lab: Lab, error: Report) -> str | None:
    """The ``config.yaml`` of OpenShift's ``cluster-monitoring-config`` when the spec owns
    it (``spec.operators.monitoring.clusterMonitoringConfig``)."""
    options = lab.spec.operators.monitoring
    if options is None or options.clusterMonitoringConfig is None:
        return None
    at: tuple[PathPart, ...] = ("spec", "operators", "monitoring", "clusterMonitoringConfig")
    config = options.clusterMonitoringConfig
    if PLATFORMS[lab.spec.cluster.platform].monitoring.config_map is None:
        error(at, "only OpenShift has cluster-monitoring-config: drop this field")
    elif config.get("enableUserWorkload") is not True:
        error(
            at,
            "the lab's ServiceMonitors, PodMonitors and rules need user-workload "
            "monitoring: set `enableUserWorkload: true`",
        )
    return dump_data(config)
