"""Who talks to whom in a lab: the network flows derived from the plan.

A flow is (source pods, target pods, port): the gateway's data plane to an EPP and to the
model servers, Open WebUI to its models and its database, benchmark Jobs to their targets,
Prometheus to metrics ports, the CloudNativePG operator to its instances. The policies of
:mod:`labgen.components.network.policies` allow exactly these flows on top of a default
deny of ingress in every namespace labgen creates for the lab (:func:`lab_namespaces`).

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
from dataclasses import dataclass

from labgen.components import cnpg, kserve
from labgen.components.benchmarks import BENCHMARK_LABEL
from labgen.components.databases import CLUSTER_LABEL, POOLER_LABEL
from labgen.components.open_webui import LABELS as OPEN_WEBUI_LABELS
from labgen.components.serving.common import COMPONENT_LABEL, MODEL_LABEL, NAME_LABEL, VLLM_PORT
from labgen.components.serving.kserve import KSERVE_PORT
from labgen.components.serving.llmd import GRPC_PORT, METRICS_PORT, render_service_name
from labgen.data.serving import EPP, PREFIX_CACHE, generation
from labgen.plan.endpoints import ISTIO_GATEWAY_CLASSES, model_url
from labgen.plan.model import LabPlan, ModelPlan

Labels = tuple[tuple[str, str], ...]
Port = int | str | None
"""A target container port by number or name; None: every port."""

# The label a Gateway implementation puts on its data-plane pods (GEP-1762, "in-cluster
# Gateway deployments"): Istio (and OpenShift's default class, which is Istio) deploys
# them in the Gateway's namespace, labelled with the Gateway's name.
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
HTTP_LISTENER_PORT = 80
"""The listener labgen's Gateways open. Istio's gateway pods bind the listener's port
itself (its deployment lowers ``net.ipv4.ip_unprivileged_port_start``); other classes
may map it to another container port, so their clients are allowed every port."""
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
KSERVE_ISVC_LABEL = "serving.kserve.io/inferenceservice"
# KServe v0.20.0 pkg/constants: the labels of an LLMInferenceService's pods, and the
# Gateway its `router.gateway: {}` attaches to (the chart's default ``kserveGateway``).
LLMISVC_NAME_LABEL = "app.kubernetes.io/name"
LLMISVC_PART_OF = ("app.kubernetes.io/part-of", "llminferenceservice")
KSERVE_GATEWAY = (kserve.NAMESPACE, kserve.INGRESS_GATEWAY)


@dataclass(frozen=True, order=True)
class Pods:
    """The pods of one namespace whose labels include ``labels`` (all of them when
    empty); ``name`` names the NetworkPolicy that admits traffic to them."""

    namespace: str
    labels: Labels
    name: str


@dataclass(frozen=True, order=True)
class Flow:
    """``source`` pods may open connections to ``target`` pods on ``port``; a None source
    is anywhere. ``service`` is the Service of the tree the clients address, if any."""

    target: Pods
    port: Port
    source: Pods | None
    why: str
    service: str | None = None


def _pods(namespace: str, name: str, labels: dict[str, str] | Labels) -> Pods:
    items = labels.items() if isinstance(labels, dict) else labels
    return Pods(namespace, tuple(sorted(items)), name)


def gateway_pods(namespace: str, gateway: str) -> Pods:
    return _pods(namespace, f"gateway-{gateway}", {GATEWAY_NAME_LABEL: gateway})


def model_pods(model: ModelPlan) -> Pods:
    """The pods that serve ``model`` (for llm-d: its decode and prefill pods)."""
    if model.server == "kserve":
        return _pods(model.namespace, model.name, {KSERVE_ISVC_LABEL: model.name})
    if model.server == "llm-d-kserve":
        return _pods(
            model.namespace, model.name, (LLMISVC_PART_OF, (LLMISVC_NAME_LABEL, model.name))
        )
    return _pods(model.namespace, model.name, {MODEL_LABEL: model.name, NAME_LABEL: "vllm"})


def epp_pods(model: ModelPlan) -> Pods:
    return _pods(
        model.namespace, f"{model.name}-epp", {MODEL_LABEL: model.name, COMPONENT_LABEL: "epp"}
    )


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


def client_port(plan: LabPlan, model: ModelPlan) -> tuple[Pods, Port, str | None]:
    """Where a client of ``model``'s in-cluster URL connects: (pods, container port, the
    Service of the tree it addresses)."""
    if model.server == "llm-d":
        port = HTTP_LISTENER_PORT if plan.gateway_class in ISTIO_GATEWAY_CLASSES else None
        return gateway_pods(model.namespace, model.name), port, None
    if model.server == "kserve":
        return model_pods(model), KSERVE_PORT, None
    if model.server == "llm-d-kserve":
        return gateway_pods(*KSERVE_GATEWAY), None, None
    return model_pods(model), VLLM_PORT, model.name


def _serving(plan: LabPlan) -> Iterator[Flow]:
    for model in plan.models:
        servers = model_pods(model)
        if model.server == "llm-d":
            gateway = gateway_pods(model.namespace, model.name)
            epp = epp_pods(model)
            yield Flow(epp, GRPC_PORT, gateway, "the gateway asks the EPP (ext-proc)")
            yield Flow(servers, VLLM_PORT, gateway, "the gateway forwards to the picked pod")
            yield Flow(servers, VLLM_PORT, epp, "the EPP reads the pods' metrics")
            yield from _precise_routing(plan, model, servers, epp)
        if model.server == "kserve" and plan.gateway_class is not None:
            # Gateway API ingress on: KServe routes the InferenceService from its Gateway
            gateway = gateway_pods(*KSERVE_GATEWAY)
            yield Flow(servers, KSERVE_PORT, gateway, "KServe's ingress Gateway routes to it")
        if model.server == "llm-d-kserve":
            # the pods of an LLMInferenceService (workload, prefill, scheduler) listen on
            # ports its LLMInferenceServiceConfig presets choose: every port is allowed
            gateway = gateway_pods(*KSERVE_GATEWAY)
            yield Flow(servers, None, gateway, "KServe's ingress Gateway reaches the workload")
        if (
            model.nodes_per_replica > 1
            or model.prefill is not None
            or model.server == "llm-d-kserve"
        ):
            # tensor/pipeline groups (Ray, NCCL) and P/D (NIXL, UCX) use dynamic ports
            yield Flow(
                servers,
                None,
                servers,
                "the model's own pods (NCCL, NIXL, Ray; an LLMInferenceService's scheduler)",
            )


def _precise_routing(plan: LabPlan, model: ModelPlan, servers: Pods, epp: Pods) -> Iterator[Flow]:
    """KV-cache events and tokenizing for ``precise-prefix-cache`` routing, by EPP
    generation (:func:`labgen.components.serving.llmd.kv_events_endpoint`)."""
    if model.routing != "precise-prefix-cache":
        return
    gen = generation(EPP, plan.releases["llm-d-router"].version)
    zmq = PREFIX_CACHE.zmq_port
    if gen.precise_producer is None:  # every vLLM pod publishes to the EPP's one socket
        yield Flow(epp, zmq, servers, "vLLM publishes KV-cache events to the EPP (ZMQ)")
        return
    service = render_service_name(model)
    yield Flow(servers, VLLM_PORT, epp, "the EPP tokenizes with vLLM's render endpoints", service)
    yield Flow(servers, zmq, epp, "the EPP subscribes to the pods' KV-cache events (ZMQ)")


def _clients(plan: LabPlan) -> Iterator[Flow]:
    for bench in plan.benchmarks:
        if bench.url != model_url(bench.model, plan.gateway_class):
            continue  # a URL given in the spec: labgen does not know what answers it
        target, port, service = client_port(plan, bench.model)
        client = _pods(bench.namespace, f"bench-{bench.name}", {BENCHMARK_LABEL: bench.name})
        yield Flow(target, port, client, f"benchmark {bench.name}", service)
    ui = plan.open_webui
    if ui is None:
        return
    client = _pods(ui.namespace, "open-webui", OPEN_WEBUI_LABELS)
    for model, _ in ui.endpoints:
        target, port, service = client_port(plan, model)
        yield Flow(target, port, client, "Open WebUI's models", service)
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
        if model.server in ("vllm", "llm-d"):
            yield Flow(model_pods(model), VLLM_PORT, prometheus, "vLLM metrics (PodMonitor)")
        if model.server == "llm-d":
            yield Flow(epp_pods(model), METRICS_PORT, prometheus, "EPP metrics (ServiceMonitor)")
    for db in plan.databases:
        instances = _pods(db.namespace, db.name, {CLUSTER_LABEL: db.name})
        yield Flow(instances, INSTANCE_METRICS_PORT, prometheus, "PostgreSQL metrics (PodMonitor)")
        if db.pooler is not None:
            pooler = _pods(db.namespace, db.pooler_name, {POOLER_LABEL: db.pooler_name})
            yield Flow(pooler, POOLER_METRICS_PORT, prometheus, "PgBouncer metrics (PodMonitor)")
