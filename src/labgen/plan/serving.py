"""spec.models -> ModelPlan: catalog lookup, the fit planner, and serving's cross-field rules."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping, Sequence

from labgen.data.models import ModelArch, find_model, model_names
from labgen.data.platforms import PLATFORMS
from labgen.data.servers import SERVERS, ServerTraits, ViaGateway
from labgen.data.serving import VLLM, generation
from labgen.data.single_node import single_node
from labgen.data.types import Release
from labgen.errors import PathPart
from labgen.plan.fit import (
    CPU_NODE_RESERVE_GIB,
    CpuFit,
    Device,
    Fit,
    cpu_fit,
    tp_candidates,
    tp_problem,
)
from labgen.plan.model import (
    AutoscalingPlan,
    CachePlan,
    ModelPlan,
    PoolPlan,
    PrefillPlan,
    Routing,
)
from labgen.spec import OPERATOR_FIELDS, Architecture, Autoscaling, Lab, ServedModel

Report = Callable[[tuple[PathPart, ...], str], None]

APP_PREFIX = "serve-"
MAX_APP_NAME = 63
DEFAULT_TARGETS = {"queue-depth": 5.0, "kv-cache-usage": 0.8}
MAX_CACHED_NAME = 63 - len("-download-") - 8 - 6
"""A cached model's download Job is ``<name>-download-<8 hex>`` plus the catalog's image key
(``-<5 hex>``, appended at build time): a Job's name is a label value of its pods."""
# The spec.operators key of each operator a server can need.
_SPEC_KEYS = {key: field for field, key in OPERATOR_FIELDS.items()}


def resolve_models(
    lab: Lab,
    pools: Sequence[PoolPlan],
    operators: frozenset[str],
    releases: Mapping[str, Release],
    error: Report,
) -> tuple[ModelPlan, ...]:
    by_pool = {p.name: p for p in pools}
    pool_names = [p.name for p in lab.spec.gpuPools]
    out: list[ModelPlan] = []
    seen: dict[tuple[str, str], int] = {}
    for i, spec in enumerate(lab.spec.models):
        at: tuple[PathPart, ...] = ("spec", "models", i)
        key = (spec.namespace, spec.name)
        if key in seen:
            error((*at, "name"), f"duplicate model {spec.name!r} (also models[{seen[key]}])")
        seen.setdefault(key, i)
        if len(lab.metadata.name) + 1 + len(APP_PREFIX) + len(spec.name) > MAX_APP_NAME:
            error(
                (*at, "name"),
                f"too long: its Application '{lab.metadata.name}-{APP_PREFIX}{spec.name}' "
                f"must fit in {MAX_APP_NAME} characters",
            )
        plan = _model(lab, spec, at, by_pool, pool_names, operators, releases, error)
        if plan is not None:
            out.append(plan)
    if single_node(lab.spec.cluster.provider) is None:  # else plan/single_node.py's check
        _check_pool_capacity(lab, out, error)
    return tuple(out)


def _arch(spec: ServedModel, at: tuple[PathPart, ...], error: Report) -> ModelArch | None:
    if (spec.model is None) == (spec.architecture is None):
        error(at, "give either `model` (a catalog id) or `architecture` (with `uri`)")
        return None
    if spec.model is not None:
        arch = find_model(spec.model)
        if arch is None:
            match = difflib.get_close_matches(spec.model, model_names(), n=1, cutoff=0.6)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            error(
                (*at, "model"),
                f"{spec.model!r} is not in the model catalog{hint}; list it with "
                "`labgen models`, or describe it with `architecture:` and `uri:`",
            )
        return arch
    assert spec.architecture is not None
    if spec.uri is None:
        error((*at, "uri"), "required with `architecture` (where are the weights?)")
        return None
    return _custom(spec.name, spec.architecture, spec.uri)


def _custom(name: str, a: Architecture, uri: str) -> ModelArch:
    model_id = uri.removeprefix("hf://") if uri.startswith("hf://") else name
    return ModelArch(
        model_id,
        name,
        a.paramsB,
        a.activeParamsB,
        a.layers,
        a.hidden,
        a.heads,
        a.kvHeads,
        a.headDim,
        a.maxContext,
        sliding_layers=a.slidingLayers,
        sliding_window=a.slidingWindow,
        source="spec",
    )


def _server_rules(
    lab: Lab,
    spec: ServedModel,
    operators: frozenset[str],
    releases: Mapping[str, Release],
    fail: Report,
) -> Routing | None:
    """Rules about the server, its routing, scaling and sources; returns the routing."""
    server = spec.server
    traits = SERVERS[server]
    for needed in traits.operators:
        if needed not in operators:
            key = _SPEC_KEYS[needed]
            fail(("server",), f"server {server} needs spec.operators.{key}: add `{key}: {{}}`")
    if isinstance(traits.endpoint, ViaGateway):
        _gateway_rules(lab, server, operators, fail)
    routing: Routing | None = spec.routing or ("prefix-cache" if traits.routings else None)
    if spec.routing is not None and not traits.routings:
        fail(("routing",), f"routing presets are for llm-d servers, not {server}")
    if spec.replicas is not None and spec.autoscaling is not None:
        fail(("autoscaling",), "set either replicas or autoscaling, not both")
    if spec.autoscaling is not None:
        _autoscaling_rules(lab, server, spec.autoscaling, operators, fail)
    _multi_node_rules(spec, traits, operators, fail)
    _cache_rules(spec, traits, fail)
    _routing_rules(server, traits, routing, releases, fail)
    if spec.tokenSecret is not None and spec.uri is not None and spec.uri.startswith("pvc://"):
        fail(("tokenSecret",), "pvc:// needs no credentials")
    return routing


def _multi_node_rules(
    spec: ServedModel, traits: ServerTraits, operators: frozenset[str], fail: Report
) -> None:
    """Replicas spanning nodes: an engine that renders them, LeaderWorkerSet, no autoscaling."""
    server = spec.server
    if not spec.multiNode:
        return
    if not traits.multi_node:
        able = _servers_that(lambda t: t.multi_node)
        fail(("multiNode",), f"multi-node replicas are rendered for server {able}, not {server}")
    if "leaderworkerset" not in operators:
        fail(("multiNode",), "multi-node serving uses LeaderWorkerSet: add `leaderWorkerSet: {}`")
    if spec.autoscaling is not None:
        fail(
            ("autoscaling",),
            "autoscaling scales a Deployment; a multi-node model is a LeaderWorkerSet: "
            "set replicas instead",
        )


def _cache_rules(spec: ServedModel, traits: ServerTraits, fail: Report) -> None:
    """The model cache holds Hugging Face downloads labgen's Job makes."""
    server = spec.server
    if spec.cache is not None and spec.uri is not None and not spec.uri.startswith("hf://"):
        fail(("cache",), "the model cache holds Hugging Face downloads (hf:// models)")
    if spec.cache is not None and traits.weights_fetched_by:
        fail(("cache",), f"{server} fetches weights with {traits.weights_fetched_by}: drop `cache`")
    if spec.cache is not None and len(spec.name) > MAX_CACHED_NAME:
        fail(
            ("name",),
            f"at most {MAX_CACHED_NAME} characters with a model cache (its download Job is "
            "<name>-download-<hash>-<image key>, at most 63)",
        )


def _routing_rules(
    server: str,
    traits: ServerTraits,
    routing: Routing | None,
    releases: Mapping[str, Release],
    fail: Report,
) -> None:
    """The engine's routing presets, and what precise prefix-cache routing needs of vLLM."""
    if traits.routing_limit and routing not in traits.routings:
        fail(("routing",), f"{server} {traits.routing_limit}")
    if routing == "precise-prefix-cache":
        version = releases["vllm"].version
        try:
            events = generation(VLLM, version).kv_events
        except ValueError:
            events = True  # reported at spec.versions
        if not events:
            fail(
                ("routing",),
                f"precise-prefix-cache needs vLLM KV-cache events, which vLLM {version} lacks",
            )


def _gateway_rules(lab: Lab, server: str, operators: frozenset[str], fail: Report) -> None:
    """A server reached through a Gateway needs Gateway API and an implementation."""
    if "gateway-api" not in operators:
        fail(("server",), f"server {server} routes through a Gateway: add `gatewayApi: {{}}`")
    builtin = PLATFORMS[lab.spec.cluster.platform].gateway  # OpenShift's default class
    if builtin is None and not lab.spec.gateway.className:
        fail(
            ("server",),
            f"server {server} needs a Gateway implementation that supports InferencePool: set "
            "spec.gateway.className (e.g. istio or kgateway)",
        )


def _servers_that(has: Callable[[ServerTraits], bool]) -> str:
    """The servers with a trait, for messages: ``vllm and llm-d``."""
    return " and ".join(name for name, traits in SERVERS.items() if has(traits))


def _autoscaling_rules(
    lab: Lab, server: str, scaling: Autoscaling, operators: frozenset[str], fail: Report
) -> None:
    if scaling.min > scaling.max:
        fail(("autoscaling", "min"), f"min ({scaling.min}) is above max ({scaling.max})")
    if not SERVERS[server].autoscaled:
        fail(
            ("autoscaling",),
            f"autoscaling is rendered for {_servers_that(lambda t: t.autoscaled)}, not {server}",
        )
    if scaling.metric == "kv-cache-usage" and scaling.target is not None and scaling.target > 1:
        fail(("autoscaling", "target"), "KV-cache usage is a fraction: use a target in (0, 1]")
    if scaling.engine == "keda":
        if "keda" not in operators:
            fail(("autoscaling",), "autoscaling uses KEDA: add spec.operators.keda: {}")
        return
    at: tuple[PathPart, ...] = ("autoscaling", "engine")
    if not PLATFORMS[lab.spec.cluster.platform].monitoring.installed_by_labgen:
        fail(
            at,
            "hpa is not rendered on OpenShift (prometheus-adapter's chart runs as a fixed UID "
            "that the restricted SCC refuses, and would need the user-workload Thanos querier "
            "with a token); use engine: keda",
        )
    elif "monitoring" not in operators:
        fail(
            at,
            "hpa reads vLLM metrics from kube-prometheus-stack through prometheus-adapter: "
            "add spec.operators.monitoring: {}",
        )
    if scaling.min < 1:
        fail(
            ("autoscaling", "min"),
            "a HorizontalPodAutoscaler cannot scale to zero: use min >= 1, or engine: keda",
        )


def _model(
    lab: Lab,
    spec: ServedModel,
    at: tuple[PathPart, ...],
    pools: dict[str, PoolPlan],
    pool_names: list[str],
    operators: frozenset[str],
    releases: Mapping[str, Release],
    error: Report,
) -> ModelPlan | None:
    ok = True

    def fail(field: tuple[PathPart, ...], message: str) -> None:
        nonlocal ok
        ok = False
        error((*at, *field), message)

    arch = _arch(spec, at, error)
    pool = pools.get(spec.pool)
    if pool is None and spec.pool not in pool_names:
        match = difflib.get_close_matches(spec.pool, pool_names, n=1, cutoff=0.6)
        hint = f" (did you mean {match[0]!r}?)" if match else ""
        fail(
            ("pool",), f"no GPU pool {spec.pool!r}{hint}; pools: {', '.join(pool_names) or 'none'}"
        )
    routing = _server_rules(lab, spec, operators, releases, fail)
    if arch is None or pool is None or not ok:
        return None
    dtype = spec.dtype or arch.native_dtype
    max_len = spec.maxModelLen or arch.max_context
    _weights_rules(spec, arch, dtype, max_len, fail)
    if pool.cpu:
        _cpu_rules(spec, arch, dtype, fail)
    if not ok:
        return None
    size = _cpu_size if pool.cpu else _size
    sized = size(spec, arch, pool, dtype, max_len, fail)
    if sized is None:
        return None
    planned, nodes = sized
    per_node = 1 if pool.mig_strategy == "single" else pool.gpus_per_node
    prefill = _prefill(spec, routing, planned, per_node, fail)
    if routing == "pd" and prefill is None:
        return None
    return _model_plan(spec, arch, pool, dtype, planned, nodes, routing, prefill)


def _weights_rules(
    spec: ServedModel, arch: ModelArch, dtype: str, max_len: int, fail: Report
) -> None:
    """The weight format and context length against the model's checkpoint."""
    if arch.native_dtype == "mxfp4" and dtype != "mxfp4":
        fail(("dtype",), f"{arch.id} ships MXFP4 weights; vLLM serves them as mxfp4")
    if dtype == "mxfp4" and arch.native_dtype != "mxfp4":
        fail(("dtype",), f"{arch.id} has no MXFP4 checkpoint; use bf16, fp8, int8 or int4")
    if dtype in ("int8", "int4") and spec.uri is None:
        fail(
            ("uri",),
            f"dtype {dtype} needs a quantized checkpoint: set uri to it (e.g. an AWQ/GPTQ or "
            "W8A8 repository); the catalog model supplies the architecture",
        )
    if max_len > arch.max_context:
        fail(("maxModelLen",), f"{max_len} exceeds {arch.id}'s context of {arch.max_context}")


_CPU_DTYPES = ("bf16", "int8", "int4")
"""Weight formats vLLM's CPU backend serves on x86: bf16 (its recommended dtype; fp16 is
unstable in torch on CPU), compressed-tensors W8A8 int8, AWQ/GPTQ int4."""


def _cpu_rules(spec: ServedModel, arch: ModelArch, dtype: str, fail: Report) -> None:
    """What labgen renders on a node without a GPU: vLLM's CPU image, one process."""
    if spec.server != "vllm":
        fail(
            ("server",),
            f"pool {spec.pool} has no GPU: labgen serves on cpu with server vllm only "
            "(vLLM's CPU image in a Deployment)",
        )
    if dtype not in _CPU_DTYPES:
        fail(
            ("dtype",),
            f"vLLM's CPU backend serves {', '.join(_CPU_DTYPES)} weights, not {dtype}"
            + (" (use bf16)" if dtype == "fp16" else ""),
        )
    if spec.kvCacheDtype != "auto":
        fail(("kvCacheDtype",), "labgen keeps the KV cache of a cpu model in bf16: use auto")
    if spec.tensorParallel not in (None, 1) or spec.pipelineParallel != 1 or spec.multiNode:
        field = "multiNode" if spec.multiNode else "tensorParallel"
        if spec.pipelineParallel != 1:
            field = "pipelineParallel"
        fail((field,), "a cpu model runs as one vLLM process on one node: drop the parallelism")
    if "gpuMemoryUtilization" in spec.model_fields_set:
        fail(
            ("gpuMemoryUtilization",),
            "has no meaning on cpu: the planner sizes the KV cache from the pool's memoryGiB",
        )
    if spec.prefill is not None:
        fail(("prefill",), "prefill workers are for llm-d P/D on GPUs")


def _cpu_size(
    spec: ServedModel,
    arch: ModelArch,
    pool: PoolPlan,
    dtype: str,
    max_len: int,
    fail: Report,
) -> tuple[Fit, int] | None:
    """The RAM plan on one node of a cpu pool, or None (reported) when it does not fit.
    Without ``maxModelLen`` the context is the model's, capped at the longest one sequence
    of which the node's RAM holds."""
    assert pool.memory_gib is not None  # resolve requires memoryGiB on cpu pools
    planned = cpu_fit(arch, dtype, pool.memory_gib, max_len)
    if spec.maxModelLen is None and not planned.fits and planned.longest_fitting_len():
        planned = cpu_fit(arch, dtype, pool.memory_gib, planned.longest_fitting_len())
    if not planned.fits:
        fail(
            ("maxModelLen",) if spec.maxModelLen and planned.kv_bytes_available else ("pool",),
            f"{arch.id} does not fit in the RAM of pool {pool.name}: {planned.explain()}. "
            + planned.remedy("a smaller model, int4/int8 weights or a node with more memory"),
        )
        return None
    return planned, 1


def _model_plan(
    spec: ServedModel,
    arch: ModelArch,
    pool: PoolPlan,
    dtype: str,
    planned: Fit,
    nodes: int,
    routing: Routing | None,
    prefill: PrefillPlan | None,
) -> ModelPlan:
    autoscaling = None
    if spec.autoscaling is not None:
        a = spec.autoscaling
        autoscaling = AutoscalingPlan(
            a.min, a.max, a.metric, a.target or DEFAULT_TARGETS[a.metric], a.engine
        )
    cache = (
        CachePlan(spec.cache.size, spec.cache.storageClass, spec.cache.accessMode)
        if spec.cache is not None
        else None
    )
    return ModelPlan(
        name=spec.name,
        namespace=spec.namespace,
        server=spec.server,
        arch=arch,
        uri=spec.uri or f"hf://{arch.id}",
        token_secret=spec.tokenSecret,
        pool=pool,
        fit=planned,
        nodes_per_replica=nodes,
        replicas=autoscaling.min_replicas
        if autoscaling
        else (spec.replicas if spec.replicas is not None else 1),
        autoscaling=autoscaling,
        routing=routing,
        prefill=prefill,
        cache=cache,
        extra_args=tuple(spec.extraArgs),
        quantization="fp8" if dtype == "fp8" and spec.uri is None else None,
    )


def _size(
    spec: ServedModel,
    arch: ModelArch,
    pool: PoolPlan,
    dtype: str,
    max_len: int,
    fail: Report,
) -> tuple[Fit, int] | None:
    """Tensor/pipeline parallelism, nodes per replica and the memory plan, or None."""
    device = device_of(pool)
    if device is None:
        fail(
            ("pool",),
            f"pool {pool.name} uses mixed MIG profiles; serve on whole GPUs or a pool with "
            "mig: single:<profile>",
        )
        return None

    def fit(tp: int, pp: int) -> Fit:
        return Fit(
            arch, dtype, spec.kvCacheDtype, tp, pp, device, spec.gpuMemoryUtilization, max_len
        )

    tp = _tensor_parallel(spec, arch, pool, device, fit, fail)
    if tp is None:
        return None
    nodes = _nodes_per_replica(spec, arch, pool, tp, fail)
    if nodes is None:
        return None
    planned = fit(tp, spec.pipelineParallel)
    if not planned.fits:
        fail(
            ("tensorParallel",) if spec.tensorParallel else ("pool",),
            f"{arch.id} does not fit: {planned.explain()}. "
            + planned.remedy(
                "a smaller dtype (fp8, int4), more tensor parallel GPUs or a larger GPU"
            ),
        )
        return None
    return planned, nodes


def _tensor_parallel(
    spec: ServedModel,
    arch: ModelArch,
    pool: PoolPlan,
    device: Device,
    fit: Callable[[int, int], Fit],
    fail: Report,
) -> int | None:
    """The spec's TP, a whole node's GPUs for a multi-node replica, else the smallest that
    fits (None, reported, when none does)."""
    per_node = 1 if pool.mig_strategy == "single" else pool.gpus_per_node
    pp = spec.pipelineParallel
    if spec.tensorParallel is not None:
        return spec.tensorParallel
    if spec.multiNode:
        return per_node
    tp = _auto_tp(arch, pp, per_node, fit)
    if tp:
        return tp
    largest = max((t for t in tp_candidates(per_node) if tp_problem(arch, t) is None), default=1)
    widest = fit(largest, pp)
    fail(
        ("pool",),
        f"{arch.id} does not fit pool {pool.name} ({per_node}x {device.name} per node) "
        f"at any tensor parallel size: at TP {largest}, {widest.explain()}. "
        + widest.remedy("a smaller dtype (fp8, int4), a larger GPU, or multiNode"),
    )
    return None


def _nodes_per_replica(
    spec: ServedModel, arch: ModelArch, pool: PoolPlan, tp: int, fail: Report
) -> int | None:
    """TP x PP against the model and the pool's nodes: how many nodes one replica spans, or
    None (reported) when the parallelism cannot be served."""
    ok = True

    def failed(field: tuple[PathPart, ...], message: str) -> None:
        nonlocal ok
        ok = False
        fail(field, message)

    per_node = 1 if pool.mig_strategy == "single" else pool.gpus_per_node
    pp = spec.pipelineParallel
    tp_at: tuple[PathPart, ...] = ("tensorParallel",)
    problem = tp_problem(arch, tp)
    if problem is not None:
        failed(tp_at, problem)
    if pp > arch.layers:
        failed(("pipelineParallel",), f"{pp} stages exceed {arch.id}'s {arch.layers} layers")
    gpus = tp * pp
    nodes = 1
    if spec.multiNode:
        if gpus <= per_node or gpus % per_node:
            failed(
                tp_at,
                f"a multi-node replica spans whole nodes: TP x PP ({tp} x {pp} = {gpus}) must "
                f"be a multiple of gpusPerNode ({per_node}) above it",
            )
        nodes = max(1, gpus // per_node)
    elif gpus > per_node:
        failed(
            tp_at,
            f"TP x PP = {gpus} GPUs exceeds the {per_node} "
            f"{'MIG slice' if per_node == 1 and pool.mig_strategy == 'single' else 'GPUs'} per "
            f"node of pool {pool.name}; lower it"
            + (", or set multiNode: true" if pool.max_nodes > 1 else ""),
        )
    return nodes if ok else None


def _prefill(
    spec: ServedModel, routing: Routing | None, planned: Fit, per_node: int, fail: Report
) -> PrefillPlan | None:
    """Prefill workers of P/D disaggregation (default: one, sized like decode)."""
    if spec.prefill is None:
        return PrefillPlan(1, planned) if routing == "pd" else None
    prefill_tp = spec.prefill.tensorParallel or planned.tp
    problem = tp_problem(planned.model, prefill_tp)
    prefill_fit = dataclasses.replace(planned, tp=prefill_tp, pp=1)
    at = ("prefill", "tensorParallel")
    if problem is not None:
        fail(at, problem)
    elif prefill_tp > per_node:
        fail(at, f"{prefill_tp} exceeds {per_node} GPUs per node")
    elif not prefill_fit.fits:
        fail(at, f"prefill does not fit: {prefill_fit.explain()}")
    else:
        return PrefillPlan(spec.prefill.replicas, prefill_fit)
    return None


def device_of(pool: PoolPlan) -> Device | None:
    accelerator = pool.accelerator
    if pool.mig_strategy == "mixed":
        return None
    if pool.mig_strategy == "single":
        assert pool.mig_profile is not None
        # A MIG slice: its nominal memory (the "40gb" of 3g.40gb), less 5% that nvidia-smi
        # shows the slice does not get.
        nominal = int(pool.mig_profile.split(".")[1].removesuffix("gb"))
        return Device(f"{accelerator.id} MIG {pool.mig_profile}", nominal * 0.95)
    return Device(accelerator.id, accelerator.cuda_memory_mib / 1024)


def _auto_tp(arch: ModelArch, pp: int, per_node: int, fit: Callable[[int, int], Fit]) -> int:
    """The smallest power-of-two TP that vLLM can shard the model over and that fits."""
    for tp in tp_candidates(per_node):
        if tp * pp <= per_node and tp_problem(arch, tp) is None and fit(tp, pp).fits:
            return tp
    return 0


def _check_pool_capacity(lab: Lab, models: list[ModelPlan], error: Report) -> None:
    """Every model at its largest must fit its pool at its largest."""
    index = {m.name: i for i, m in enumerate(lab.spec.models)}
    used: dict[str, int] = {}
    for model in models:
        pool = model.pool
        if isinstance(model.fit, CpuFit):
            _check_ram_capacity(model, model.fit, used, index, error)
            continue
        capacity = pool.max_nodes * pool.gpu_resources_per_node
        used[pool.name] = used.get(pool.name, 0) + model.gpus_at_most
        if used[pool.name] > capacity:
            error(
                ("spec", "models", index[model.name], "pool"),
                f"pool {pool.name} has at most {capacity} GPUs ({pool.max_nodes} nodes x "
                f"{pool.gpu_resources_per_node}); its models need {used[pool.name]} at "
                "their largest (replicas x TP x PP, plus prefill): raise the pool's nodes.max "
                "or lower replicas",
            )


def _check_ram_capacity(
    model: ModelPlan, fit: CpuFit, used: dict[str, int], index: dict[str, int], error: Report
) -> None:
    """The cpu models of a pool at their largest must fit its nodes' RAM, less the reserve."""
    pool = model.pool
    assert pool.memory_gib is not None
    capacity = int(pool.max_nodes * (pool.memory_gib - CPU_NODE_RESERVE_GIB))
    used[pool.name] = used.get(pool.name, 0) + model.max_replicas * fit.memory_gib
    if used[pool.name] > capacity:
        error(
            ("spec", "models", index[model.name], "pool"),
            f"pool {pool.name} has {capacity} GiB of RAM for models ({pool.max_nodes} nodes x "
            f"({pool.memory_gib} - {CPU_NODE_RESERVE_GIB:g} GiB reserved)); its models need "
            f"{used[pool.name]} GiB at their largest (replicas x weights, KV space and "
            "overhead): raise memoryGiB or nodes.max, or lower replicas",
        )
