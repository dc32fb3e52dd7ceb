"""PrometheusRules with runbooks: per model (TTFT and ITL over the SLO, waiting queue
growing, KV cache saturated), per benchmark namespace (a GuideLLM Job failed) and for
the GPUs (Xid errors).

Each rule sits where the Prometheus that has its metrics evaluates it: vLLM and
benchmark rules in the workload's namespace (OpenShift: user-workload monitoring, whose
rules are scoped to their namespace), GPU rules in the GPU Operator's namespace (OpenShift:
platform monitoring scrapes and evaluates it, like the operator's own rules). Every alert
carries `summary`, `description` (what to look at first) and `runbook_url`, a section of
docs/observability.md in the lab's repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labgen.components.base import K8sObject, obj
from labgen.components.observability import targets
from labgen.data.observability import DCGM, POOL_METRIC_LABEL
from labgen.plan.model import LabPlan, ModelPlan

DOC = "docs/observability.md"
BENCHMARK_JOBS = "(bench|mx)-.+"
"""Benchmark Jobs are named bench-<name>-<hash> (components/benchmarks.py), matrix batch
Jobs mx-<matrix>-<batch>-<hash> (components/matrices.py)."""
KV_SATURATED = 0.95
QUEUE_MIN = 5


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    duration: str
    severity: str
    summary: str
    description: str
    labels: tuple[tuple[str, str], ...] = ()


def runbook_url(plan: LabPlan, alert: str) -> str:
    """Link to the alert's runbook section; a web URL for GitHub-style repositories."""
    anchor = alert.lower()
    repo = plan.gitops.repo_url
    match = re.match(r"^(?:https://|git@)([^/:]+)[/:](.+?)(?:\.git)?/?$", repo)
    if match is None:
        return f"{DOC}#{anchor}"
    host, path = match.groups()
    return f"https://{host}/{path}/blob/{plan.gitops.target_revision}/{DOC}#{anchor}"


def _rule(plan: LabPlan, alert: Alert) -> K8sObject:
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": alert.duration,
        "labels": {"severity": alert.severity, **dict(alert.labels)},
        "annotations": {
            "summary": alert.summary,
            "description": alert.description,
            "runbook_url": runbook_url(plan, alert.name),
        },
    }


def model_alerts(plan: LabPlan, model: ModelPlan) -> list[Alert]:
    obs = plan.observability
    assert obs is not None
    vllm = targets.versions(plan).vllm
    sel = f'job="{targets.vllm_job(model)}"'
    name = model.name
    labels = (("model", name), ("namespace", model.namespace))

    def p95(metric: str) -> str:
        return f"histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{{sel}}}[10m])))"

    waiting = f"sum({vllm.waiting_metric}{{{sel}}})"
    return [
        Alert(
            "VllmTtftOverSlo",
            f"{p95(vllm.ttft_metric)} > {obs.ttft_slo_seconds:g}",
            "10m",
            "warning",
            f"{name}: p95 time to first token over {obs.ttft_slo_seconds:g}s",
            f"p95 TTFT of {name} is {{{{ $value | humanizeDuration }}}} over 10 minutes "
            f"(SLO {obs.ttft_slo_seconds:g}s). Check the waiting queue and KV-cache usage "
            "on the vLLM dashboard: long prompts or a full batch delay prefill.",
            labels,
        ),
        Alert(
            "VllmItlOverSlo",
            f"{p95(vllm.itl_metric)} > {obs.itl_slo_seconds:g}",
            "10m",
            "warning",
            f"{name}: p95 inter-token latency over {obs.itl_slo_seconds:g}s",
            f"p95 time between output tokens of {name} is {{{{ $value | humanizeDuration }}}}"
            f" (SLO {obs.itl_slo_seconds:g}s). Too many running sequences per replica, or "
            "prefill chunks interleaved with decode; see the runbook.",
            labels,
        ),
        Alert(
            "VllmWaitingQueueGrowing",
            f"{waiting} > {QUEUE_MIN} and deriv({waiting}[15m:1m]) > 0",
            "15m",
            "warning",
            f"{name}: requests pile up waiting for a batch slot",
            f"{{{{ $value }}}} requests of {name} wait and the queue has grown for 15 minutes:"
            " offered load exceeds what the replicas serve. Add replicas (or autoscaling) or"
            " lower the load.",
            labels,
        ),
        Alert(
            "VllmKvCacheSaturated",
            f"max by (pod) ({vllm.kv_usage_metric}{{{sel}}}) > {KV_SATURATED:g}",
            "10m",
            "warning",
            f"{name}: KV cache over {KV_SATURATED:.0%} on {{{{ $labels.pod }}}}",
            f"{{{{ $labels.pod }}}} has used over {KV_SATURATED:.0%} of its KV cache for 10 "
            "minutes ({{ $value | humanizePercentage }}): new requests wait and running ones "
            "get preempted. Shorter maxModelLen, fp8 KV cache, more tensor parallelism or "
            "more replicas.",
            labels,
        ),
    ]


def benchmark_alert(namespace: str) -> Alert:
    return Alert(
        "LabgenBenchmarkJobFailed",
        f'kube_job_failed{{condition="true", namespace="{namespace}", '
        f'job_name=~"{BENCHMARK_JOBS}"}} == 1',
        "1m",
        "warning",
        "Benchmark Job {{ $labels.job_name }} failed",
        "GuideLLM Job {{ $labels.namespace }}/{{ $labels.job_name }} has the Failed "
        "condition. Read its pod's log (kubectl logs job/{{ $labels.job_name }} -n "
        "{{ $labels.namespace }}): the target may never have served the model, or GuideLLM "
        "rejected its arguments. A matrix batch (mx-...) fails when a configuration failed "
        "on every try; its log ends with the failed ids, and a rerun skips the others.",
    )


def gpu_alert() -> Alert:
    return Alert(
        "GpuXidError",
        f"{DCGM.xid} > 0",
        "0m",
        "critical",
        "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported Xid {{ $value }}",
        f"The NVIDIA driver reported Xid {{{{ $value }}}} on GPU {{{{ $labels.gpu }}}} of "
        f"{{{{ $labels.Hostname }}}} (pool {{{{ $labels.{POOL_METRIC_LABEL} }}}}). Look the "
        "code up in NVIDIA's Xid catalog: application faults (13, 31, 43) end with the "
        "workload; memory, NVLink and bus errors (48, 74, 79, 92, 94, 95) call for draining "
        "the node and resetting or replacing the GPU.",
    )


def _rules(plan: LabPlan, name: str, namespace: str, group: str, alerts: list[Alert]) -> K8sObject:
    return obj(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        name,
        namespace,
        spec={"groups": [{"name": group, "rules": [_rule(plan, a) for a in alerts]}]},
    )


def rules(plan: LabPlan) -> list[K8sObject]:
    obs = plan.observability
    assert obs is not None
    out = []
    for namespace in targets.lab_namespaces(plan):
        alerts = [
            a
            for m in targets.scraped_models(plan)
            if m.namespace == namespace
            for a in model_alerts(plan, m)
        ]
        benchmarked = {b.namespace for b in plan.benchmarks} | {m.namespace for m in plan.matrices}
        if namespace in benchmarked:
            alerts.append(benchmark_alert(namespace))
        if alerts:
            name = f"labgen-{plan.name}-{namespace}"  # one overlay holds every namespace's
            out.append(_rules(plan, name, namespace, "labgen.workloads", alerts))
    if obs.gpu_metrics:
        ns = targets.gpu_operator_namespace(plan)
        out.append(_rules(plan, f"labgen-{plan.name}-gpus", ns, "labgen.gpus", [gpu_alert()]))
    return out


def matrix_rules(plan: LabPlan) -> list[K8sObject]:
    """The benchmark alert of namespaces only the matrices Application creates, rendered by
    that Application (in the same sync as its Jobs)."""
    if plan.observability is None or not plan.observability.alerts:
        return []
    return [
        _rules(plan, f"labgen-{plan.name}-{ns}", ns, "labgen.workloads", [benchmark_alert(ns)])
        for ns in targets.matrix_only_namespaces(plan)
    ]
