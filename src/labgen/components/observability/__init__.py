"""Observability (`spec.observability`): dashboards, alerts and the scrape targets serving
does not render, in one Application synced after serving and before benchmarks (so the
benchmark alert exists when the Jobs run).

- Monitors: the DCGM exporter with the node's GPU pool as a label (replacing the GPU
  Operator's own ServiceMonitor), CloudNativePG instances. vLLM and EPP monitors come
  with each model (components/serving).
- Dashboards: Grafana JSON built as data (dashboards.py), in ConfigMaps labelled for
  kube-prometheus-stack's Grafana sidecar; on OpenShift the same ConfigMaps, to import
  (labgen installs no Grafana there).
- Alerts: PrometheusRules (alerts.py) with runbooks in docs/observability.md.
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, Component, K8sObject, KustomizeSource, obj
from labgen.components.observability import alerts, dashboards, targets
from labgen.data.observability import GRAFANA_DASHBOARD_LABEL
from labgen.plan.model import LabPlan

KEY = "observability"
WAVE_OBSERVABILITY = 15
"""After serving (10), whose namespaces it writes to, before benchmarks (20)."""


def dashboard_config_maps(plan: LabPlan) -> list[K8sObject]:
    key, value = GRAFANA_DASHBOARD_LABEL
    return [
        obj(
            "v1",
            "ConfigMap",
            f"labgen-{plan.name}-{kind}",
            targets.dashboard_namespace(plan),
            labels={key: value},
            data={f"{plan.name}-{kind}.json": dashboards.to_json(board)},
        )
        for kind, board in dashboards.dashboards(plan).items()
    ]


def objects(plan: LabPlan) -> list[K8sObject]:
    obs = plan.observability
    assert obs is not None
    out: list[K8sObject] = []
    if obs.gpu_metrics:
        out.append(targets.dcgm_monitor(plan))
        account = plan.platform.monitoring.prometheus_account
        if account is not None:
            out += targets.prometheus_access(plan, account)
    # A lab's own databases carry a PodMonitor per cluster and pooler (databases.py); the
    # role-wide monitors are for CloudNativePG clusters made outside labgen, and would
    # scrape those twice.
    if plan.has("cnpg") and not plan.databases:
        out += targets.cnpg_monitors(plan)
    if obs.grafana:
        out += dashboard_config_maps(plan)
    if obs.alerts:
        out += alerts.rules(plan)
    return out


def apps(plan: LabPlan) -> Iterator[App]:
    if plan.observability is None:
        return
    items = objects(plan)
    if not items:
        return
    home = targets.dashboard_namespace(plan)
    namespaces = {o["metadata"].get("namespace") for o in items}
    others = sorted(ns for ns in namespaces if ns is not None and ns != home)
    yield App(
        KEY,
        WAVE_OBSERVABILITY,
        home,
        KustomizeSource(objects=tuple(items)),
        # the chart's namespace is its Application's; a namespace of labgen's own is ours
        create_namespace=home != plan.platform.monitoring.namespace,
        extra_namespaces=tuple(others),
    )


COMPONENT = Component(KEY, apps=apps)
