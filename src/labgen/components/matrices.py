"""Benchmark matrices: per batch one Job whose pod starts vLLM as a native sidecar and runs
GuideLLM once per configuration against it, queued through Kueue.

Kueue admits a batch when its pool has the GPUs free: one ``ResourceFlavor`` per pool
(its node label and taint), one ``ClusterQueue`` for the lab whose GPU quota per flavor is
what serving leaves of the pool at its largest (CPU and memory quotas are sized so that
GPUs are the only limit), and a ``LocalQueue`` in each matrix namespace. Jobs are created
suspended with the queue label; Kueue unsuspends them, which the Application ignores.

Resume: each configuration writes ``/results/vllm-<version>/<id>.json`` (its stable id,
under the version the server reports) and the runner skips ids whose file exists, so a
retried pod or a recreated Job only measures what is missing, and a new vLLM measures
everything again. A pod lost to node disruption is retried without counting as a failure.

The batch Jobs write the pinned vLLM image untagged: the catalog's ``images`` Component
tags it and its ``job-names`` Component appends the image's key to their names, so a vLLM
bump renames every batch Job (a new Job, as an immutable pod template needs) without
changing a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from labgen.components.base import (
    App,
    Component,
    K8sObject,
    KustomizeSource,
    obj,
    skip_dry_run,
    untagged,
)
from labgen.components.benchmarks import (
    UID,
    WAVE_BENCHMARKS,
    guidellm_args,
    retry_disrupted_pods,
)
from labgen.components.observability import alerts
from labgen.components.podsecurity import (
    container_context,
    without_api_token,
    without_assigned_ids,
)
from labgen.components.serving.catalog import BATCH_LABEL, pinned_components
from labgen.components.serving.common import (
    VLLM_PORT,
    Versions,
    catalog_pins,
    hf_token_env,
    short_hash,
    vllm_args,
    vllm_container,
    vllm_pod_context,
    volumes,
)
from labgen.data.benchmarks import GUIDELLM
from labgen.data.serving import generation
from labgen.plan.model import (
    GPU_RESOURCE,
    POOL_LABEL,
    BenchmarkPlan,
    LabPlan,
    MatrixBatch,
    MatrixConfig,
    MatrixPlan,
    PoolPlan,
)

KEY = "matrices"
KUEUE_API = "kueue.x-k8s.io/v1beta2"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
MATRIX_LABEL = "labgen.dev/matrix"
RESULTS = "/results"
BATCH_DIR = "/batch"
RUNNER_DIR = "/runner"
CACHE = "/cache"
OUTPUT = "{output}"
"""Placeholder the runner replaces with the configuration's temporary result path."""
GUIDELLM_CPU = 2
GUIDELLM_MEMORY_GIB = 4
SERVER_CPU_PER_GPU = 4  # serving.common.resources()
SERVER_MEMORY_GIB_PER_GPU = 24
RUNNER = """\
# One batch of a labgen benchmark matrix: GuideLLM once per configuration against the
# vLLM sidecar. Results go to a directory per vLLM version, as the server reports it. A
# configuration whose result exists is skipped (resume); results are written under a
# temporary name and renamed once GuideLLM succeeds, parameters first.
import json, os, subprocess, sys, urllib.request

batch_file, results, server = sys.argv[1], sys.argv[2], sys.argv[3]
with open(batch_file) as f:
    batch = json.load(f)
with urllib.request.urlopen(server + "/version", timeout=60) as response:
    vllm = str(json.load(response)["version"])
out_dir = os.path.join(results, "vllm-" + vllm.replace("/", "_"))
os.makedirs(out_dir, exist_ok=True)
configs = batch["configs"]
ran, skipped, failed = 0, 0, []
for n, config in enumerate(configs, 1):
    cid = config["id"]
    result = os.path.join(out_dir, cid + ".json")
    tag = "[%d/%d] %s" % (n, len(configs), cid)
    if os.path.exists(result):
        print(tag, "skipped: result exists", flush=True)
        skipped += 1
        continue
    partial = os.path.join(out_dir, ".partial-" + cid + ".json")
    print(tag, json.dumps(config["parameters"], sort_keys=True), flush=True)
    code = subprocess.call(["guidellm"] + [a.replace("{output}", partial) for a in config["args"]])
    if code != 0 or not os.path.exists(partial):
        print(tag, "failed: guidellm exited with", code, flush=True)
        failed.append(cid)
        continue
    params = os.path.join(out_dir, cid + ".params.json")
    with open(params + ".tmp", "w") as f:
        meta = {"matrix": batch["matrix"], "vllm": vllm, **config["parameters"]}
        json.dump(meta, f, sort_keys=True)
    os.replace(params + ".tmp", params)
    os.replace(partial, result)
    ran += 1
summary = {"matrix": batch["matrix"], "batch": batch["batch"], "vllm": vllm, "ran": ran}
summary.update(skipped=skipped, failed=failed)
print(json.dumps(summary), flush=True)
sys.exit(1 if failed else 0)
"""


def flavor_name(plan: LabPlan, pool: PoolPlan) -> str:
    return f"{plan.name}-{pool.name}"


def cluster_queue_name(plan: LabPlan) -> str:
    return f"{plan.name}-matrices"


def local_queue_name(plan: LabPlan) -> str:
    """Named after the lab, like its ClusterQueue: a LocalQueue's ``spec.clusterQueue`` is
    immutable, so two labs each pointing a ``matrices`` LocalQueue of one namespace at
    their own ClusterQueue would have the second rejected."""
    return cluster_queue_name(plan)


def kueue_objects(plan: LabPlan) -> list[K8sObject]:
    """ResourceFlavors, the lab's ClusterQueue and a LocalQueue per matrix namespace."""
    pools = {p.name: p for m in plan.matrices for p in m.pools}
    flavors = [
        obj(
            KUEUE_API,
            "ResourceFlavor",
            flavor_name(plan, pool),
            annotations=skip_dry_run(),
            spec={
                "nodeLabels": {POOL_LABEL: pool.name},
                "nodeTaints": pool.taints,
            },
        )
        for pool in pools.values()
    ]
    namespaces = sorted({m.namespace for m in plan.matrices})
    quotas = []
    for pool in pools.values():
        gpus = plan.gpu_budgets[pool.name]
        # every admitted pod has at least one GPU: at these CPU and memory quotas the
        # GPUs run out first
        cpu = gpus * (SERVER_CPU_PER_GPU + GUIDELLM_CPU)
        memory = gpus * (SERVER_MEMORY_GIB_PER_GPU + GUIDELLM_MEMORY_GIB)
        quotas.append(
            {
                "name": flavor_name(plan, pool),
                "resources": [
                    {"name": "cpu", "nominalQuota": str(cpu)},
                    {"name": "memory", "nominalQuota": f"{memory}Gi"},
                    {"name": GPU_RESOURCE, "nominalQuota": str(gpus)},
                ],
            }
        )
    cluster_queue = obj(
        KUEUE_API,
        "ClusterQueue",
        cluster_queue_name(plan),
        annotations=skip_dry_run(),
        spec={
            "namespaceSelector": {
                "matchExpressions": [
                    {
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": namespaces,
                    }
                ]
            },
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [
                {"coveredResources": ["cpu", "memory", GPU_RESOURCE], "flavors": quotas}
            ],
        },
    )
    local_queues = [
        obj(
            KUEUE_API,
            "LocalQueue",
            local_queue_name(plan),
            namespace,
            annotations=skip_dry_run(),
            spec={"clusterQueue": cluster_queue_name(plan)},
        )
        for namespace in namespaces
    ]
    return [*flavors, cluster_queue, *local_queues]


def matrix_objects(plan: LabPlan, matrix: MatrixPlan) -> list[K8sObject]:
    labels = {MATRIX_LABEL: matrix.name}
    out = [_volume(matrix, f"{matrix.name}-results", matrix.storage_size, labels)]
    if matrix.cache is not None:
        cache = matrix.cache
        out.append(
            _volume(
                matrix,
                f"{matrix.name}-model-cache",
                cache.size,
                labels,
                cache.access_mode,
                cache.storage_class,
            )
        )
    out.append(
        obj(
            "v1",
            "ConfigMap",
            f"{matrix.name}-runner",
            matrix.namespace,
            labels=labels,
            data={"run_batch.py": RUNNER},
        )
    )
    for batch in matrix.batches:
        out += batch_objects(plan, matrix, batch)
    return out


def batch_objects(plan: LabPlan, matrix: MatrixPlan, batch: MatrixBatch) -> list[K8sObject]:
    """The batch's configuration list (a ConfigMap) and its Job, both named after a hash of
    the Job spec as written (a pinned image untagged) and the list: a changed batch is a new
    Job (a pod template is immutable). A new pinned image renames the Job at build time
    (``job-names``)."""
    document = batch_document(plan, matrix, batch)
    labels = {MATRIX_LABEL: matrix.name, BATCH_LABEL: f"{batch.index:04d}"}
    (spec,) = untagged([_job_spec(plan, matrix, batch, "<name>", labels)], catalog_pins())
    digest = short_hash(json.dumps([spec, document], sort_keys=True))
    name = f"mx-{matrix.name}-{batch.index:04d}-{digest}"
    config_map = obj(
        "v1",
        "ConfigMap",
        name,
        matrix.namespace,
        labels=labels,
        data={"batch.json": json.dumps(document, indent=1, sort_keys=True) + "\n"},
    )
    job = obj(
        "batch/v1",
        "Job",
        name,
        matrix.namespace,
        labels={**labels, QUEUE_LABEL: local_queue_name(plan)},
        annotations={"argocd.argoproj.io/sync-wave": "1"},
        spec=_job_spec(plan, matrix, batch, name, labels),
    )
    return [config_map, job]


def batch_document(plan: LabPlan, matrix: MatrixPlan, batch: MatrixBatch) -> K8sObject:
    version = plan.releases["guidellm"].version
    gen = generation(GUIDELLM, version)
    return {
        "matrix": matrix.name,
        "batch": batch.index,
        "configs": [
            {
                "id": c.id,
                "parameters": c.parameters(),
                "args": guidellm_args(_benchmark(matrix, batch, c), gen, OUTPUT),
            }
            for c in batch.configs
        ],
    }


def _benchmark(matrix: MatrixPlan, batch: MatrixBatch, config: MatrixConfig) -> BenchmarkPlan:
    return BenchmarkPlan(
        name=config.id,
        namespace=matrix.namespace,
        model=batch.server,
        url=f"http://localhost:{VLLM_PORT}",
        profile=config.profile,
        rates=() if config.load is None else (float(config.load),),
        sweep_size=10,
        prompt_tokens=config.prompt_tokens,
        output_tokens=config.output_tokens,
        max_seconds=matrix.max_seconds,
        max_requests=matrix.max_requests,
        tokenizer=config.model.id,
        storage=matrix.storage_size,
    )


def _volume(
    matrix: MatrixPlan,
    name: str,
    size: str,
    labels: dict[str, str],
    access_mode: str | None = None,
    storage_class: str | None = None,
) -> K8sObject:
    spec: K8sObject = {
        "accessModes": [access_mode or matrix.access_mode],
        "resources": {"requests": {"storage": size}},
        "volumeMode": "Filesystem",
    }
    storage_class = storage_class if access_mode else matrix.storage_class
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return obj(
        "v1",
        "PersistentVolumeClaim",
        name,
        matrix.namespace,
        labels=labels,
        # results and downloads outlive the Jobs: never pruned, never deleted with the app
        annotations={
            "argocd.argoproj.io/sync-wave": "0",
            "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
        },
        spec=spec,
    )


def _job_spec(
    plan: LabPlan, matrix: MatrixPlan, batch: MatrixBatch, name: str, labels: dict[str, str]
) -> K8sObject:
    server = batch.server
    gpus = server.fit.gpus
    args = vllm_args(server, gpus)
    sidecar = vllm_container(server, Versions.of(plan), args, gpus, name="server")
    # a native sidecar: started (and healthy, by its startup probe) before GuideLLM, stopped
    # when GuideLLM exits; no preStop delay, nothing routes to it
    sidecar.pop("lifecycle")
    sidecar["restartPolicy"] = "Always"
    guidellm = plan.releases["guidellm"]
    env: list[K8sObject] = [{"name": "HF_HOME", "value": CACHE}]
    if server.token_secret is not None:
        env.append(hf_token_env(server.token_secret))
    # the server plan is named after the matrix: its cache claim is <matrix>-model-cache
    pod_volumes = volumes(server)
    pod_volumes += [
        {"name": "results", "persistentVolumeClaim": {"claimName": f"{matrix.name}-results"}},
        {"name": "batch", "configMap": {"name": name}},
        {"name": "runner", "configMap": {"name": f"{matrix.name}-runner"}},
        {"name": "cache", "emptyDir": {"sizeLimit": "2Gi"}},
    ]
    runner: K8sObject = {
        "name": "guidellm",
        "image": f"{guidellm.images['benchmark']}:{guidellm.version}",
        "command": ["python3", f"{RUNNER_DIR}/run_batch.py"],
        "args": [f"{BATCH_DIR}/batch.json", RESULTS, f"http://localhost:{VLLM_PORT}"],
        "env": env,
        "resources": {
            "requests": {"cpu": str(GUIDELLM_CPU), "memory": f"{GUIDELLM_MEMORY_GIB}Gi"},
            "limits": {"memory": f"{2 * GUIDELLM_MEMORY_GIB}Gi"},
        },
        # GuideLLM's user (group 0, as vLLM's): the pod's is vLLM's
        "securityContext": {**container_context(), "runAsUser": UID},
        "volumeMounts": [
            {"name": "results", "mountPath": RESULTS},
            {"name": "batch", "mountPath": BATCH_DIR, "readOnly": True},
            {"name": "runner", "mountPath": RUNNER_DIR, "readOnly": True},
            {"name": "cache", "mountPath": CACHE},
        ],
    }
    spec: K8sObject = {
        # Kueue unsuspends the Job when its ClusterQueue admits it
        "suspend": True,
        "backoffLimit": 2,
        "podFailurePolicy": retry_disrupted_pods(),
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "restartPolicy": "Never",
                "securityContext": vllm_pod_context(),
                **without_api_token(),
                "initContainers": [sidecar],
                "containers": [runner],
                "nodeSelector": dict(server.pool.node_selector),
                "tolerations": server.pool.tolerations,
                "volumes": pod_volumes,
            },
        },
    }
    if plan.platform.assigns_pod_ids:
        without_assigned_ids(spec["template"]["spec"])
    return spec


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.matrices:
        return
    namespaces = sorted({m.namespace for m in plan.matrices})
    # the first namespace is the Application's (created by the sync), others are objects
    objects = [obj("v1", "Namespace", namespace) for namespace in namespaces[1:]]
    objects += kueue_objects(plan)
    for matrix in plan.matrices:
        objects += matrix_objects(plan, matrix)
    objects += alerts.matrix_rules(plan)
    components, pins = pinned_components(objects)
    yield App(
        KEY,
        WAVE_BENCHMARKS,
        namespaces[0],
        KustomizeSource(objects=tuple(objects), components=components, untagged=pins),
        create_namespace=True,
        # Kueue unsuspends admitted Jobs; Argo CD must not suspend them again
        ignore_differences=({"group": "batch", "kind": "Job", "jsonPointers": ["/spec/suspend"]},),
        extra_namespaces=tuple(namespaces[1:]),
    )


COMPONENT = Component(KEY, apps=apps)
