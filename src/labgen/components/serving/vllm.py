"""server: vllm — a Deployment (or a LeaderWorkerSet for multi-node replicas), its Service,
a PodMonitor, and the optional model-cache PVC filled by a download Job first."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import K8sObject, obj
from labgen.components.network import model as network
from labgen.components.network.model import Client, Flow, Pods
from labgen.components.podsecurity import container_context, without_api_token
from labgen.components.serving import common
from labgen.components.serving.common import Versions
from labgen.data.servers import SERVERS, Metric
from labgen.plan.model import LabPlan, ModelPlan

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
LWS_API = "leaderworkerset.x-k8s.io/v1"
LWS_WORKER_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/worker-index"


def objects(model: ModelPlan, versions: Versions, monitoring: bool) -> list[K8sObject]:
    out = cache_objects(model, versions)
    if model.nodes_per_replica > 1:
        out.append(leader_worker_set(model, versions))
    else:
        out.append(deployment(model, versions))
    out.append(service(model, "server", leader_only=model.nodes_per_replica > 1))
    if monitoring:
        out.append(pod_monitor(model))
    return out


def deployment(
    model: ModelPlan,
    versions: Versions,
    name: str | None = None,
    component: str = "server",
    extra_labels: dict[str, str] | None = None,
    containers: list[K8sObject] | None = None,
    init: list[K8sObject] | None = None,
    replicas: int | None = None,
) -> K8sObject:
    fit = model.fit
    if containers is None:
        args = common.vllm_args(model, fit.tp, fit.pp)
        containers = [common.vllm_container(model, versions, args, fit.gpus)]
    pod_labels = {**common.labels(model, component), **(extra_labels or {})}
    return obj(
        "apps/v1",
        "Deployment",
        name or model.name,
        model.namespace,
        labels=common.labels(model, component),
        annotations={SYNC_WAVE: "1"},
        spec={
            "replicas": model.replicas if replicas is None else replicas,
            "selector": {"matchLabels": common.selector(model, component)},
            # A new pod needs the GPUs the old one holds: replace, never surge.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
            },
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": common.pod_spec(model, containers, init),
            },
        },
    )


def leader_worker_set(model: ModelPlan, versions: Versions) -> K8sObject:
    """One replica = one leader pod + workers, a node each; vLLM's multiprocessing
    backend across nodes (no Ray): the leader serves the API, workers run headless."""
    fit = model.fit
    gpus = model.gpus_per_pod
    multi = ["--distributed-executor-backend", "mp", "--nnodes", "$(LWS_GROUP_SIZE)"]
    multi += ["--master-addr", "$(LWS_LEADER_ADDRESS)"]
    leader_args = [*common.vllm_args(model, fit.tp, fit.pp), *multi, "--node-rank", "0"]
    worker_args = [*common.vllm_args(model, fit.tp, fit.pp), *multi]
    worker_args += ["--node-rank", "$(LWS_WORKER_INDEX)", "--headless"]
    leader = common.vllm_container(model, versions, leader_args, gpus)
    worker = common.vllm_container(model, versions, worker_args, gpus)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        worker.pop(probe)  # headless workers serve no HTTP
    worker["ports"] = [p for p in worker["ports"] if p["name"] != "http"] or []
    if not worker["ports"]:
        del worker["ports"]
    pod_labels = common.labels(model, "server")
    return obj(
        LWS_API,
        "LeaderWorkerSet",
        model.name,
        model.namespace,
        labels=pod_labels,
        annotations={SYNC_WAVE: "1"},
        spec={
            "replicas": model.replicas,
            "leaderWorkerTemplate": {
                "size": model.nodes_per_replica,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": {
                    "metadata": {"labels": pod_labels},
                    "spec": common.pod_spec(model, [leader]),
                },
                "workerTemplate": {
                    "metadata": {"labels": pod_labels},
                    "spec": common.pod_spec(model, [worker]),
                },
            },
        },
    )


def service(model: ModelPlan, component: str, leader_only: bool = False) -> K8sObject:
    selector = common.selector(model, component)
    if leader_only:
        selector[LWS_WORKER_INDEX_LABEL] = "0"
    return obj(
        "v1",
        "Service",
        model.name,
        model.namespace,
        labels=common.labels(model, component),
        spec={
            "type": "ClusterIP",
            "selector": selector,
            "ports": [
                {"name": "http", "port": common.VLLM_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    )


def pod_monitor(model: ModelPlan) -> K8sObject:
    """Scrapes every vLLM pod of the model (decode and prefill alike)."""
    return obj(
        "monitoring.coreos.com/v1",
        "PodMonitor",
        model.name,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        spec={
            "selector": {
                "matchLabels": {common.MODEL_LABEL: model.name, common.NAME_LABEL: "vllm"}
            },
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}],
        },
    )


DOWNLOAD_SCRIPT = (
    "from huggingface_hub import snapshot_download; import sys; "
    "snapshot_download(repo_id=sys.argv[1])"
)


def cache_objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    """The model-cache PVC and a Job that fills it (sync wave 0, before the server's 1).

    The Job's name carries a hash of what it downloads and of its image as written: a
    Job's pod template is immutable, so a new model gets a new Job instead of a failed
    sync. An image the catalog pins is written untagged, and the ``job-names`` Component
    appends the image's key to the name at build time: a new vLLM is a new Job too,
    without a changed file."""
    written = common.as_written(versions.vllm_image)
    cache = model.cache
    if cache is None:
        return []
    claim: K8sObject = {
        "accessModes": [cache.access_mode],
        "resources": {"requests": {"storage": cache.size}},
        "volumeMode": "Filesystem",
    }
    if cache.storage_class is not None:
        claim["storageClassName"] = cache.storage_class
    pvc = obj(
        "v1",
        "PersistentVolumeClaim",
        common.cache_claim(model),
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        annotations={SYNC_WAVE: "0"},
        spec=claim,
    )
    repo = model.uri.removeprefix("hf://")
    env: list[K8sObject] = [{"name": "HF_HOME", "value": common.MODEL_CACHE_MOUNT}]
    if model.token_secret is not None:
        env.append(common.hf_token_env(model.token_secret))
    env += [e for e in common.home_env(model) if e["name"] != "HF_HOME"]
    container: K8sObject = {
        "name": "download",
        "image": versions.vllm_image,
        "command": ["python3", "-c", DOWNLOAD_SCRIPT, repo],
        "env": env,
        "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
        "securityContext": container_context(),
        "volumeMounts": [
            {"name": "model-cache", "mountPath": common.MODEL_CACHE_MOUNT},
            common.home_mount(),
        ],
    }
    job = obj(
        "batch/v1",
        "Job",
        f"{model.name}-download-{common.short_hash(model.uri, written)}",
        model.namespace,
        labels={common.MODEL_LABEL: model.name, common.COMPONENT_LABEL: "download"},
        annotations={SYNC_WAVE: "0"},
        spec={
            "backoffLimit": 6,
            "template": {
                "metadata": {"labels": {common.MODEL_LABEL: model.name}},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "securityContext": common.vllm_pod_context(),
                    **without_api_token(),
                    "containers": [container],
                    # on the pool: a ReadWriteOnce volume binds to the node that fills it
                    **common.placement(model.pool),
                    "volumes": [
                        {
                            "name": "model-cache",
                            "persistentVolumeClaim": {"claimName": common.cache_claim(model)},
                        },
                        common.home_volume(),
                    ],
                },
            },
        },
    )
    return [pvc, job]


# The module as a ServerKind (labgen.components.serving.kinds).
TRAITS = SERVERS["vllm"]
CATALOG = True
METRICS: frozenset[Metric] = frozenset({"vllm"})


def model_objects(plan: LabPlan, model: ModelPlan, versions: Versions) -> list[K8sObject]:
    return objects(model, versions, plan.has("monitoring"))


def catalog_objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    return [deployment(model, versions), service(model, "server")]


def scaled(model: ModelPlan) -> str | None:
    return model.name


def pods(model: ModelPlan) -> Pods:
    """The model's vLLM pods (a Deployment's, or every pod of a LeaderWorkerSet)."""
    return network.pods(
        model.namespace, model.name, {common.MODEL_LABEL: model.name, common.NAME_LABEL: "vllm"}
    )


def client(plan: LabPlan, model: ModelPlan) -> Client:
    return Client(pods(model), common.VLLM_PORT, model.name)


def flows(plan: LabPlan, model: ModelPlan) -> Iterator[Flow]:
    return iter(())
