"""The standalone serving catalog, layered as Kustomize bases and Components.

For every server x catalog model x accelerator x GPU count the fit planner accepts, a
Kustomize entry point that works without labgen::

    kubectl create namespace llm
    kubectl -n llm create secret generic hf-token --from-literal=HF_TOKEN=...  # gated models
    kubectl kustomize catalog/serving/vllm/qwen3-8b/l4-x1 | kubectl -n llm apply -f -

Servers: ``vllm`` (Deployment + Service), ``kserve`` (ServingRuntime + InferenceService)
and ``llm-d`` (decode Deployment, InferencePool and the EPP: its ServiceAccount, RBAC,
plugin config, Deployment and Service). GPU pods select nodes by the GPU Feature Discovery
product label and tolerate the usual ``nvidia.com/gpu`` taint, so they are not tied to
labgen's pool labels.

Layers, so that a version bump is one changed file: per server a base (its objects for a
reference configuration) and Kustomize Components per model, accelerator and GPU count,
each the JSON patches from the base to the reference changed in that one respect; an entry
point is the base plus its three Components (their composition is checked here against
the objects built directly, and any remainder would be the entry point's own patch). The
images are pinned once, by the ``images`` Component every base and lab overlay includes.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jinja2

from labgen.components.base import CatalogBase, K8sObject, KustomizeSource, untagged
from labgen.components.jsonpatch import apply, json_patch
from labgen.components.serving.common import COMPONENT_LABEL, Versions, image_key
from labgen.components.serving.kinds import SERVER_KINDS
from labgen.data.hardware import ACCELERATORS
from labgen.data.models import MODELS, ModelArch
from labgen.data.releases import RELEASES
from labgen.data.servers import SERVERS as SERVER_TRAITS
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


def _fit(arch: ModelArch, accelerator: Accelerator, gpus: int) -> Fit:
    """The fit of a catalog configuration: native dtype, one node, the catalog context."""
    return Fit(
        arch,
        arch.native_dtype,
        "auto",
        gpus,
        1,
        Device(accelerator.id, accelerator.cuda_memory_mib / 1024),
        DEFAULT_GPU_MEMORY_UTILIZATION,
        min(arch.max_context, CATALOG_CONTEXT),
    )


def entries() -> list[Entry]:
    out = []
    for arch in MODELS.values():
        for accelerator in (a for a in ACCELERATORS.values() if a.kind == "datacenter"):
            for gpus in tp_candidates(MAX_GPUS):
                if tp_problem(arch, gpus) is not None:
                    continue
                fit = _fit(arch, accelerator, gpus)
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
        # the plan's default routing preset of engines that route (llm-d)
        routing="prefix-cache" if SERVER_TRAITS[server].routings else None,
        prefill=None,
        cache=None,
        extra_args=(),
        quantization=None,
    )


def _standalone(item: K8sObject, accelerator: Accelerator) -> K8sObject:
    """No namespace (the user's `-n`), GPU pods' nodes by GPU product instead of labgen's
    pool label (pods without placement, such as llm-d's EPP, stay where they are)."""
    item["metadata"].pop("namespace", None)
    spec: dict[str, Any] = item.get("spec", {})
    # where the pod's placement is: a pod template, or KServe's predictor
    pod: dict[str, Any] = spec.get("template", {}).get("spec", {}) or spec.get("predictor", {})
    if "nodeSelector" in pod:
        pod["nodeSelector"] = {PRODUCT_LABEL: accelerator.product_label}
        pod["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    return item


SERVER_TITLES = {
    "vllm": "vLLM",
    "kserve": "KServe (vLLM runtime)",
    "llm-d": "llm-d (vLLM decode, InferencePool, EPP)",
}
IMAGES = f"{ROOT}/images"
"""The Component pinning the serving images (``images: newTag``): the one place a version
bump changes."""
JOB_NAMES = f"{ROOT}/job-names"
"""The Component naming the Jobs that run the pinned images after them (``image_key``):
a lab overlay whose files write those images untagged includes it beside ``IMAGES``."""
BATCH_LABEL = "labgen.dev/batch"
"""The label of a benchmark matrix's batch Jobs (``components.matrices``)."""
KEYED_JOBS = (f"{COMPONENT_LABEL}=download", BATCH_LABEL)
"""Label selectors of the Jobs ``JOB_NAMES`` renames: model downloads and matrix batches,
each running the vLLM image."""
LAYERS = ("models", "accelerators", "gpus")


def _objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    return SERVER_KINDS[model.server].catalog_objects(model, versions)


def pinned_images(versions: Versions) -> tuple[tuple[str, str], ...]:
    """(name, tag) of the images the ``IMAGES`` Component pins."""
    images = (versions.vllm_image, versions.vllm_cpu_image)
    return tuple((name, tag) for name, _, tag in (i.rpartition(":") for i in images))


def _built(
    server: Server, arch: ModelArch, accelerator: Accelerator, gpus: int, name: str | None = None
) -> tuple[K8sObject, ...]:
    """The standalone objects serving ``arch`` on ``gpus`` x ``accelerator`` (what an entry
    point builds to), named after the model's slug or ``name``."""
    model = _model(server, arch, accelerator, _fit(arch, accelerator, gpus))
    if name is not None:
        model = dataclasses.replace(model, name=name)
    return tuple(_standalone(o, accelerator) for o in _objects(model, _versions()))


@dataclass(frozen=True)
class _Reference:
    """The configuration a server's base serves; a layer is its difference to the base."""

    arch: ModelArch
    accelerator: Accelerator
    gpus: int


@functools.cache
def _reference(server: Server) -> _Reference:
    first = next(
        e.fit for e in entries() if e.server == server and e.fit.tp == 1 and not e.fit.model.gated
    )
    return _Reference(first.model, ACCELERATORS[first.device.name], 1)


def _layer_path(server: Server, layer: str, key: str) -> str:
    return f"{ROOT}/{server}/components/{layer}/{key}"


def _layer_keys(fit: Fit) -> tuple[str, str, str]:
    """The entry's model, accelerator and GPU-count Components, in ``LAYERS`` order."""
    return fit.model.slug, fit.device.name.lower(), f"x{fit.tp}"


def _layer(server: Server, layer: str, key: str) -> CatalogBase:
    """A Component moving the server's base to another model, accelerator or GPU count:
    JSON patches from the base's objects to the reference configuration changed in that
    one respect."""
    ref = _reference(server)
    arch, accelerator, gpus, name = ref.arch, ref.accelerator, ref.gpus, str(server)
    if layer == "models":
        arch = next(a for a in MODELS.values() if a.slug == key)
        name, what = key, f"model {arch.id}"
    elif layer == "accelerators":
        accelerator = next(a for a in ACCELERATORS.values() if a.id.lower() == key)
        what = f"the {accelerator.id} GPU"
    else:
        gpus = int(key.removeprefix("x"))
        what = f"{gpus} GPUs"
    layered = _built(server, arch, accelerator, gpus, name)
    base = _base(server)
    kinds = Counter(o["kind"] for o in base)
    patches = [
        dataclasses.replace(json_patch(old, new), selector=_selector(old))
        if kinds[old["kind"]] > 1
        else json_patch(old, new)
        for old, new in zip(base, layered, strict=True)
    ]
    return CatalogBase(
        _layer_path(server, layer, key),
        f"Component: {SERVER_TITLES[server]} serving {what}",
        (),
        json_patches=tuple(p for p in patches if p.ops),
        component=True,
    )


def _selector(item: K8sObject) -> tuple[str, str]:
    """The label telling a base object from the others of its kind (llm-d's decode and EPP
    Deployments): its component."""
    return COMPONENT_LABEL, item["metadata"]["labels"][COMPONENT_LABEL]


@functools.cache
def _base(server: Server) -> tuple[K8sObject, ...]:
    ref = _reference(server)
    return _built(server, ref.arch, ref.accelerator, ref.gpus, server)


def _entry(entry: Entry, layers: dict[str, CatalogBase]) -> CatalogBase:
    """The entry point of one configuration: the server's base and its layers (plus JSON
    patches for whatever the layers do not compose to, which is nothing today)."""
    fit = entry.fit
    accelerator = ACCELERATORS[fit.device.name]
    keys = _layer_keys(fit)
    paths = [_layer_path(entry.server, layer, k) for layer, k in zip(LAYERS, keys, strict=True)]
    used = [path for path in paths if layers[path].json_patches]
    objects = list(_base(entry.server))
    for path in used:
        for patch in layers[path].json_patches:
            index = next(i for i, o in enumerate(objects) if patch.targets(o))
            objects[index] = apply(objects[index], patch.ops)
    wanted = _built(entry.server, fit.model, accelerator, fit.tp)
    pairs = zip(objects, wanted, strict=True)
    rest = [json_patch(have, want) for have, want in pairs if have != want]
    return CatalogBase(
        entry.path,
        f"{SERVER_TITLES[entry.server]} serving {fit.model.id} on {fit.tp}x {accelerator.id}",
        wanted,
        files=(),
        resources=(f"{ROOT}/{entry.server}/base",),
        components=tuple(used),
        json_patches=tuple(p for p in rest if p.ops),
    )


def catalog() -> Iterator[CatalogBase]:
    versions = _versions()
    pins = pinned_images(versions)
    yield CatalogBase(
        IMAGES, "Component: the serving images, pinned", (), images=pins, component=True
    )
    yield CatalogBase(
        JOB_NAMES,
        "Component: Jobs running the pinned images named after them",
        (),
        component=True,
        name_suffix=(image_key(), KEYED_JOBS),
    )
    listed = entries()
    layers: dict[str, CatalogBase] = {}
    for server in SERVERS:
        base = _base(server)
        ref = _reference(server)
        yield CatalogBase(
            f"{ROOT}/{server}/base",
            f"{SERVER_TITLES[server]} serving {ref.arch.id} on {ref.gpus}x "
            f"{ref.accelerator.id}, named `{server}`: the base the entry points layer on",
            base,
            files=tuple(untagged(base, pins)),
            components=(IMAGES,),
        )
        keys = sorted({_layer_keys(e.fit) for e in listed if e.server == server})
        for index, layer in enumerate(LAYERS):
            for key in sorted({k[index] for k in keys}):
                component = _layer(server, layer, key)
                layers[component.path] = component
                if component.json_patches:
                    yield component
    for entry in listed:
        yield _entry(entry, layers)


@functools.cache
def _bases() -> dict[str, CatalogBase]:
    return {base.path: base for base in catalog()}


def clear_cache() -> None:
    _bases.cache_clear()
    _base.cache_clear()
    _reference.cache_clear()


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
    pairs = _lab_objects(model, _bases()[path].objects, objects) if path is not None else None
    if pairs is None:
        path, pairs = None, []
    rest = [o for o in objects if all(o is not mine for _, mine in pairs)]
    patches = [json_patch(base_object, mine) for base_object, mine in pairs]
    components, pins = pinned_components(rest)
    return KustomizeSource(
        bases=(path,) if path is not None else (),
        objects=tuple(rest),
        json_patches=tuple(patches),
        components=components,
        untagged=pins,
    )


def _lab_objects(
    model: ModelPlan, base: tuple[K8sObject, ...], objects: list[K8sObject]
) -> list[tuple[K8sObject, K8sObject]] | None:
    """Each base object with the lab object it becomes, or None if one has no counterpart
    of the same API version (a lab pinning another llm-d router generation, whose
    InferencePool API differs: it keeps its complete objects)."""
    pairs = []
    for base_object in base:
        kind = base_object["kind"]
        name = model.name + base_object["metadata"]["name"].removeprefix(model.arch.slug)
        mine = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
        if len(mine) != 1 or mine[0]["apiVersion"] != base_object["apiVersion"]:
            return None
        pairs.append((base_object, mine[0]))
    return pairs


def pinned_components(
    objects: list[K8sObject],
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The catalog Components a lab overlay of ``objects`` includes, and the image pins
    they set for it: ``IMAGES`` when its objects run a pinned image, and ``JOB_NAMES``
    too when one of them is a Job ``KEYED_JOBS`` selects."""
    pins = _lab_pins(objects)
    if not pins:
        return (), ()
    keyed = any(o["kind"] == "Job" and _selected(o) for o in objects)
    return ((IMAGES, JOB_NAMES) if keyed else (IMAGES,)), pins


def as_built(objects: list[K8sObject], components: tuple[str, ...]) -> list[K8sObject]:
    """``objects`` as an overlay including ``components`` builds them: with ``JOB_NAMES``,
    the Jobs it selects carry the image key (the images themselves are the objects')."""
    if JOB_NAMES not in components:
        return objects
    return [_keyed(item) if item["kind"] == "Job" and _selected(item) else item for item in objects]


def _keyed(job: K8sObject) -> K8sObject:
    name = f"{job['metadata']['name']}-{image_key()}"
    return {**job, "metadata": {**job["metadata"], "name": name}}


def _selected(job: K8sObject) -> bool:
    labels = job["metadata"].get("labels", {})
    for selector in KEYED_JOBS:
        key, _, value = selector.partition("=")
        if key in labels and (not value or labels[key] == value):
            return True
    return False


def _lab_pins(objects: list[K8sObject]) -> tuple[tuple[str, str], ...]:
    """The catalog's image pins a lab's objects can take from ``IMAGES``: those its images
    use, unless an image of the same name has another tag (a lab that overrides the vLLM
    version keeps its own tags, which ``images:`` would overwrite)."""
    used = {i.rpartition(":")[::2] for i in find_images(objects)}
    pins = pinned_images(_versions())
    names = {name for name, _ in pins}
    if any(name in names and (name, tag) not in pins for name, tag in used):
        return ()
    return tuple(pin for pin in pins if pin in used)


def find_images(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "image" and isinstance(item, str):
                yield item
            else:
                yield from find_images(item)
    elif isinstance(value, list):
        for item in value:
            yield from find_images(item)


README = jinja2.Template(
    """\
<!-- Generated by labgen from its model catalog and fit planner;
     regenerate with `labgen render`. -->
# Serving catalog

Kustomize entry points that serve one model with vLLM on one node, for every server x
model x GPU x GPU count that labgen's fit planner accepts at a {{ context }}-token context
(or the model's own, if shorter) and `--gpu-memory-utilization {{ utilization }}`. They
work without labgen:

```sh
kubectl create namespace llm
kubectl -n llm create secret generic hf-token --from-literal=HF_TOKEN=<token>   # gated models
kubectl kustomize catalog/serving/<server>/<model>/<gpu>-x<count> | kubectl -n llm apply -f -
```

Each entry point is one `kustomization.yaml` that layers Kustomize Components on its
server's base:

- `<server>/base/`: the server's objects (serving {{ reference }});
- `<server>/components/models/<model>/`: the model (name, `vllm serve` model and served
  name, context, dtype, token);
- `<server>/components/accelerators/<gpu>/`: the GPU product the pods select;
- `<server>/components/gpus/x<count>/`: tensor parallelism and the GPU, CPU and memory
  requests;
- `images/`: the pinned images (`images: newTag`), included by every base and by the lab
  overlays whose objects run them: bumping vLLM changes this one file.

A Component is left out where the base already is what it would make (the base's model,
GPU or count). A Component patch targets its object by kind, and by its
`app.kubernetes.io/component` label where the base has two of a kind (llm-d's decode and
EPP Deployments).

| server | objects | the cluster needs |
| --- | --- | --- |
| `vllm` | Deployment, Service (port 8000) | the NVIDIA device plugin (GPU Operator) |
| `kserve` | ServingRuntime `<model>-vllm`, InferenceService `<model>` in `{{ kserve_mode }}` mode
{{- " (KServe's storage initializer fetches the weights)" }} | KServe {{ kserve_version }}
{{- " (or a release of the same generation)" }} |
| `llm-d` | Deployment `<model>-decode`, InferencePool `<model>`, the EPP `<model>-epp`
{{- " (ServiceAccount, Role, RoleBinding, ConfigMap with the prefix-cache routing preset,"
" Deployment, Service)" }} | the InferencePool CRD (Gateway API Inference Extension)
{{- "; a Gateway and an HTTPRoute of your cluster's class in front" }} |

Pods select nodes by `nvidia.com/gpu.product` (GPU Feature Discovery) and tolerate the
`nvidia.com/gpu` taint. They run as the vLLM image's `vllm` user (`2000:0`) under the
restricted Pod Security Standard; on OpenShift remove `runAsUser`, `runAsGroup` and
`fsGroup` (its restricted-v2 SCC assigns them). Memory figures are per GPU in GiB (the
formula: `docs/serving.md`); "max seqs" is how many full-length sequences the KV cache
holds at once. Every configuration has one entry point per server. Only the datacenter
GPUs have entry points: workstation cards ({{ workstation }}) and `cpu` are served from a
lab spec.

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
            reference="; ".join(
                f"`{s}`: {_reference(s).arch.id} on 1x {_reference(s).accelerator.id}"
                for s in SERVERS
            ),
            kserve_version=RELEASES["kserve"].version,
            kserve_mode=_versions().kserve.deployment_mode,
            context=CATALOG_CONTEXT,
            utilization=DEFAULT_GPU_MEMORY_UTILIZATION,
            unplaced=unplaced,
            workstation=", ".join(a.id for a in ACCELERATORS.values() if a.kind == "workstation"),
        ),
    )
