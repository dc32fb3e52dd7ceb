"""What every server shares: the vLLM container (image, `vllm serve` args, env, probes,
volumes), pod placement on the model's pool, labels, and the version facts in use."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from labgen.components.base import K8sObject
from labgen.components.podsecurity import container_context, pod_context, without_api_token
from labgen.data.releases import RELEASES
from labgen.data.serving import (
    EPP,
    KSERVE,
    PREFIX_CACHE,
    VLLM,
    EppGeneration,
    KserveGeneration,
    VllmGeneration,
    generation,
)
from labgen.plan.fit import CpuFit
from labgen.plan.model import GPU_RESOURCE, LabPlan, ModelPlan, PoolPlan

VLLM_PORT = 8000
NIXL_SIDE_CHANNEL_PORT = 5600
MODEL_CACHE_MOUNT = "/model-cache"
PVC_MODEL_MOUNT = "/mnt/models"
SHM_SIZE = "16Gi"
CPU_SHM_SIZE = "4Gi"  # vLLM's CPU docs run its image with --shm-size=4g
CPU_REQUEST = "2"
"""CPU request of a cpu model's server: the core vLLM's docs say to reserve for its front-end
(``VLLM_CPU_NUM_OF_RESERVED_CPU=1``) and at least one for its OpenMP threads. No limit: the
threads use every core the node has."""
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
MODEL_LABEL = "labgen.dev/model"
# The vllm-openai image runs as root by default and ships a `vllm` user, UID 2000 in group
# 0 (vLLM's docker/Dockerfile, "Non-root support", #40275). Its HOME is not writable by
# another UID (vLLM issues #10185, #20127): every server gets an emptyDir HOME and its
# caches under it (or on the model-cache volume).
VLLM_UID = 2000
VLLM_HOME = "/home/vllm"
TERMINATION_GRACE_SECONDS = 120
STARTUP_FAILURE_THRESHOLD = 360  # x 10 s: an hour to download and load big weights


@dataclass(frozen=True)
class Versions:
    """The generation rows of the lab's pinned (or overridden) serving releases."""

    vllm_version: str
    vllm: VllmGeneration
    epp_version: str
    epp: EppGeneration
    kserve_version: str
    kserve: KserveGeneration
    vllm_repository: str = RELEASES["vllm"].images["server"]
    """The vLLM server image without its tag (the release table's)."""
    vllm_cpu_repository: str = RELEASES["vllm"].images["server-cpu"]
    """vLLM's CPU image (nodes without a GPU), tagged like the server image."""

    @classmethod
    def of(cls, plan: LabPlan) -> Versions:
        v, e, k = (plan.releases[key].version for key in ("vllm", "llm-d-router", "kserve"))
        return cls(
            v,
            generation(VLLM, v),
            e,
            generation(EPP, e),
            k,
            generation(KSERVE, k),
            plan.releases["vllm"].images["server"],
            plan.releases["vllm"].images["server-cpu"],
        )

    @property
    def vllm_image(self) -> str:
        return f"{self.vllm_repository}:{self.vllm_version}"

    @property
    def vllm_cpu_image(self) -> str:
        return f"{self.vllm_cpu_repository}:{self.vllm_version}"

    @property
    def epp_image(self) -> str:
        return f"{self.epp.image}:{self.epp_version}"

    @property
    def sidecar_image(self) -> str:
        return f"{self.epp.sidecar_image}:{self.epp_version}"


def labels(model: ModelPlan, component: str) -> dict[str, str]:
    return {
        NAME_LABEL: "vllm",
        INSTANCE_LABEL: model.name,
        COMPONENT_LABEL: component,
        MODEL_LABEL: model.name,
    }


def selector(model: ModelPlan, component: str) -> dict[str, str]:
    return {MODEL_LABEL: model.name, COMPONENT_LABEL: component}


def placement(pool: PoolPlan) -> dict[str, Any]:
    out: dict[str, Any] = {"nodeSelector": dict(pool.node_selector)}
    if pool.tolerations:
        out["tolerations"] = pool.tolerations
    return out


def model_argument(model: ModelPlan) -> tuple[str, list[str]]:
    """The positional model argument of `vllm serve` and the flags its source needs."""
    uri = model.uri
    if uri.startswith("hf://"):
        return uri.removeprefix("hf://"), []
    if uri.startswith("s3://"):
        # vLLM streams safetensors from object storage with the Run:ai model streamer.
        return uri, ["--load-format", "runai_streamer"]
    claim_path = uri.removeprefix("pvc://").partition("/")[2]
    return f"{PVC_MODEL_MOUNT}/{claim_path}".rstrip("/"), []


def vllm_args(
    model: ModelPlan,
    tp: int,
    pp: int = 1,
    port: int = VLLM_PORT,
    role: str | None = None,
    kv_events_endpoint: str | None = None,
    model_path: str | None = None,
) -> list[str]:
    """`vllm serve` arguments (after `vllm serve`), one flag and value per element."""
    path, source_flags = model_argument(model)
    args = [model_path or path, "--served-model-name", model.served_name]
    args += ["--port", str(port)]
    args += ["--tensor-parallel-size", str(tp)]
    if pp > 1:
        args += ["--pipeline-parallel-size", str(pp)]
    source = [] if model_path else source_flags
    return args + tuning_args(model, source, role, kv_events_endpoint)


def tuning_args(
    model: ModelPlan, source_flags: list[str], role: str | None, kv_events_endpoint: str | None
) -> list[str]:
    """Flags after the model, port and parallelism: memory, dtype, routing, extras."""
    fit = model.fit
    args = ["--max-model-len", str(fit.max_model_len)]
    if not fit.cpu:
        args += ["--gpu-memory-utilization", f"{fit.gpu_memory_utilization:.2f}"]
    if fit.dtype in ("bf16", "fp16"):
        args += ["--dtype", {"bf16": "bfloat16", "fp16": "float16"}[fit.dtype]]
    if model.quantization is not None:
        args += ["--quantization", model.quantization]
    if fit.kv_cache_dtype == "fp8":
        args += ["--kv-cache-dtype", "fp8"]
    args += source_flags
    if model.routing == "precise-prefix-cache":
        assert kv_events_endpoint is not None
        events = {
            "enable_kv_cache_events": True,
            "publisher": "zmq",
            "endpoint": kv_events_endpoint,
            "topic": PREFIX_CACHE.topic("$(POD_IP)", model.served_name),
        }
        args += ["--enable-prefix-caching"]
        args += ["--block-size", str(PREFIX_CACHE.block_size)]
        args += ["--prefix-caching-hash-algo", PREFIX_CACHE.hash_algo]
        args += ["--kv-events-config", json.dumps(events, separators=(",", ":"))]
    if role is not None:  # P/D disaggregation: KV blocks move between pods with NIXL
        transfer = {"kv_connector": "NixlConnector", "kv_role": "kv_both"}
        args += ["--kv-transfer-config", json.dumps(transfer, separators=(",", ":"))]
    args += list(model.extra_args)
    return args


def vllm_env(model: ModelPlan, role: str | None = None) -> list[K8sObject]:
    env: list[K8sObject] = []
    needs_pod_ip = model.routing == "precise-prefix-cache" or role is not None
    if needs_pod_ip:
        env.append({"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    if model.cache is not None:
        env.append({"name": "HF_HOME", "value": MODEL_CACHE_MOUNT})
    if model.token_secret is not None and model.uri.startswith("hf://"):
        env.append(hf_token_env(model.token_secret))
    if model.routing == "precise-prefix-cache":
        env.append({"name": "PYTHONHASHSEED", "value": PREFIX_CACHE.hash_seed})
    if role is not None:
        env.append({"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "value": "$(POD_IP)"})
        env.append({"name": "VLLM_NIXL_SIDE_CHANNEL_PORT", "value": str(NIXL_SIDE_CHANNEL_PORT)})
    if isinstance(model.fit, CpuFit):
        env += cpu_env(model.fit)
    return env


def cpu_env(fit: CpuFit) -> list[K8sObject]:
    """vLLM's CPU backend: the KV cache it allocates (GiB), OpenMP threads bound per NUMA
    node (its default, written out) with one core kept for the API front-end."""
    return [
        {"name": "VLLM_CPU_KVCACHE_SPACE", "value": str(fit.kv_space_gib)},
        {"name": "VLLM_CPU_OMP_THREADS_BIND", "value": "auto"},
        {"name": "VLLM_CPU_NUM_OF_RESERVED_CPU", "value": "1"},
    ]


def hf_token_env(secret: str | None) -> K8sObject:
    """HF_TOKEN from the user's Secret (created outside git; never inlined)."""
    assert secret is not None
    return {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": secret, "key": "HF_TOKEN"}}}


def env_from(model: ModelPlan) -> list[K8sObject]:
    if model.token_secret is not None and model.uri.startswith("s3://"):
        return [{"secretRef": {"name": model.token_secret}}]
    return []


def resources(gpus: int) -> K8sObject:
    """Per pod: CPU and host memory scale with the GPUs (tokenization, weight loading)."""
    return {
        "requests": {"cpu": str(4 * gpus), "memory": f"{24 * gpus}Gi", GPU_RESOURCE: str(gpus)},
        "limits": {"memory": f"{48 * gpus}Gi", GPU_RESOURCE: str(gpus)},
    }


def cpu_resources(fit: CpuFit) -> K8sObject:
    """A cpu model's server: the planned RAM (weights, KV space, overhead) as request and
    limit, so the scheduler keeps it for the model; no GPU."""
    memory = f"{fit.memory_gib}Gi"
    return {"requests": {"cpu": CPU_REQUEST, "memory": memory}, "limits": {"memory": memory}}


def probes(port: str = "http") -> K8sObject:
    health = {"path": "/health", "port": port}
    return {
        "startupProbe": {
            "httpGet": health,
            "periodSeconds": 10,
            "failureThreshold": STARTUP_FAILURE_THRESHOLD,
        },
        "readinessProbe": {"httpGet": health, "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"httpGet": health, "periodSeconds": 10, "failureThreshold": 3},
    }


def vllm_container(
    model: ModelPlan,
    versions: Versions,
    args: list[str],
    gpus: int,
    role: str | None = None,
    port: int = VLLM_PORT,
    name: str = "vllm",
) -> K8sObject:
    cpu = isinstance(model.fit, CpuFit)
    container: K8sObject = {
        "name": name,
        "image": versions.vllm_cpu_image if cpu else versions.vllm_image,
        "command": ["vllm", "serve"],
        "args": args,
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
    }
    container["env"] = [*vllm_env(model, role), *home_env(model)]
    sources = env_from(model)
    if sources:
        container["envFrom"] = sources
    if role is not None:
        container["ports"].append(
            {"name": "nixl", "containerPort": NIXL_SIDE_CHANNEL_PORT, "protocol": "TCP"}
        )
    container["resources"] = (
        cpu_resources(model.fit) if isinstance(model.fit, CpuFit) else resources(gpus)
    )
    container.update(probes())
    # Leave time for the endpoints to drop the pod before vLLM stops taking requests.
    container["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "15"]}}}
    container["securityContext"] = container_context()
    container["volumeMounts"] = volume_mounts(model)
    return container


def home_env(model: ModelPlan | None) -> list[K8sObject]:
    """A writable HOME and every cache vLLM, Hugging Face, Triton and torch.compile write
    redirected under it (Hugging Face's to the model cache when the model has one)."""
    cache = f"{VLLM_HOME}/.cache"
    env = [
        {"name": "HOME", "value": VLLM_HOME},
        {"name": "USER", "value": "vllm"},  # getpass.getuser() for a UID not in /etc/passwd
        {"name": "XDG_CACHE_HOME", "value": cache},
        {"name": "VLLM_CACHE_ROOT", "value": f"{cache}/vllm"},
        {"name": "TRITON_CACHE_DIR", "value": f"{cache}/triton"},
    ]
    if model is None or model.cache is None:
        env.append({"name": "HF_HOME", "value": f"{cache}/huggingface"})
    return env


def home_mount() -> K8sObject:
    return {"name": "home", "mountPath": VLLM_HOME}


def home_volume() -> K8sObject:
    """Node-local scratch for HOME and the caches (weights too, without a model cache)."""
    return {"name": "home", "emptyDir": {}}


def vllm_pod_context() -> K8sObject:
    """Pods running the vLLM image: its `vllm` user and group 0 (OpenShift: assigned)."""
    return pod_context(VLLM_UID, 0, 0)


def volume_mounts(model: ModelPlan) -> list[K8sObject]:
    mounts: list[K8sObject] = [{"name": "dshm", "mountPath": "/dev/shm"}, home_mount()]
    if model.cache is not None:
        mounts.append({"name": "model-cache", "mountPath": MODEL_CACHE_MOUNT})
    if model.uri.startswith("pvc://"):
        mounts.append({"name": "models", "mountPath": PVC_MODEL_MOUNT, "readOnly": True})
    return mounts


def volumes(model: ModelPlan) -> list[K8sObject]:
    out: list[K8sObject] = [
        {
            "name": "dshm",
            "emptyDir": {
                "medium": "Memory",
                "sizeLimit": CPU_SHM_SIZE if model.fit.cpu else SHM_SIZE,
            },
        },
        home_volume(),
    ]
    if model.cache is not None:
        out.append(
            {"name": "model-cache", "persistentVolumeClaim": {"claimName": cache_claim(model)}}
        )
    if model.uri.startswith("pvc://"):
        claim = model.uri.removeprefix("pvc://").partition("/")[0]
        out.append(
            {"name": "models", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}
        )
    return out


def pod_spec(
    model: ModelPlan, containers: list[K8sObject], init: list[K8sObject] | None = None
) -> K8sObject:
    spec: K8sObject = {}
    if init:
        spec["initContainers"] = init
    spec["containers"] = containers
    spec.update(placement(model.pool))
    spec["securityContext"] = vllm_pod_context()
    spec.update(without_api_token())
    spec["terminationGracePeriodSeconds"] = TERMINATION_GRACE_SECONDS
    spec["volumes"] = volumes(model)
    return spec


def cache_claim(model: ModelPlan) -> str:
    return f"{model.name}-model-cache"


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


def catalog_pins() -> tuple[tuple[str, str], ...]:
    """(name, tag) of the images the catalog's ``images`` Component pins: the release
    table's vLLM server."""
    return ((RELEASES["vllm"].images["server"], RELEASES["vllm"].version),)


def as_written(image: str) -> str:
    """An image as labgen's files write it: untagged when the catalog pins its tag (the
    ``images`` Component sets it), whole otherwise (a lab's own version)."""
    name, _, tag = image.rpartition(":")
    return name if (name, tag) in catalog_pins() else image


def image_key() -> str:
    """Five hex digits of the pinned images: the suffix the ``job-names`` Component gives
    the Jobs that run them, so that a new image is a new Job (a pod template is
    immutable) while their files stay unchanged."""
    return hashlib.sha256(json.dumps(catalog_pins()).encode()).hexdigest()[:5]
