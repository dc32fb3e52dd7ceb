"""Who talks to whom in a lab: the network flows derived from the plan.

A flow is (source pods, target pods, port): the gateway's data plane to an EPP and to the
model servers, Open WebUI to its models and its database, benchmark Jobs to their targets,
Prometheus to metrics ports, the CloudNativePG operator to its instances. The policies of
:mod:`labgen.components.network.policies` allow exactly these flows on top of a default
deny of ingress in every namespace labgen creates for the lab (:func:`lab_namespaces`).

A serving engine's pods, the target its clients connect to and the flows it needs itself
(an EPP, an ingress Gateway, its pods among themselves) come from its ServerKind
(:mod:`labgen.components.serving.kinds`); nothing here compares server names.

Operators' own namespaces (those their Helm charts or OLM install into: ``kserve``,
``cnpg-system``, ``monitoring``, ``openshift-*``...) are not lab namespaces: what reaches
their pods (the API server calling their webhooks, from the control plane's addresses,
which a pod selector cannot name) is the chart's business, and they get no policy.
No lab namespace serves an admission webhook, so the API server needs no flow here.

Adding a client is one line in a generator :func:`lab_flows` unions: for instance the
pods of Gateway ``G`` in namespace ``X`` reaching a vLLM model is
``yield Flow(model_pods(model), VLLM_PORT, gateway_pods(X, G), why)``, and clients from
anywhere (outside the cluster) reaching that Gateway's pods on 443 is
``yield Flow(gateway_pods(X, G), 443, None, why)`` (a policy is rendered only where ``X``
is a lab namespace).
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components import cnpg
from labgen.components.benchmarks import BENCHMARK_LABEL
from labgen.components.databases import CLUSTER_LABEL, POOLER_LABEL
from labgen.components.network.model import (
    Flow,
    Labels,
    Pods,
    gateway_pods,
    own_pods_flow,
)
from labgen.components.network.model import pods as _pods
from labgen.components.open_webui import LABELS as OPEN_WEBUI_LABELS
from labgen.components.serving.common import VLLM_PORT
from labgen.components.serving.kinds import kind_of
from labgen.components.serving.llmd import GRPC_PORT, METRICS_PORT, epp_pods
from labgen.plan.endpoints import model_url
from labgen.plan.model import LabPlan, ModelPlan

PROMETHEUS_LABELS: Labels = (("app.kubernetes.io/name", "prometheus"),)
"""prometheus-operator's label on every Prometheus pod (kube-prometheus-stack's, and
OpenShift's user-workload monitoring's ``prometheus-user-workload``)."""
CNPG_OPERATOR_LABELS: Labels = (("app.kubernetes.io/name", "cloudnative-pg"),)
"""The CloudNativePG operator's pods, from its chart and from its OLM bundle."""
CNPG_STATUS_PORT = 8000
"""The instance manager's status endpoint the operator polls (CloudNativePG's
networking docs: the operator must reach every instance on 8000 and 5432)."""
POSTGRES_PORT = 5432
INSTANCE_METRICS_PORT = 9187
POOLER_METRICS_PORT = 9127
"""CloudNativePG's exporters (its monitoring docs): the container ports named ``metrics``
of its instance and PgBouncer pods, by number: the operator creates the pods, so no pod
of the tree resolves the name."""


def model_pods(model: ModelPlan) -> Pods:
    """The pods that serve ``model`` (its engine's, :mod:`labgen.components.serving.kinds`)."""
    return kind_of(model).pods(model)


def lab_namespaces(plan: LabPlan) -> tuple[str, ...]:
    """The namespaces labgen creates for the lab's workloads, sorted."""
    names = {m.namespace for m in plan.models}
    names |= {d.namespace for d in plan.databases}
    names |= {b.namespace for b in plan.benchmarks}
    names |= {m.namespace for m in plan.matrices}
    if plan.open_webui is not None:
        names.add(plan.open_webui.namespace)
    return tuple(sorted(names))


def lab_flows(plan: LabPlan) -> tuple[Flow, ...]:
    """Every flow the lab needs, sorted and without duplicates."""
    flows = {
        *_serving(plan),
        *_clients(plan),
        *_exposure(plan),
        *_databases(plan),
        *_metrics(plan),
    }
    return tuple(sorted(flows, key=_flow_key))


def _flow_key(flow: Flow) -> tuple[object, ...]:
    source = flow.source or Pods("", (), "")
    return (flow.target, str(flow.port), source, flow.why, flow.service or "")


def _serving(plan: LabPlan) -> Iterator[Flow]:
    for model in plan.models:
        kind = kind_of(model)
        yield from kind.flows(plan, model)
        if model.nodes_per_replica > 1 or model.prefill is not None:
            yield own_pods_flow(kind.pods(model))


def _clients(plan: LabPlan) -> Iterator[Flow]:
    for bench in plan.benchmarks:
        if bench.url != model_url(bench.model, plan.gateway_class):
            continue  # a URL given in the spec: labgen does not know what answers it
        target = kind_of(bench.model).client(plan, bench.model)
        client = _pods(bench.namespace, f"bench-{bench.name}", {BENCHMARK_LABEL: bench.name})
        yield Flow(target.pods, target.port, client, f"benchmark {bench.name}", target.service)
    ui = plan.open_webui
    if ui is None:
        return
    client = _pods(ui.namespace, "open-webui", OPEN_WEBUI_LABELS)
    for model, _ in ui.endpoints:
        target = kind_of(model).client(plan, model)
        yield Flow(target.pods, target.port, client, "Open WebUI's models", target.service)
    if ui.database is not None:
        db = _pods(ui.database.namespace, ui.database.name, {CLUSTER_LABEL: ui.database.name})
        yield Flow(db, POSTGRES_PORT, client, "Open WebUI's database")


def _exposure(plan: LabPlan) -> Iterator[Flow]:
    """The lab's public Gateway (``spec.exposure``) forwarding each host to its backend's
    pods; for an llm-d model it also asks the model's EPP which pod to pick."""
    exposure = plan.exposure
    if exposure is None:
        return
    gateway = gateway_pods(exposure.gateway_namespace, exposure.gateway_name)
    for route in exposure.routes:
        why = f"the public Gateway routes {route.host}"
        if route.model is not None:
            yield Flow(model_pods(route.model), route.target_port, gateway, why)
            if route.backend_kind == "InferencePool":
                epp = epp_pods(route.model)
                yield Flow(epp, GRPC_PORT, gateway, "the public Gateway asks the EPP (ext-proc)")
        elif route.kind == "open-webui" and plan.open_webui is not None:
            ui = _pods(plan.open_webui.namespace, "open-webui", OPEN_WEBUI_LABELS)
            yield Flow(ui, route.target_port, gateway, why)
        # Grafana lives in the monitoring stack's namespace, which is not a lab namespace


def _cnpg_operator(plan: LabPlan) -> Pods:
    return _pods(cnpg.OPERATOR.namespace(plan), "cnpg-operator", CNPG_OPERATOR_LABELS)


def _databases(plan: LabPlan) -> Iterator[Flow]:
    for db in plan.databases:
        instances = _pods(db.namespace, db.name, {CLUSTER_LABEL: db.name})
        operator = _cnpg_operator(plan)
        yield Flow(instances, CNPG_STATUS_PORT, operator, "the operator polls instance status")
        yield Flow(instances, POSTGRES_PORT, operator, "the operator connects to PostgreSQL")
        yield Flow(instances, None, instances, "replication between instances")
        if db.pooler is not None:
            pooler = _pods(db.namespace, db.pooler_name, {POOLER_LABEL: db.pooler_name})
            yield Flow(instances, POSTGRES_PORT, pooler, "PgBouncer's server connections")


def prometheus_pods(plan: LabPlan) -> Pods:
    """The Prometheus that scrapes the lab's monitors."""
    return _pods(plan.platform.monitoring.scraper_namespace, "prometheus", PROMETHEUS_LABELS)


def _metrics(plan: LabPlan) -> Iterator[Flow]:
    if not plan.has("monitoring"):
        return
    prometheus = prometheus_pods(plan)
    for model in plan.models:
        metrics = kind_of(model).METRICS
        if "vllm" in metrics:
            yield Flow(model_pods(model), VLLM_PORT, prometheus, "vLLM metrics (PodMonitor)")
        if "epp" in metrics:
            yield Flow(epp_pods(model), METRICS_PORT, prometheus, "EPP metrics (ServiceMonitor)")
    for db in plan.databases:
        instances = _pods(db.namespace, db.name, {CLUSTER_LABEL: db.name})
        yield Flow(instances, INSTANCE_METRICS_PORT, prometheus, "PostgreSQL metrics (PodMonitor)")
        if db.pooler is not None:
            pooler = _pods(db.namespace, db.pooler_name, {POOLER_LABEL: db.pooler_name})
            yield Flow(pooler, POOLER_METRICS_PORT, prometheus, "PgBouncer metrics (PodMonitor)")
