"""Autoscalers of a model's vLLM Deployment, on vLLM metrics from Prometheus.

engine keda: a KEDA ScaledObject. Kubernetes: kube-prometheus-stack's Prometheus,
in-cluster, no auth. OpenShift: the Thanos querier's tenancy port, which needs a
bearer token allowed to view the namespace: a ServiceAccount, its token Secret (filled by
Kubernetes, nothing inline), a RoleBinding to `view`, and a TriggerAuthentication reading
the token and CA from it.

engine hpa (Kubernetes only): an ``autoscaling/v2`` HorizontalPodAutoscaler on a ``Pods``
metric that prometheus-adapter (:mod:`labgen.components.prometheus_adapter`) serves.
"""

from __future__ import annotations

from labgen.components.base import K8sObject, obj
from labgen.components.serving import common
from labgen.components.serving.common import Versions
from labgen.plan.model import AutoscalingPlan, LabPlan, ModelPlan

KEDA_API = "keda.sh/v1alpha1"
SCALE_DOWN_WINDOW_SECONDS = 600
"""A GPU replica takes minutes to load: scale down only after 10 quiet minutes."""


def objects(
    plan: LabPlan, model: ModelPlan, versions: Versions, deployment: str
) -> list[K8sObject]:
    scaling = model.autoscaling
    if scaling is None:
        return []
    if scaling.engine == "hpa":
        return [hpa(model, versions, deployment)]
    ns = model.namespace
    pods = f'namespace="{ns}",pod=~"{deployment}-.*"'
    if scaling.metric == "queue-depth":
        query = f"sum({versions.vllm.waiting_metric}{{{pods}}})"
        metric_type = "AverageValue"  # replicas = ceil(waiting / target)
    else:
        query = f"avg({versions.vllm.kv_usage_metric}{{{pods}}})"
        metric_type = "Value"  # replicas scale with the average usage over the target
    metadata = {"query": query, "threshold": _number(scaling.target)}
    out: list[K8sObject] = []
    trigger: K8sObject = {"type": "prometheus", "metricType": metric_type, "metadata": metadata}
    monitoring = plan.platform.monitoring
    metadata["serverAddress"] = monitoring.query_url
    if monitoring.queries_need_token:
        name = f"{model.name}-keda-metrics"
        metadata.update({"namespace": ns, "authModes": "bearer"})
        trigger["authenticationRef"] = {"name": name}
        out += thanos_auth(name, ns)
    out.append(scaled_object(model, scaling, deployment, trigger))
    return out


def thanos_auth(name: str, ns: str) -> list[K8sObject]:
    """What lets KEDA query the Thanos querier's tenancy port: a ServiceAccount, its token
    Secret, a RoleBinding to ``view`` in the namespace, and the TriggerAuthentication that
    reads the token and CA."""
    return [
        obj("v1", "ServiceAccount", name, ns),
        obj(
            "v1",
            "Secret",
            name,
            ns,
            annotations={"kubernetes.io/service-account.name": name},
            type="kubernetes.io/service-account-token",
        ),
        obj(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            name,
            ns,
            roleRef={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            subjects=[{"kind": "ServiceAccount", "name": name, "namespace": ns}],
        ),
        obj(
            KEDA_API,
            "TriggerAuthentication",
            name,
            ns,
            spec={
                "secretTargetRef": [
                    {"parameter": "bearerToken", "name": name, "key": "token"},
                    {"parameter": "ca", "name": name, "key": "ca.crt"},
                ]
            },
        ),
    ]


def scaled_object(
    model: ModelPlan, scaling: AutoscalingPlan, deployment: str, trigger: K8sObject
) -> K8sObject:
    return obj(
        KEDA_API,
        "ScaledObject",
        deployment,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        spec={
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": deployment,
            },
            "minReplicaCount": scaling.min_replicas,
            "maxReplicaCount": scaling.max_replicas,
            "pollingInterval": 15,
            "cooldownPeriod": SCALE_DOWN_WINDOW_SECONDS,
            "triggers": [trigger],
        },
    )


def hpa(model: ModelPlan, versions: Versions, deployment: str) -> K8sObject:
    """replicas = ceil(sum over pods of the metric / target): the same arithmetic as the
    ScaledObject's queue-depth trigger, per pod for KV-cache usage too."""
    scaling = model.autoscaling
    assert scaling is not None
    series = {
        "queue-depth": versions.vllm.waiting_metric,
        "kv-cache-usage": versions.vllm.kv_usage_metric,
    }[scaling.metric]
    return obj(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        deployment,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Pods",
                    "pods": {
                        "metric": {"name": custom_metric(series)},
                        "target": {"type": "AverageValue", "averageValue": _number(scaling.target)},
                    },
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": SCALE_DOWN_WINDOW_SECONDS}},
        },
    )


def custom_metric(series: str) -> str:
    """The custom metrics API name prometheus-adapter gives a vLLM series:
    ``vllm:num_requests_waiting`` -> ``vllm_num_requests_waiting``."""
    return series.replace(":", "_")


def replica_ignores(model: ModelPlan, deployment: str) -> tuple[K8sObject, ...]:
    """The Application leaves the Deployment's replicas to the autoscaler (KEDA's HPA or
    ours)."""
    if model.autoscaling is None:
        return ()
    return (
        {
            "group": "apps",
            "kind": "Deployment",
            "name": deployment,
            "namespace": model.namespace,
            "jsonPointers": ["/spec/replicas"],
        },
    )


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
