"""server: llm-d — vLLM decode (and prefill) Deployments behind an InferencePool, the
endpoint picker (EPP) that routes to them with a plugin preset per routing mode, and a
Gateway + HTTPRoute in front.

Precise prefix caching renders both ends from :data:`labgen.data.serving.PREFIX_CACHE`:
vLLM publishes KV-cache events (block size, hash algorithm, ``PYTHONHASHSEED``, ZMQ
endpoint and topic) and the EPP indexes them with the same block size, seed and topic
filter. From llm-d-router v0.10 the EPP subscribes to each vLLM pod's socket (found through
the pool's endpoints) and tokenizes prompts by calling the decode pods' render endpoints
through the ``<model>-vllm`` Service; before, every vLLM pod published to one socket the
EPP bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labgen.components.base import K8sObject, obj
from labgen.components.network import model as network
from labgen.components.network.model import Client, Flow, Pods
from labgen.components.podsecurity import container_context, pod_context
from labgen.components.serving import common, vllm
from labgen.components.serving.common import Versions
from labgen.data.servers import SERVERS, Metric
from labgen.data.serving import EPP, PREFIX_CACHE, EppGeneration, generation
from labgen.plan.endpoints import ISTIO_GATEWAY_CLASSES
from labgen.plan.model import LabPlan, ModelPlan

GRPC_PORT = 9002
GRPC_HEALTH_PORT = 9003
METRICS_PORT = 9090
SIDECAR_VLLM_PORT = 8200
CONFIG_FILE = "/config/config.yaml"
POOL_GROUP = "inference.networking.k8s.io"
PD_NON_CACHED_TOKENS = 16


def epp_name(model: ModelPlan) -> str:
    return f"{model.name}-epp"


def objects(
    model: ModelPlan, versions: Versions, monitoring: bool, gateway_class: str
) -> list[K8sObject]:
    gen = versions.epp
    out = vllm.cache_objects(model, versions)
    out += workers(model, versions)
    out.append(inference_pool(model, gen))
    out += epp_objects(model, versions)
    if model.routing == "precise-prefix-cache" and gen.precise_producer is not None:
        out.append(render_service(model))
    out += gateway_objects(model, gateway_class)
    if monitoring:
        out.append(vllm.pod_monitor(model))
        if gen.metrics_auth_flag is not None:
            out.append(epp_monitor(model))
    return out


def workers(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    gen = versions.epp
    fit = model.fit
    if model.routing != "pd":
        args = common.vllm_args(
            model, fit.tp, fit.pp, kv_events_endpoint=kv_events_endpoint(model, gen)
        )
        container = common.vllm_container(model, versions, args, fit.gpus)
        if model.routing == "precise-prefix-cache" and gen.precise_producer is not None:
            if versions.vllm.render_flag is not None:
                args.append(versions.vllm.render_flag)
            container["ports"].append(
                {"name": "kv-events", "containerPort": PREFIX_CACHE.zmq_port, "protocol": "TCP"}
            )
        return [_role_deployment(model, versions, "decode", [container])]
    # P/D: the decode pod's routing sidecar takes requests on the pool port, asks the
    # prefill pod the EPP picked (x-prefiller-host-port header) to prefill, and hands
    # the request to the local vLLM, which pulls the KV blocks over NIXL.
    decode_args = common.vllm_args(model, fit.tp, fit.pp, port=SIDECAR_VLLM_PORT, role="decode")
    decode = common.vllm_container(
        model, versions, decode_args, fit.gpus, role="decode", port=SIDECAR_VLLM_PORT
    )
    decode["ports"][0]["name"] = "vllm"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        decode[probe]["httpGet"]["port"] = "vllm"
    sidecar: K8sObject = {
        "name": "routing-sidecar",
        "image": versions.sidecar_image,
        "restartPolicy": "Always",  # a native sidecar: up before vLLM, down after it
        "args": [
            f"--port={common.VLLM_PORT}",
            f"{gen.sidecar_model_port_flag}={SIDECAR_VLLM_PORT}",
            f"{gen.sidecar_connector_flag}=nixlv2",
            f"{gen.sidecar_tls_flag}=false",
        ],
        "ports": [{"name": "http", "containerPort": common.VLLM_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": container_context(),
    }
    assert model.prefill is not None
    prefill_fit = model.prefill.fit
    prefill_args = common.vllm_args(model, prefill_fit.tp, 1, role="prefill")
    prefill = common.vllm_container(model, versions, prefill_args, prefill_fit.gpus, role="prefill")
    return [
        _role_deployment(model, versions, "decode", [decode], init=[sidecar]),
        _role_deployment(model, versions, "prefill", [prefill], replicas=model.prefill.replicas),
    ]


def _role_deployment(
    model: ModelPlan,
    versions: Versions,
    role: str,
    containers: list[K8sObject],
    init: list[K8sObject] | None = None,
    replicas: int | None = None,
) -> K8sObject:
    """The vLLM Deployment of one role (decode or prefill), labelled with it the way the
    EPP generation reads roles."""
    return vllm.deployment(
        model,
        versions,
        name=f"{model.name}-{role}",
        component=role,
        extra_labels={versions.epp.role_label: role},
        containers=containers,
        init=init,
        replicas=replicas,
    )


def pool_selector(model: ModelPlan) -> dict[str, str]:
    """Every vLLM pod of the model (decode and prefill): the EPP picks among them."""
    return {common.MODEL_LABEL: model.name, common.NAME_LABEL: "vllm"}


def inference_pool(model: ModelPlan, gen: EppGeneration) -> K8sObject:
    return obj(
        gen.pool_api_version,
        "InferencePool",
        model.name,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        annotations={vllm.SYNC_WAVE: "1"},
        spec={
            "selector": {"matchLabels": pool_selector(model)},
            "targetPorts": [{"number": common.VLLM_PORT}],
            "endpointPickerRef": {
                "name": epp_name(model),
                "port": {"number": GRPC_PORT},
                "failureMode": "FailClose",
            },
        },
    )


def epp_config(model: ModelPlan, gen: EppGeneration) -> dict[str, Any]:
    """The EndpointPickerConfig preset of the model's routing mode."""
    plugins: list[dict[str, Any]] = [
        {"type": "queue-scorer"},
        {"type": "kv-cache-utilization-scorer"},
    ]
    weights = {"queue-scorer": 2, "kv-cache-utilization-scorer": 2}
    if model.routing == "load":
        weights = {"queue-scorer": 1, "kv-cache-utilization-scorer": 1}
    elif model.routing == "prefix-cache":
        plugins.append({"type": "prefix-cache-scorer"})
        weights["prefix-cache-scorer"] = 3
    elif model.routing == "precise-prefix-cache":
        plugins += precise_plugins(model, gen)
        weights[gen.precise_scorer] = 3
    plugins.append({"type": "max-score-picker"})
    config: dict[str, Any] = {"apiVersion": gen.config_api_version, "kind": "EndpointPickerConfig"}
    if model.routing != "pd":
        refs = [{"pluginRef": name, "weight": weight} for name, weight in weights.items()]
        config["plugins"] = plugins
        config["schedulingProfiles"] = [
            {"name": "default", "plugins": [*refs, {"pluginRef": "max-score-picker"}]}
        ]
        if model.routing == "precise-prefix-cache" and gen.endpoint_source is not None:
            # The pool's endpoint events start and stop the producer's per-pod
            # subscribers; the default metrics source is still injected beside it.
            config["dataLayer"] = {
                "sources": [
                    {
                        "pluginRef": gen.endpoint_source,
                        "extractors": [{"pluginRef": gen.precise_producer}],
                    }
                ]
            }
        return config
    plugins = [
        {"type": "prefill-filter"},
        {"type": "decode-filter"},
        {"type": "prefix-cache-scorer"},
        {"type": "queue-scorer"},
        {"type": "max-score-picker"},
    ]
    if gen.pd_header_handler is not None:
        plugins.insert(0, {"type": gen.pd_header_handler})
    if gen.pd_decider is not None:
        plugins.append(
            {"type": gen.pd_decider, "parameters": {"nonCachedTokens": PD_NON_CACHED_TOKENS}}
        )
        plugins.append(
            {
                "type": gen.pd_handler,
                "parameters": {"deciders": {"prefill": gen.pd_decider}},
            }
        )
    else:
        plugins.append({"type": gen.pd_handler, "parameters": {"threshold": PD_NON_CACHED_TOKENS}})
    config["plugins"] = plugins
    config["schedulingProfiles"] = [
        {
            "name": role,
            "plugins": [
                {"pluginRef": f"{role}-filter"},
                {"pluginRef": "prefix-cache-scorer", "weight": 2},
                {"pluginRef": "queue-scorer", "weight": 1},
                {"pluginRef": "max-score-picker"},
            ],
        }
        for role in ("prefill", "decode")
    ]
    return config


def precise_plugins(model: ModelPlan, gen: EppGeneration) -> list[dict[str, Any]]:
    """The plugins of the precise preset (the scorer is referenced as ``precise_scorer``)."""
    if gen.precise_producer is None:
        return [{"type": gen.precise_scorer, "parameters": legacy_precise_parameters(model)}]
    assert gen.token_producer is not None
    assert gen.endpoint_source is not None
    return [
        {
            "type": gen.token_producer,
            "parameters": {"modelName": model.served_name, "vllm": {"url": render_url(model)}},
        },
        {"type": gen.endpoint_source},
        {"type": gen.precise_producer, "parameters": precise_parameters()},
        {
            "type": gen.precise_scorer,
            "parameters": {"prefixMatchInfoProducerName": gen.precise_producer},
        },
    ]


def precise_parameters() -> dict[str, Any]:
    """The precise producer's side of :data:`PREFIX_CACHE` (vLLM's: ``common.vllm_args``)."""
    return {
        "tokenProcessorConfig": {
            "blockSizeTokens": PREFIX_CACHE.block_size,
            "hashSeed": PREFIX_CACHE.hash_seed,
        },
        "indexerConfig": {"kvBlockIndexConfig": {"enableMetrics": True}},
        "kvEventsConfig": {
            "topicFilter": PREFIX_CACHE.topic_prefix,
            "concurrency": 4,
            "discoverPods": True,
            "podDiscoveryConfig": {"socketPort": PREFIX_CACHE.zmq_port},
        },
    }


def legacy_precise_parameters(model: ModelPlan) -> dict[str, Any]:
    """The KV-events scorer of the EPPs before llm-d-router v0.10: it tokenizes itself and
    binds the one socket every vLLM pod publishes to."""
    return {
        "tokenProcessorConfig": {
            "blockSize": PREFIX_CACHE.block_size,
            "hashSeed": PREFIX_CACHE.hash_seed,
        },
        "indexerConfig": {
            "tokenizersPoolConfig": {"modelName": model.served_name},
            "kvBlockIndexConfig": {"enableMetrics": True},
        },
        "kvEventsConfig": {
            "zmqEndpoint": f"tcp://*:{PREFIX_CACHE.zmq_port}",
            "topicFilter": PREFIX_CACHE.topic_prefix,
            "concurrency": 4,
            "discoverPods": False,
        },
    }


def kv_events_endpoint(model: ModelPlan, gen: EppGeneration) -> str | None:
    """Where vLLM's ZMQ publisher binds (per pod, for the EPP to subscribe to) or connects
    (the legacy EPP's one socket); None without precise routing."""
    if model.routing != "precise-prefix-cache":
        return None
    if gen.precise_producer is not None:
        return f"tcp://*:{PREFIX_CACHE.zmq_port}"
    return f"tcp://{epp_name(model)}.{model.namespace}.svc:{PREFIX_CACHE.zmq_port}"


def render_service_name(model: ModelPlan) -> str:
    return f"{model.name}-vllm"


def render_url(model: ModelPlan) -> str:
    """The decode pods' render endpoints, through :func:`render_service`."""
    return f"http://{render_service_name(model)}.{model.namespace}.svc:{common.VLLM_PORT}"


def render_service(model: ModelPlan) -> K8sObject:
    """The Service the EPP's token producer tokenizes through (vLLM's render endpoints on
    the decode pods): the plain vLLM Service under its own name."""
    service = vllm.service(model, "decode")
    service["metadata"]["name"] = render_service_name(model)
    return service


def epp_objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    """The endpoint picker: its ServiceAccount and RBAC, plugin config, Deployment and
    Service."""
    from labgen.yamlio import dump_data

    name = epp_name(model)
    labels = epp_labels(model)
    config = obj(
        "v1",
        "ConfigMap",
        name,
        model.namespace,
        labels=labels,
        data={"config.yaml": dump_data(epp_config(model, versions.epp))},
    )
    return [
        *_epp_rbac(model),
        config,
        _epp_deployment(model, versions),
        _epp_service(model, versions.epp),
    ]


def epp_labels(model: ModelPlan) -> dict[str, str]:
    return {common.MODEL_LABEL: model.name, common.COMPONENT_LABEL: "epp"}


def _legacy_precise(model: ModelPlan, gen: EppGeneration) -> bool:
    """Before the EPP subscribed to each pod, every vLLM pod published KV events to one
    socket the EPP bound (an extra port)."""
    return model.routing == "precise-prefix-cache" and gen.precise_producer is None


def _epp_rbac(model: ModelPlan) -> list[K8sObject]:
    """The EPP's ServiceAccount, and what it may read: pods, its pool, objectives."""
    name = epp_name(model)
    ns = model.namespace
    labels = epp_labels(model)
    read = ["get", "list", "watch"]
    role = obj(
        "rbac.authorization.k8s.io/v1",
        "Role",
        name,
        ns,
        labels=labels,
        rules=[
            {"apiGroups": [""], "resources": ["pods"], "verbs": read},
            {"apiGroups": [POOL_GROUP], "resources": ["inferencepools"], "verbs": read},
            {
                "apiGroups": ["inference.networking.x-k8s.io", "llm-d.ai"],
                "resources": ["inferenceobjectives", "inferencemodelrewrites"],
                "verbs": read,
            },
        ],
    )
    binding = obj(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        name,
        ns,
        labels=labels,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        subjects=[{"kind": "ServiceAccount", "name": name, "namespace": ns}],
    )
    account = obj("v1", "ServiceAccount", name, ns, labels=labels)
    return [account, role, binding]


def _epp_args(model: ModelPlan, versions: Versions) -> list[str]:
    gen = versions.epp
    args = [
        "--pool-name", model.name,
        "--pool-namespace", model.namespace,
        "--pool-group", POOL_GROUP,
        "--config-file", CONFIG_FILE,
        "--grpc-port", str(GRPC_PORT),
        "--grpc-health-port", str(GRPC_HEALTH_PORT),
        "--metrics-port", str(METRICS_PORT),
        "--zap-encoder", "json",
    ]  # fmt: skip
    if gen.metrics_auth_flag is not None:
        args.append(gen.metrics_auth_flag)
    if versions.vllm.kv_usage_metric != gen.default_kv_usage_metric:
        args += ["--kv-cache-usage-percentage-metric", versions.vllm.kv_usage_metric]
    return args


def _epp_container(model: ModelPlan, versions: Versions) -> K8sObject:
    ports = [
        {"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
        {"name": "grpc-health", "containerPort": GRPC_HEALTH_PORT, "protocol": "TCP"},
        {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
    ]
    if _legacy_precise(model, versions.epp):
        ports.append(
            {"name": "kv-events", "containerPort": PREFIX_CACHE.zmq_port, "protocol": "TCP"}
        )
    grpc_probe = {
        "grpc": {"port": GRPC_HEALTH_PORT, "service": "envoy.service.ext_proc.v3.ExternalProcessor"}
    }
    container: K8sObject = {
        "name": "epp",
        "image": versions.epp_image,
        "args": _epp_args(model, versions),
        "ports": ports,
    }
    if model.token_secret is not None and model.uri.startswith("hf://"):
        container["env"] = [common.hf_token_env(model.token_secret)]
    container.update(
        {
            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
            "readinessProbe": {**grpc_probe, "periodSeconds": 5},
            "livenessProbe": {**grpc_probe, "periodSeconds": 10, "initialDelaySeconds": 5},
            "securityContext": container_context(),
            "volumeMounts": [{"name": "config", "mountPath": "/config", "readOnly": True}],
        }
    )
    return container


def _epp_deployment(model: ModelPlan, versions: Versions) -> K8sObject:
    name = epp_name(model)
    labels = epp_labels(model)
    return obj(
        "apps/v1",
        "Deployment",
        name,
        model.namespace,
        labels=labels,
        spec={
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": name,
                    # the image's user is numeric (65532), so no UID needs naming
                    "securityContext": pod_context(),
                    "containers": [_epp_container(model, versions)],
                    "terminationGracePeriodSeconds": 130,
                    "volumes": [{"name": "config", "configMap": {"name": name}}],
                },
            },
        },
    )


def _epp_service(model: ModelPlan, gen: EppGeneration) -> K8sObject:
    ports = [
        {
            "name": "grpc",
            "port": GRPC_PORT,
            "targetPort": "grpc",
            "protocol": "TCP",
            "appProtocol": "http2",
        },
        {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"},
    ]
    if _legacy_precise(model, gen):
        ports.append(
            {
                "name": "kv-events",
                "port": PREFIX_CACHE.zmq_port,
                "targetPort": "kv-events",
                "protocol": "TCP",
            }
        )
    labels = epp_labels(model)
    return obj(
        "v1",
        "Service",
        epp_name(model),
        model.namespace,
        labels=labels,
        spec={"type": "ClusterIP", "selector": labels, "ports": ports},
    )


def epp_monitor(model: ModelPlan) -> K8sObject:
    labels = epp_labels(model)
    return obj(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        epp_name(model),
        model.namespace,
        labels=labels,
        spec={
            "selector": {"matchLabels": labels},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "15s"}],
        },
    )


def gateway_objects(model: ModelPlan, gateway_class: str) -> list[K8sObject]:
    gateway = obj(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        model.name,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        spec={
            "gatewayClassName": gateway_class,
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
        },
    )
    route = obj(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        model.name,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        spec={
            "parentRefs": [{"name": model.name}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {"group": POOL_GROUP, "kind": "InferencePool", "name": model.name}
                    ],
                    "timeouts": {"request": "300s"},
                }
            ],
        },
    )
    if gateway_class not in ISTIO_GATEWAY_CLASSES:
        return [gateway, route]
    return [gateway, route, epp_destination_rule(model)]


def epp_destination_rule(model: ModelPlan) -> K8sObject:
    """TLS from an Istio gateway to the EPP, which serves TLS with a self-signed
    certificate (the gateway would otherwise speak plaintext, and with ``FailClose`` every
    request fails). Upstream's gateway chart renders the same for its ``istio`` provider
    (llm-d/llm-d-router v0.10.0 config/charts/llm-d-router-gateway/templates/istio.yaml);
    ``networking.istio.io/v1`` is served from Istio 1.22."""
    return obj(
        "networking.istio.io/v1",
        "DestinationRule",
        epp_name(model),
        model.namespace,
        labels=epp_labels(model),
        spec={
            "host": f"{epp_name(model)}.{model.namespace}.svc.cluster.local",
            "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}},
        },
    )


POD_NAMESPACE = "POD_NAMESPACE"


def catalog_objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    """The standalone objects of a catalog entry point: the decode Deployment, the
    InferencePool and the EPP, namespace-free (the user's ``-n``): the EPP finds its pool
    in its own namespace (``--pool-namespace $(POD_NAMESPACE)``, the downward API) and its
    RoleBinding's subject defaults to the binding's namespace. The Gateway and HTTPRoute
    stay with the lab (their class is the cluster's)."""
    assert not model.namespace
    out = [*workers(model, versions), inference_pool(model, versions.epp)]
    for item in epp_objects(model, versions):
        if item["kind"] == "RoleBinding":
            for subject in item["subjects"]:
                subject.pop("namespace")
        if item["kind"] == "Deployment":
            (container,) = item["spec"]["template"]["spec"]["containers"]
            args = container["args"]
            args[args.index("--pool-namespace") + 1] = f"$({POD_NAMESPACE})"
            field = {"fieldRef": {"fieldPath": "metadata.namespace"}}
            container["env"] = [{"name": POD_NAMESPACE, "valueFrom": field}]
        out.append(item)
    return out


# The module as a ServerKind (labgen.components.serving.kinds).
TRAITS = SERVERS["llm-d"]
CATALOG = True
METRICS: frozenset[Metric] = frozenset({"vllm", "epp"})


def model_objects(plan: LabPlan, model: ModelPlan, versions: Versions) -> list[K8sObject]:
    assert plan.gateway_class is not None
    return objects(model, versions, plan.has("monitoring"), plan.gateway_class)


def scaled(model: ModelPlan) -> str | None:
    return f"{model.name}-decode"


HTTP_LISTENER_PORT = 80
"""The listener of the model's Gateway. Istio's gateway pods bind the listener's port
itself (its deployment lowers ``net.ipv4.ip_unprivileged_port_start``); other classes
may map it to another container port, so their clients are allowed every port."""


def pods(model: ModelPlan) -> Pods:
    """The model's vLLM pods (decode, and prefill for P/D)."""
    return vllm.pods(model)


def epp_pods(model: ModelPlan) -> Pods:
    return network.pods(model.namespace, f"{model.name}-epp", epp_labels(model))


def client(plan: LabPlan, model: ModelPlan) -> Client:
    """Clients call the model's Gateway, whose data-plane pods the GatewayClass creates."""
    port = HTTP_LISTENER_PORT if plan.gateway_class in ISTIO_GATEWAY_CLASSES else None
    return Client(network.gateway_pods(model.namespace, model.name), port)


def flows(plan: LabPlan, model: ModelPlan) -> Iterator[Flow]:
    servers, epp = pods(model), epp_pods(model)
    gateway = network.gateway_pods(model.namespace, model.name)
    yield Flow(epp, GRPC_PORT, gateway, "the gateway asks the EPP (ext-proc)")
    yield Flow(servers, common.VLLM_PORT, gateway, "the gateway forwards to the picked pod")
    yield Flow(servers, common.VLLM_PORT, epp, "the EPP reads the pods' metrics")
    if model.routing != "precise-prefix-cache":
        return
    # KV-cache events and tokenizing, by EPP generation (see kv_events_endpoint)
    gen = generation(EPP, plan.releases["llm-d-router"].version)
    zmq = PREFIX_CACHE.zmq_port
    if gen.precise_producer is None:  # every vLLM pod publishes to the EPP's one socket
        yield Flow(epp, zmq, servers, "vLLM publishes KV-cache events to the EPP (ZMQ)")
        return
    service = render_service_name(model)
    tokenize = "the EPP tokenizes with vLLM's render endpoints"
    yield Flow(servers, common.VLLM_PORT, epp, tokenize, service)
    yield Flow(servers, zmq, epp, "the EPP subscribes to the pods' KV-cache events (ZMQ)")
