"""Metrics for lab workloads: user-workload monitoring on OpenShift, kube-prometheus-stack
elsewhere (configured to pick up every ServiceMonitor, PodMonitor and rule in the cluster).

On OpenShift user-workload monitoring is switched on in ConfigMap
``openshift-monitoring/cluster-monitoring-config``, whose one key ``config.yaml`` also
holds the cluster's retention, storage and alerting settings. labgen owns that ConfigMap
only when the spec gives its whole content (``clusterMonitoringConfig``); otherwise it
renders nothing for it and ``labgen plan`` tells the user what to set."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import (
    WAVE_OPERATORS,
    App,
    CatalogBase,
    Component,
    HelmSource,
    K8sObject,
    KustomizeSource,
    obj,
    webhook_ca_bundle_ignores,
)
from labgen.data.observability import GRAFANA_DASHBOARD_LABEL
from labgen.plan.model import LabPlan

KEY = "monitoring"
OPENSHIFT_NAMESPACE = "openshift-monitoring"
HELM_NAMESPACE = "monitoring"


def catalog() -> Iterator[CatalogBase]:
    yield from ()


def cluster_monitoring_config(plan: LabPlan) -> K8sObject:
    assert plan.cluster_monitoring_config is not None
    return obj(
        "v1",
        "ConfigMap",
        "cluster-monitoring-config",
        OPENSHIFT_NAMESPACE,
        data={"config.yaml": plan.cluster_monitoring_config},
    )


def helm_values(plan: LabPlan) -> dict[str, object]:
    nil_uses_helm_values = {
        f"{kind}SelectorNilUsesHelmValues": False
        for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")
    }
    return {
        "prometheus": {"prometheusSpec": {**nil_uses_helm_values, "retention": "15d"}},
        # The chart's Alertmanager config Secret would put a default config in git; without
        # it the operator provisions the same minimal config (one empty receiver), and a
        # Secret `alertmanager-kube-prometheus-stack-alertmanager` made out of band wins.
        "alertmanager": {"alertmanagerSpec": {"useExistingSecret": True}},
        # The charts set no requests: these are the ones their values.yaml files suggest.
        "prometheusOperator": {
            "resources": _requests("100m", "100Mi"),
            "admissionWebhooks": {"patch": {"resources": _requests("10m", "32Mi")}},
        },
        "kube-state-metrics": {"resources": _requests("10m", "32Mi")},
        "prometheus-node-exporter": {"resources": _requests("100m", "30Mi")},
        "grafana": grafana_values(plan),
    }


def _requests(cpu: str, memory: str) -> dict[str, object]:
    return {"requests": {"cpu": cpu, "memory": memory}}


def grafana_values(plan: LabPlan) -> dict[str, object]:
    """The chart's Grafana, on when spec.observability wants dashboards. Its sidecar loads
    ConfigMaps labelled ``grafana_dashboard: "1"`` from the release namespace, where the
    observability component puts them (label and namespace spelled out, not left to the
    chart's defaults)."""
    obs = plan.observability
    if obs is None or not obs.grafana:
        return {"enabled": False}
    key, value = GRAFANA_DASHBOARD_LABEL
    values: dict[str, object] = {
        "enabled": True,
        "resources": _requests("100m", "128Mi"),
        "sidecar": {
            "dashboards": {"enabled": True, "label": key, "labelValue": value},
            "resources": _requests("50m", "50Mi"),
        },
    }
    if obs.grafana_admin_secret is not None:
        values["admin"] = {
            "existingSecret": obs.grafana_admin_secret,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        }
    return values


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    if plan.openshift:
        if plan.cluster_monitoring_config is not None:
            source = KustomizeSource(objects=(cluster_monitoring_config(plan),))
            yield App(KEY, WAVE_OPERATORS, OPENSHIFT_NAMESPACE, source)
        return
    release = plan.releases["kube-prometheus-stack"]
    assert release.helm is not None
    yield App(
        KEY,
        WAVE_OPERATORS,
        HELM_NAMESPACE,
        HelmSource(release.helm, "kube-prometheus-stack", helm_values(plan)),
        create_namespace=True,
        ignore_differences=webhook_ca_bundle_ignores(),
        extra_namespaces=("kube-system",),
    )


COMPONENT = Component(KEY, catalog, apps)
