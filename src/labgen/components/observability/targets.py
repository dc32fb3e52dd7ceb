"""What Prometheus scrapes: the monitors serving renders (read here, never rebuilt) and the
ones observability adds (DCGM with the pool label, CloudNativePG instances).

Serving owns the vLLM PodMonitors (one per vllm or llm-d model, named like the model, so
Prometheus labels its series ``job="<namespace>/<model>"``) and the EPP ServiceMonitor
(for EPP releases whose metrics need no token; its series carry ``job="<model>-epp"``).
KServe models have no monitor yet, so no dashboard row or alert either.
"""

from __future__ import annotations

from labgen.components import gpu_operator
from labgen.components.base import K8sObject, obj
from labgen.components.serving import kinds
from labgen.components.serving.common import Versions
from labgen.data.observability import (
    CNPG_INSTANCE_LABEL,
    CNPG_METRICS_PORT,
    DCGM,
    EPP_METRICS,
    POOL_METRIC_LABEL,
    EppMetrics,
)
from labgen.data.serving import generation
from labgen.plan.model import POOL_LABEL, LabPlan, ModelPlan

DCGM_MONITOR = "labgen-dcgm-exporter"
CNPG_MONITOR = "labgen-cnpg"
INTERVAL = "15s"


def versions(plan: LabPlan) -> Versions:
    return Versions.of(plan)


def scraped_models(plan: LabPlan) -> list[ModelPlan]:
    """Models whose vLLM pods serving's PodMonitor scrapes."""
    return kinds.having(plan, "vllm")


def vllm_job(model: ModelPlan) -> str:
    """The ``job`` label of the model's vLLM series (PodMonitor ``<namespace>/<name>``)."""
    return f"{model.namespace}/{model.name}"


def epp_models(plan: LabPlan) -> list[ModelPlan]:
    """llm-d models whose EPP serving exposes to Prometheus (a ServiceMonitor)."""
    if versions(plan).epp.metrics_auth_flag is None:
        return []
    return kinds.having(plan, "epp")


def epp_metrics(plan: LabPlan) -> EppMetrics:
    return generation(EPP_METRICS, plan.releases["llm-d-router"].version)


def lab_namespaces(plan: LabPlan) -> list[str]:
    """Namespaces the lab's models and benchmarks run in: they exist (created by serving,
    wave 10) before the observability Application (wave 15) writes into them."""
    benchmarks = {b.namespace for b in plan.benchmarks}
    return sorted({m.namespace for m in plan.models} | benchmarks)


def matrix_only_namespaces(plan: LabPlan) -> list[str]:
    """Namespaces only the matrices Application (wave 20) creates: what the lab monitors
    there is rendered by that Application, since observability syncs before they exist."""
    return sorted({m.namespace for m in plan.matrices} - set(lab_namespaces(plan)))


def gpu_operator_namespace(plan: LabPlan) -> str:
    return gpu_operator.OPERATOR.namespace(plan)


def dashboard_namespace(plan: LabPlan) -> str:
    """Where dashboards (and the Application's destination) live: kube-prometheus-stack's
    namespace, whose Grafana loads them, or labgen's own namespace on OpenShift."""
    return plan.platform.monitoring.dashboards_namespace


def dcgm_monitor(plan: LabPlan) -> K8sObject:
    """Scrapes the GPU Operator's DCGM exporter like the operator's own ServiceMonitor
    (which labgen then turns off), plus the node's pool as the ``gpu_pool`` label:
    ``attachMetadata.node`` exposes the node's labels to relabeling."""
    key, value = DCGM.service_label
    node_label = "__meta_kubernetes_node_label_" + "".join(
        c if c.isalnum() else "_" for c in POOL_LABEL
    )
    return obj(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        DCGM_MONITOR,
        gpu_operator_namespace(plan),
        spec={
            "attachMetadata": {"node": True},
            "jobLabel": key,
            "selector": {"matchLabels": {key: value}},
            "endpoints": [
                {
                    "port": DCGM.port,
                    "path": "/metrics",
                    "interval": INTERVAL,
                    "relabelings": [
                        {
                            "action": "replace",
                            "sourceLabels": [node_label],
                            "targetLabel": POOL_METRIC_LABEL,
                        }
                    ],
                }
            ],
        },
    )


def prometheus_access(plan: LabPlan, account: tuple[str, str]) -> list[K8sObject]:
    """Rights the platform's Prometheus (ServiceAccount ``account``: namespace, name) needs
    for labgen's DCGM ServiceMonitor, granted by labgen rather than assumed from the GPU
    Operator (which grants the namespace part for its own monitor): endpoints in the
    operator's namespace, and nodes for ``attachMetadata``."""
    ns = gpu_operator_namespace(plan)
    account_ns, account_name = account
    subject = {"kind": "ServiceAccount", "name": account_name, "namespace": account_ns}
    read = ["get", "list", "watch"]
    role = obj(
        "rbac.authorization.k8s.io/v1",
        "Role",
        DCGM_MONITOR,
        ns,
        rules=[{"apiGroups": [""], "resources": ["endpoints", "pods", "services"], "verbs": read}],
    )
    binding = obj(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        DCGM_MONITOR,
        ns,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": DCGM_MONITOR},
        subjects=[subject],
    )
    cluster_name = f"labgen-{plan.name}-prometheus-nodes"
    cluster_role = obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        cluster_name,
        rules=[{"apiGroups": [""], "resources": ["nodes"], "verbs": read}],
    )
    cluster_binding = obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        cluster_name,
        roleRef={
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": cluster_name,
        },
        subjects=[subject],
    )
    return [role, binding, cluster_role, cluster_binding]


def cnpg_monitors(plan: LabPlan) -> list[K8sObject]:
    """CloudNativePG instance pods, selected by role (not by cluster name, so clusters
    added later are scraped too). kube-prometheus-stack honours a cluster-wide
    namespaceSelector, so one PodMonitor covers every namespace; OpenShift's user-workload
    monitoring confines a monitor to its own namespace, so there is one per lab
    namespace (named after it: one overlay holds them all)."""
    key, value = CNPG_INSTANCE_LABEL
    spec: K8sObject = {
        "selector": {"matchLabels": {key: value}},
        "podMetricsEndpoints": [{"port": CNPG_METRICS_PORT, "interval": INTERVAL}],
    }
    stack = plan.platform.monitoring
    if not stack.cluster_wide_monitors:
        return [
            obj("monitoring.coreos.com/v1", "PodMonitor", f"{CNPG_MONITOR}-{ns}", ns, spec=spec)
            for ns in lab_namespaces(plan)
        ]
    spec = {"namespaceSelector": {"any": True}, **spec}
    return [
        obj(
            "monitoring.coreos.com/v1",
            "PodMonitor",
            CNPG_MONITOR,
            stack.namespace,
            spec=spec,
        )
    ]
