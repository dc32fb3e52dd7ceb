"""The standalone serving catalog: for every catalog model x accelerator x GPU count the
fit planner accepts, a Kustomize base running vLLM that works without labgen::

    kubectl create namespace llm
    kubectl -n llm create secret generic hf-token --from-literal=HF_TOKEN=...  # gated models
    kubectl kustomize catalog/serving/vllm/qwen3-8b/l4-x1 | kubectl -n llm apply -f -

Bases select nodes by the GPU Feature Discovery product label and tolerate the usual
``nvidia.com/gpu`` taint, so they are not tied to labgen's pool labels.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from labgen.components.base import CatalogBase, K8sObject, KustomizeSource
from labgen.components.jsonpatch import json_patch
from labgen.components.serving import vllm
from labgen.components.serving.common import Versions
from labgen.data.hardware import ACCELERATORS
from labgen.data.models import MODELS, ModelArch
from labgen.data.releases import RELEASES
from labgen.data.serving import EPP, KSERVE, VLLM, generation
from labgen.data.types import Accelerator
from labgen.plan.fit import DEFAULT_GPU_MEMORY_UTILIZATION, Device, Fit, tp_candidates, tp_problem
from labgen.plan.model import ModelPlan, PoolPlan, Taint

ROOT = "serving/vllm"
CATALOG_CONTEXT = 16384
"""Context length of catalog bases (or the model's, if shorter)."""
MAX_GPUS = 8
TOKEN_SECRET = "hf-token"
PRODUCT_LABEL = "nvidia.com/gpu.product"


@dataclass(frozen=True)
class Entry:
    path: str
    fit: Fit


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
                    path = f"{ROOT}/{arch.slug}/{accelerator.id.lower()}-x{gpus}"
                    out.append(Entry(path, fit))
    return out


def _versions() -> Versions:
    v, e, k = (RELEASES[key].version for key in ("vllm", "llm-d-router", "kserve"))
    return Versions(v, generation(VLLM, v), e, generation(EPP, e), k, generation(KSERVE, k))


def _model(arch: ModelArch, accelerator: Accelerator, fit: Fit) -> ModelPlan:
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
        server="vllm",
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
    pod: dict[str, Any] = item["spec"].get("template", {}).get("spec", {})
    if pod:
        pod["nodeSelector"] = {PRODUCT_LABEL: accelerator.product_label}
        pod["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    return item


def catalog() -> Iterator[CatalogBase]:
    versions = _versions()
    for entry in entries():
        fit = entry.fit
        accelerator = ACCELERATORS[fit.device.name]
        model = _model(fit.model, accelerator, fit)
        objects = [vllm.deployment(model, versions), vllm.service(model, "server")]
        yield CatalogBase(
            entry.path,
            f"vLLM serving {fit.model.id} on {fit.tp}x {accelerator.id}",
            tuple(_standalone(o, accelerator) for o in objects),
        )


@functools.cache
def _bases() -> dict[str, CatalogBase]:
    return {base.path: base for base in catalog()}


def clear_cache() -> None:
    _bases.cache_clear()


def base_path(model: ModelPlan) -> str | None:
    """The catalog base a lab's vLLM model builds on: same model, GPU and count, one node."""
    fit = model.fit
    if model.server != "vllm" or model.nodes_per_replica > 1 or fit.pp > 1:
        return None
    if MODELS.get(model.arch.id) != model.arch:
        return None  # architecture given in the spec, not a catalog model
    path = f"{ROOT}/{model.arch.slug}/{model.pool.accelerator.id.lower()}-x{fit.tp}"
    return path if path in _bases() else None


def overlay(model: ModelPlan, objects: list[K8sObject]) -> KustomizeSource:
    """The model's overlay: its catalog base, when there is one, with JSON patches that
    turn the base's objects into the lab's (name, namespace, labels, pool placement,
    replicas, the lab's `vllm serve` arguments), plus the lab's other objects."""
    path = base_path(model)
    if path is None:
        return KustomizeSource(objects=tuple(objects))
    rest = list(objects)
    patches = []
    for base_object in _bases()[path].objects:
        kind = base_object["kind"]
        (mine,) = [o for o in rest if o["kind"] == kind and o["metadata"]["name"] == model.name]
        rest.remove(mine)
        patches.append(json_patch(base_object, mine))
    return KustomizeSource(bases=(path,), objects=tuple(rest), json_patches=tuple(patches))


README = jinja2.Template(
    """\
<!-- Generated by labgen from its model catalog and fit planner;
     regenerate with `labgen render`. -->
# Serving catalog

Kustomize bases that serve one model with vLLM {{ vllm_version }} on one node, for every
model x GPU x GPU count that labgen's fit planner accepts at a {{ context }}-token context
(or the model's own, if shorter) and `--gpu-memory-utilization {{ utilization }}`. They work
without labgen:

```sh
kubectl create namespace llm
kubectl -n llm create secret generic hf-token --from-literal=HF_TOKEN=<token>   # gated models
kubectl kustomize catalog/serving/vllm/<model>/<gpu>-x<count> | kubectl -n llm apply -f -
```

Pods select nodes by `nvidia.com/gpu.product` (GPU Feature Discovery) and tolerate the
`nvidia.com/gpu` taint. Memory figures are per GPU in GiB (the formula: `docs/serving.md`);
"max seqs" is how many full-length sequences the KV cache holds at once.

| model | GPU | GPUs | weights/GPU | KV cache/GPU | max seqs | gated | base |
| --- | --- | ---: | ---: | ---: | ---: | --- | --- |
{% for e in entries -%}
| `{{ e.fit.model.id }}` | {{ e.fit.device.name }} | {{ e.fit.tp }}
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
            context=CATALOG_CONTEXT,
            utilization=DEFAULT_GPU_MEMORY_UTILIZATION,
            unplaced=unplaced,
        ),
    )
