"""The standalone serving catalog: for every server x catalog model x accelerator x GPU
count the fit planner accepts, a Kustomize base that works without labgen::

    kubectl create namespace llm
    kubectl -n llm create secret generic hf-token --from-literal=HF_TOKEN=...  # gated models
    kubectl kustomize catalog/serving/vllm/qwen3-8b/l4-x1 | kubectl -n llm apply -f -

Servers: ``vllm`` (Deployment + Service) and ``kserve`` (ServingRuntime +
InferenceService). Bases select nodes by the GPU Feature Discovery product label and
tolerate the usual ``nvidia.com/gpu`` taint, so they are not tied to labgen's pool labels.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from labgen.components.base import CatalogBase, K8sObject, KustomizeSource
from labgen.components.jsonpatch import json_patch
from labgen.components.serving import kserve, vllm
from labgen.components.serving.common import Versions
from labgen.components.serving.kinds import SERVER_KINDS
from labgen.data.hardware import ACCELERATORS
from labgen.data.models import MODELS, ModelArch
from labgen.data.releases import RELEASES
from labgen.data.servers import Server
from labgen.data.serving import EPP, KSERVE, VLLM, generation
from labgen.data.types import Accelerator
from labgen.plan.fit import DEFAULT_GPU_MEMORY_UTILIZATION, Device, Fit, tp_candidates, tp_problem
from labgen.plan.model import ModelPlan, PoolPlan, Taint

ROOT = "serving"
SERVERS: tuple[Server, ...] = tuple(name for name, k in SERVER_KINDS.items() if k.CATALOG)
"""Servers with catalog bases (one directory each under catalog/serving/)."""
CATALOG_CONTEXT = 16384
"""Context length of catalog bases (or the model's, if shorter)."""
MAX_GPUS = 8
TOKEN_SECRET = "hf-token"
PRODUCT_LABEL = "nvidia.com/gpu.product"


@dataclass(frozen=True)
class Entry:
    server: Server
    path: str
    fit: Fit


def path_of(server: str, arch: ModelArch, accelerator: Accelerator, gpus: int) -> str:
    return f"{ROOT}/{server}/{arch.slug}/{accelerator.id.lower()}-x{gpus}"


def entries() -> list[Entry]:
    out = []
    for arch in MODELS.values():
        for accelerator in ACCELERATORS.values():
            device = Device(accelerator.id, accelerator.cuda_memory_mib / 1024)
            for gpus in tp_candidates(MAX_GPUS):
                if tp_problem(arch, gpus) is not None:
                    continue
                fit = Fit(
                    arch,
                    arch.native_dtype,
                    "auto",
                    gpus,
                    1,
                    device,
                    DEFAULT_GPU_MEMORY_UTILIZATION,
                    min(arch.max_context, CATALOG_CONTEXT),
                )
                if fit.fits:
                    out += [
                        Entry(server, path_of(server, arch, accelerator, gpus), fit)
                        for server in SERVERS
                    ]
    return out


def _versions() -> Versions:
    v, e, k = (RELEASES[key].version for key in ("vllm", "llm-d-router", "kserve"))
    return Versions(v, generation(VLLM, v), e, generation(EPP, e), k, generation(KSERVE, k))


def _model(server: Server, arch: ModelArch, accelerator: Accelerator, fit: Fit) -> ModelPlan:
    pool = PoolPlan(
        name=accelerator.id.lower(),
        accelerator=accelerator,
        gpus_per_node=fit.tp,
        min_nodes=0,
        max_nodes=1,
        instance_type=None,
        mig_strategy="none",
        mig_profile=None,
        zones=(),
        taint=Taint("nvidia.com/gpu", accelerator.id, "NoSchedule"),
        provisioner="external",
    )
    return ModelPlan(
        name=arch.slug,
        namespace="",
        server=server,
        arch=arch,
        uri=f"hf://{arch.id}",
        token_secret=TOKEN_SECRET if arch.gated else None,
        pool=pool,
        fit=fit,
        nodes_per_replica=1,
        replicas=1,
        autoscaling=None,
        routing=None,
        prefill=None,
        cache=None,
        extra_args=(),
        quantization=None,
    )


def _standalone(item: K8sObject, accelerator: Accelerator) -> K8sObject:
    """No namespace (the user's `-n`), nodes by GPU product instead of labgen's pool label."""
    item["metadata"].pop("namespace", None)
    spec: dict[str, Any] = item["spec"]
    # where the pod's placement is: a pod template, or KServe's predictor
    pod: dict[str, Any] = spec.get("template", {}).get("spec", {}) or spec.get("predictor", {})
    if pod:
        pod["nodeSelector"] = {PRODUCT_LABEL: accelerator.product_label}
        pod["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    return item


SERVER_TITLES = {"vllm": "vLLM", "kserve": "KServe (vLLM runtime)"}


def _objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    if model.server == "kserve":
        return kserve.objects(model, versions)
    return [vllm.deployment(model, versions), vllm.service(model, "server")]


def catalog() -> Iterator[CatalogBase]:
    versions = _versions()
    for entry in entries():
        fit = entry.fit
        accelerator = ACCELERATORS[fit.device.name]
        model = _model(entry.server, fit.model, accelerator, fit)
        yield CatalogBase(
            entry.path,
            f"{SERVER_TITLES[entry.server]} serving {fit.model.id} on {fit.tp}x {accelerator.id}",
            tuple(_standalone(o, accelerator) for o in _objects(model, versions)),
        )


@functools.cache
def _bases() -> dict[str, CatalogBase]:
    return {base.path: base for base in catalog()}


def clear_cache() -> None:
    _bases.cache_clear()


def base_path(model: ModelPlan) -> str | None:
    """The catalog base a lab's model builds on: same server, model, GPU and count, one
    node."""
    fit = model.fit
    if model.server not in SERVERS or model.nodes_per_replica > 1 or fit.pp > 1:
        return None
    if MODELS.get(model.arch.id) != model.arch:
        return None  # architecture given in the spec, not a catalog model
    path = path_of(model.server, model.arch, model.pool.accelerator, fit.tp)
    return path if path in _bases() else None


def overlay(model: ModelPlan, objects: list[K8sObject]) -> KustomizeSource:
    """The model's overlay: its catalog base, when there is one, with JSON patches that
    turn the base's objects into the lab's (name, namespace, labels, pool placement,
    replicas, the lab's `vllm serve` arguments), plus the lab's other objects.

    Base objects are named after the model's slug (``qwen3-8b``, ``qwen3-8b-vllm``), the
    lab's after the model's name: the lab object of a base object has the same kind and
    the base name with the slug prefix swapped for the model name."""
    path = base_path(model)
    if path is None:
        return KustomizeSource(objects=tuple(objects))
    rest = list(objects)
    patches = []
    for base_object in _bases()[path].objects:
        kind = base_object["kind"]
        name = model.name + base_object["metadata"]["name"].removeprefix(model.arch.slug)
        (mine,) = [o for o in rest if o["kind"] == kind and o["metadata"]["name"] == name]
        rest.remove(mine)
        patches.append(json_patch(base_object, mine))
    return KustomizeSource(bases=(path,), objects=tuple(rest), json_patches=tuple(patches))


README = jinja2.Template(
    """\
<!-- Generated by labgen from its model catalog and fit planner;
     regenerate with `labgen render`. -->
# Serving catalog

Kustomize bases that serve one model with vLLM {{ vllm_version }} on one node, for every
server x model x GPU x GPU count that labgen's fit planner accepts at a {{ context }}-token
context (or the model's own, if shorter) and `--gpu-memory-utilization {{ utilization }}`.
They work without labgen:

```sh
kubectl create namespace llm
kubectl -n llm create secret generic hf-token --from-literal=HF_TOKEN=<token>   # gated models
kubectl kustomize catalog/serving/<server>/<model>/<gpu>-x<count> | kubectl -n llm apply -f -
```

| server | objects | the cluster needs |
| --- | --- | --- |
| `vllm` | Deployment, Service (port 8000) | the NVIDIA device plugin (GPU Operator) |
| `kserve` | ServingRuntime `<model>-vllm`, InferenceService `<model>` in `{{ kserve_mode }}` mode
{{- " (KServe's storage initializer fetches the weights)" }} | KServe {{ kserve_version }}
{{- " (or a release of the same generation)" }} |

Pods select nodes by `nvidia.com/gpu.product` (GPU Feature Discovery) and tolerate the
`nvidia.com/gpu` taint. They run as the vLLM image's `vllm` user (`2000:0`) under the
restricted Pod Security Standard; on OpenShift remove `runAsUser`, `runAsGroup` and
`fsGroup` (its restricted-v2 SCC assigns them). Memory figures are per GPU in GiB (the
formula: `docs/serving.md`); "max seqs" is how many full-length sequences the KV cache
holds at once. Every configuration has one base per server; llm-d has none (see
`docs/serving.md`).

| server | model | GPU | GPUs | weights/GPU | KV cache/GPU | max seqs | gated | base |
| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |
{% for e in entries -%}
| {{ e.server }} | `{{ e.fit.model.id }}` | {{ e.fit.device.name }} | {{ e.fit.tp }}
{{- " | %.1f | %.1f" | format(e.fit.weights_per_gpu_gib, e.fit.kv_budget_per_gpu_gib) }}
{{- " | %d | %s" | format(e.fit.max_sequences, "yes" if e.fit.model.gated else "no") }}
{{- " | `%s` |" | format(e.path) }}
{% endfor %}
Models that fit nowhere on one node at this context (they need multi-node serving or a
smaller dtype): {{ unplaced or "none" }}.
""",
    keep_trailing_newline=True,
)


def docs() -> Iterator[tuple[str, str]]:
    listed = entries()
    placed = {e.fit.model.id for e in listed}
    unplaced = ", ".join(f"`{m}`" for m in MODELS if m not in placed)
    yield (
        "catalog/serving/README.md",
        README.render(
            entries=listed,
            vllm_version=RELEASES["vllm"].version,
            kserve_version=RELEASES["kserve"].version,
            kserve_mode=_versions().kserve.deployment_mode,
            context=CATALOG_CONTEXT,
            utilization=DEFAULT_GPU_MEMORY_UTILIZATION,
            unplaced=unplaced,
        ),
    )
