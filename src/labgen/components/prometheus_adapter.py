"""prometheus-adapter from the prometheus-community chart, for models scaled by an HPA
(``autoscaling.engine: hpa``): it serves vLLM's per-pod metrics from kube-prometheus-stack's
Prometheus as the custom metrics API (``custom.metrics.k8s.io``), which an
``autoscaling/v2`` HorizontalPodAutoscaler reads as a ``Pods`` metric.

Only custom rules are enabled: no default cAdvisor rules, no resource metrics (that API
is metrics-server's) and no external metrics (that API is KEDA's when both run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from labgen.components.base import App, Component
from labgen.components.operators import helm_operator_app
from labgen.components.serving.autoscaling import custom_metric
from labgen.components.serving.common import Versions
from labgen.plan.model import LabPlan

KEY = "prometheus-adapter"
NAMESPACE = "prometheus-adapter"


def rules(versions: Versions) -> list[dict[str, Any]]:
    """One rule per vLLM gauge an HPA may target, each a per-pod metric of the pod's
    namespace (the ``namespace``/``pod`` labels PodMonitor targets carry). A pod's vLLM
    may run several engines (data parallel): waiting requests add up, KV-cache usage
    averages."""
    gauges = (
        (versions.vllm.waiting_metric, "sum"),
        (versions.vllm.kv_usage_metric, "avg"),
    )
    return [
        {
            "seriesQuery": f'{series}{{namespace!="",pod!=""}}',
            "resources": {
                "overrides": {
                    "namespace": {"resource": "namespace"},
                    "pod": {"resource": "pod"},
                }
            },
            "name": {"matches": f"^{series}$", "as": custom_metric(series)},
            "metricsQuery": f"{aggregate}(<<.Series>>{{<<.LabelMatchers>>}}) by (<<.GroupBy>>)",
        }
        for series, aggregate in gauges
    ]


def helm_values(plan: LabPlan) -> dict[str, Any]:
    # the chart joins url and port itself
    query = urlsplit(plan.platform.monitoring.query_url)
    return {
        "prometheus": {"url": f"{query.scheme}://{query.hostname}", "port": query.port},
        "rules": {"default": False, "custom": rules(Versions.of(plan))},
        # the chart sets no requests: these are the ones its values.yaml suggests
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
    }


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    yield helm_operator_app(
        plan,
        KEY,
        NAMESPACE,
        KEY,
        helm_values(plan),
        ignore_differences=(),
        # the chart binds extension-apiserver-authentication-reader in kube-system
        extra_namespaces=("kube-system",),
    )


COMPONENT = Component(KEY, apps=apps)
