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
    K8sObject,
    KustomizeSource,
    obj,
)
from labgen.components.operators import helm_operator_app
from labgen.data.observability import GRAFANA_DASHBOARD_LABEL
from labgen.plan.model import LabPlan

KEY = "monitoring"
CHART = "kube-prometheus-stack"


def catalog() -> Iterator[CatalogBase]:
    yield from ()


def cluster_monitoring_config(namespace: str, name: str, config: str) -> K8sObject:
    """The platform stack's settings ConfigMap with the ``config.yaml`` the spec owns."""
    return obj("v1", "ConfigMap", name, namespace, data={"config.yaml": config})


def helm_values(plan: LabPlan) -> dict[str, object]:
    nil_uses_helm_values = {f"{kind}SelectorNilUsesHelmValues": False for kind in _SELECTED}
    one_node = plan.single_node is not None
    prometheus: dict[str, object] = {**nil_uses_helm_values, "retention": "15d"}
    if one_node:  # one Prometheus, the chart's default said out loud, a short retention
        prometheus |= {"retention": "3d", "replicas": 1}
    values: dict[str, object] = {
        "prometheus": {"prometheusSpec": prometheus},
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
    if one_node:
        # No Alertmanager (alerts still fire in Prometheus and show in Grafana), and no
        # monitors of the control plane's separate components: k3s runs the scheduler,
        # controller manager, proxy and datastore in one process, so the chart's monitors
        # would find no targets and their rules fire *Down alerts forever.
        values |= {"alertmanager": {"enabled": False}}
        values |= {component: {"enabled": False} for component in _EMBEDDED}
    return values


_SELECTED = ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")
_EMBEDDED = ("kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd")


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
    public = plan.exposure.app_route("grafana") if plan.exposure else None
    if public is not None:  # behind the lab's Gateway: redirects and links use its URL
        values["grafana.ini"] = {"server": {"domain": public.host, "root_url": public.url}}
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
    stack = plan.platform.monitoring
    if stack.installed_by_labgen:
        yield helm_operator_app(
            plan,
            CHART,
            stack.namespace,
            CHART,
            helm_values(plan),
            extra_namespaces=("kube-system",),
            component=KEY,
        )
        return
    config = plan.cluster_monitoring_config
    if stack.config_map is not None and config is not None:
        objects = (cluster_monitoring_config(stack.namespace, stack.config_map, config),)
        yield App(KEY, WAVE_OPERATORS, stack.namespace, KustomizeSource(objects=objects))


COMPONENT = Component(KEY, catalog, apps)
