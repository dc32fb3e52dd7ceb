"""spec.matrices -> MatrixPlan: expand every configuration, prune what cannot run, batch.

A matrix is the product models x hardware (pool, GPU count) x servers x dtypes x
workloads (profile x load x prompt tokens x output tokens). Each configuration gets a
stable id, a hash of what it measures (model, checkpoint, accelerator, GPUs, server,
dtype, workload, GuideLLM version and run limits), so the same configuration in another
matrix, lab or pool of the same GPU is the same result file, and a rerun skips it. The
vLLM version is not in the id: the batch runner files results under the version the
server reports (``components.matrices``), so a vLLM bump changes no id and no file. The
fit planner prunes what cannot run, counting each reason:

- the request (prompt + output tokens) is longer than the model's context;
- the dtype needs a checkpoint the matrix does not give (int8, int4; mxfp4 models only
  serve as mxfp4);
- vLLM cannot shard the model over that many GPUs (attention or KV heads);
- one request of that length does not fit in GPU memory (weights + KV cache);
- the pool's GPUs left after serving (at its largest) are fewer than the configuration's.

Survivors are grouped by server setup (model, checkpoint, pool, GPUs, dtype) in spec order
and cut into batches of ``batchSize``: one Job each, whose server is sized for the
longest request in the batch.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import product

from labgen.data.models import ModelArch, find_model, model_names
from labgen.data.servers import SERVERS
from labgen.errors import PathPart
from labgen.plan.fit import Device, Fit, tp_problem
from labgen.plan.model import (
    CachePlan,
    MatrixBatch,
    MatrixConfig,
    MatrixPlan,
    ModelPlan,
    PoolPlan,
)
from labgen.plan.serving import device_of
from labgen.spec import Lab, Matrix, MatrixModel

Report = Callable[[tuple[PathPart, ...], str], None]

MAX_NAME = 40
"""Job names are mx-<matrix>-<batch>-<hash> and must fit in 63 characters."""
LOADED = ("concurrent", "constant", "poisson")


def gpu_budgets(pools: Sequence[PoolPlan], models: Sequence[ModelPlan]) -> dict[str, int]:
    """GPUs (``nvidia.com/gpu`` units) per pool that serving leaves at its largest."""
    budgets = {p.name: p.max_nodes * p.gpu_resources_per_node for p in pools}
    for model in models:
        budgets[model.pool.name] -= model.gpus_at_most
    return {name: max(0, gpus) for name, gpus in budgets.items()}


def resolve_matrices(
    lab: Lab,
    pools: Sequence[PoolPlan],
    models: Sequence[ModelPlan],
    operators: frozenset[str],
    versions: Mapping[str, str],
    error: Report,
) -> tuple[MatrixPlan, ...]:
    """Plans for spec.matrices; ``versions`` holds the pinned ``guidellm``."""
    if lab.spec.matrices and "kueue" not in operators:
        error(
            ("spec", "matrices"),
            "matrices queue their Jobs through Kueue: add `kueue: {}` to spec.operators",
        )
    budgets = gpu_budgets(pools, models)
    out = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(lab.spec.matrices):
        at: tuple[PathPart, ...] = ("spec", "matrices", i)
        if spec.name in seen:
            first = seen[spec.name]
            error((*at, "name"), f"duplicate matrix {spec.name!r} (also matrices[{first}])")
        seen.setdefault(spec.name, i)
        planned = resolve_matrix(lab, spec, at, pools, models, budgets, versions, error)
        if planned is not None:
            out.append(planned)
    return tuple(out)


def resolve_matrix(
    lab: Lab,
    spec: Matrix,
    at: tuple[PathPart, ...],
    pools: Sequence[PoolPlan],
    models: Sequence[ModelPlan],
    budgets: Mapping[str, int],
    versions: Mapping[str, str],
    error: Report,
) -> MatrixPlan | None:
    ok = True

    def fail(field: tuple[PathPart, ...], message: str) -> None:
        nonlocal ok
        ok = False
        error((*at, *field), message)

    if len(spec.name) > MAX_NAME:
        fail(("name",), f"at most {MAX_NAME} characters (its Jobs are mx-<name>-<batch>-<hash>)")
    for j, server in enumerate(spec.servers):
        if not SERVERS[server].sidecar:
            fail(
                ("servers", j),
                f"{server} cannot run as a sidecar in a batch pod: matrices measure the "
                "vllm server (benchmark a served kserve or llm-d model with spec.benchmarks)",
            )
    _no_duplicates(spec.servers, ("servers",), fail)
    _no_duplicates(spec.dtypes, ("dtypes",), fail)
    w = spec.workloads
    for field, values in (
        ("profiles", w.profiles),
        ("batchSizes", w.batchSizes),
        ("promptTokens", w.promptTokens),
        ("outputTokens", w.outputTokens),
    ):
        _no_duplicates(values, ("workloads", field), fail)
    entries = [_model_entry(lab, m, ("models", k), models, fail) for k, m in enumerate(spec.models)]
    hardware = _hardware(lab, spec, pools, fail)
    if not ok:
        return None
    chosen = [e for e in entries if e is not None]
    expanded, pruned, groups = _expand(spec, chosen, hardware, budgets, versions)
    if not groups:
        reasons = "; ".join(f"{n} x {why}" for why, n in pruned.most_common(3))
        error(at, f"every one of its {expanded} configurations is pruned: {reasons}")
        return None
    batches: list[MatrixBatch] = []
    for configs in groups.values():
        for start in range(0, len(configs), spec.batchSize):
            chunk = tuple(configs[start : start + spec.batchSize])
            server_plan = _server(spec, chunk, len(batches))
            batches.append(MatrixBatch(len(batches), server_plan, chunk))
    return MatrixPlan(
        name=spec.name,
        namespace=spec.namespace,
        expanded=expanded,
        pruned=tuple(sorted(pruned.items(), key=lambda kv: (-kv[1], kv[0]))),
        batches=tuple(batches),
        max_seconds=spec.maxSeconds,
        max_requests=spec.maxRequests,
        storage_size=spec.storage.size,
        storage_class=spec.storage.storageClass,
        access_mode=spec.storage.accessMode,
        cache=None
        if spec.cache is None
        else CachePlan(spec.cache.size, spec.cache.storageClass, spec.cache.accessMode),
    )


_Entry = tuple[ModelArch, dict[str, str], str | None]
_Setup = tuple[str, str, str, int, str]


def _expand(
    spec: Matrix,
    chosen: Sequence[_Entry],
    hardware: Sequence[tuple[PoolPlan, int]],
    budgets: Mapping[str, int],
    versions: Mapping[str, str],
) -> tuple[int, Counter[str], dict[_Setup, list[MatrixConfig]]]:
    """(configurations expanded, pruned per reason, survivors per server setup)."""
    w = spec.workloads
    shared = "\0".join((versions.get("guidellm", ""), str(spec.maxSeconds), str(spec.maxRequests)))
    # (profile, load, prompt, output, the workload's part of the id's input)
    workloads = [
        (profile, load, prompt, output, f"{profile}\0{load}\0{prompt}\0{output}\0{shared}")
        for profile in w.profiles
        for load in (w.batchSizes if profile in LOADED else (None,))
        for prompt, output in product(w.promptTokens, w.outputTokens)
    ]
    pruned: Counter[str] = Counter()
    groups: dict[_Setup, list[MatrixConfig]] = {}
    ids: set[str] = set()
    fits: dict[tuple[str, int], bool] = {}
    expanded = 0
    for (arch, checkpoints, token_secret), (pool, gpus), server, wanted in product(
        chosen, hardware, spec.servers, _dtypes(spec)
    ):
        dtype = wanted or arch.native_dtype
        expanded += len(workloads)
        uri, why = _checkpoint(arch, dtype, checkpoints)
        if why is None:
            why = tp_problem(arch, gpus)
        if why is None and gpus > budgets.get(pool.name, 0):
            why = (
                f"{gpus} GPUs exceed the {budgets.get(pool.name, 0)} that pool {pool.name} "
                "leaves after serving"
            )
        if why is not None:
            pruned[f"{arch.slug} {dtype} on {gpus}x {pool.accelerator.id}: {why}"] += len(workloads)
            continue
        assert uri is not None
        # vLLM quantizes bf16 weights to fp8 on load when no fp8 checkpoint is given
        quantization = "fp8" if dtype == "fp8" and "fp8" not in checkpoints else None
        device = device_of(pool)
        assert device is not None  # mixed-MIG pools are refused in _hardware
        fits.clear()
        key = (arch.id, uri, pool.name, gpus, dtype)
        setup = f"{arch.id}\0{uri}\0{pool.accelerator.id}\0{gpus}\0{server}\0{dtype}\0"
        for profile, load, prompt, output, workload in workloads:
            tokens = prompt + output
            if tokens > arch.max_context:
                pruned[
                    f"{arch.slug}: {prompt}+{output} tokens exceed its context of "
                    f"{arch.max_context}"
                ] += 1
                continue
            fit_key = (dtype, tokens)
            if fit_key not in fits:
                fits[fit_key] = _fit(arch, dtype, gpus, device, spec, tokens).fits
            if not fits[fit_key]:
                pruned[
                    f"{arch.slug} {dtype} on {gpus}x {device.name}: one {tokens}-token "
                    "request does not fit in GPU memory"
                ] += 1
                continue
            config_id = hashlib.sha256((setup + workload).encode()).hexdigest()[:12]
            if config_id in ids:
                pruned["the same configuration again (same accelerator in two pools)"] += 1
                continue
            ids.add(config_id)
            config = MatrixConfig(
                config_id, arch, uri, token_secret, pool, gpus, server, dtype, profile, load,
                prompt, output, quantization,
            )  # fmt: skip
            groups.setdefault(key, []).append(config)
    return expanded, pruned, groups


def _dtypes(spec: Matrix) -> list[str | None]:
    """The matrix's dtypes; None stands for each model's native one."""
    return [*spec.dtypes] if spec.dtypes else [None]


def _no_duplicates(
    values: Sequence[object], field: tuple[PathPart, ...], fail: Callable[..., None]
) -> None:
    seen: set[object] = set()
    for k, value in enumerate(values):
        if value in seen:
            fail((*field, k), f"{value!r} is listed twice")
        seen.add(value)


def _model_entry(
    lab: Lab,
    entry: str | MatrixModel,
    at: tuple[PathPart, ...],
    served: Sequence[ModelPlan],
    fail: Callable[..., None],
) -> tuple[ModelArch, dict[str, str], str | None] | None:
    """(architecture, checkpoint URI per dtype, token Secret) of one matrix model."""
    spec = MatrixModel(model=entry) if isinstance(entry, str) else entry
    field = at if isinstance(entry, str) else (*at, "model")
    checkpoints: dict[str, str] = {str(k): v for k, v in spec.checkpoints.items()}
    for dtype, uri in checkpoints.items():
        if not uri.startswith(("hf://", "s3://", "pvc://")):
            fail((*at, "checkpoints", dtype), "a model URI: hf://org/name, s3://... or pvc://...")
    by_name = {m.name: m for m in served}
    if spec.model in by_name:
        model = by_name[spec.model]
        checkpoints.setdefault("native", model.uri)
        return model.arch, checkpoints, spec.tokenSecret or model.token_secret
    arch = find_model(spec.model)
    if arch is None:
        if spec.model in {m.name for m in lab.spec.models}:
            return None  # the served model has its own error
        choices = [*model_names(), *by_name]
        match = difflib.get_close_matches(spec.model, choices, n=1, cutoff=0.6)
        hint = f" (did you mean {match[0]!r}?)" if match else ""
        fail(
            field,
            f"{spec.model!r} is neither a catalog model nor a spec.models name{hint}; list the "
            "catalog with `labgen models`",
        )
        return None
    if arch.gated and spec.tokenSecret is None:
        fail(field, f"{arch.id} is gated on Hugging Face: give tokenSecret (a Secret's name)")
    return arch, checkpoints, spec.tokenSecret


def _hardware(
    lab: Lab, spec: Matrix, pools: Sequence[PoolPlan], fail: Callable[..., None]
) -> list[tuple[PoolPlan, int]]:
    by_name = {p.name: p for p in pools}
    declared = [p.name for p in lab.spec.gpuPools]
    out = []
    for h, entry in enumerate(spec.hardware):
        at: tuple[PathPart, ...] = ("hardware", h)
        pool = by_name.get(entry.pool)
        if pool is None:
            if entry.pool not in declared:
                match = difflib.get_close_matches(entry.pool, declared, n=1, cutoff=0.6)
                hint = f" (did you mean {match[0]!r}?)" if match else ""
                fail((*at, "pool"), f"no GPU pool {entry.pool!r}{hint}")
            continue
        if pool.mig_strategy == "mixed":
            fail((*at, "pool"), f"pool {pool.name} uses mixed MIG profiles; measure whole GPUs")
            continue
        if pool.cpu:
            fail((*at, "pool"), f"pool {pool.name} has no GPU; matrices measure GPU pools")
            continue
        per_node = 1 if pool.mig_strategy == "single" else pool.gpus_per_node
        _no_duplicates(entry.gpus, (*at, "gpus"), fail)
        for k, gpus in enumerate(entry.gpus):
            if gpus > per_node:
                fail(
                    (*at, "gpus", k),
                    f"{gpus} GPUs exceed the {per_node} per node of pool {pool.name} (a batch "
                    "pod runs on one node)",
                )
            else:
                out.append((pool, gpus))
    return out


def _checkpoint(
    arch: ModelArch, dtype: str, checkpoints: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """(the URI vLLM loads, None) or (None, why the dtype cannot be served)."""
    native = checkpoints.get("native", f"hf://{arch.id}")
    if arch.native_dtype == "mxfp4":
        if dtype != "mxfp4":
            return None, f"{arch.id} ships MXFP4 weights only"
        return native, None
    if dtype == "mxfp4":
        return None, f"{arch.id} has no MXFP4 checkpoint"
    if dtype in ("int8", "int4"):
        uri = checkpoints.get(dtype)
        if uri is None:
            return None, f"{dtype} needs a quantized checkpoint (checkpoints.{dtype})"
        return uri, None
    if dtype == "fp8":
        return checkpoints.get("fp8", native), None
    return native, None


def _fit(arch: ModelArch, dtype: str, gpus: int, device: Device, spec: Matrix, tokens: int) -> Fit:
    return Fit(arch, dtype, "auto", gpus, 1, device, spec.gpuMemoryUtilization, tokens)


def _server(spec: Matrix, configs: tuple[MatrixConfig, ...], index: int) -> ModelPlan:
    """The vLLM server of one batch: the longest request of the batch sets maxModelLen."""
    first = configs[0]
    device = device_of(first.pool)
    assert device is not None
    tokens = max(c.tokens for c in configs)
    fit = _fit(first.model, first.dtype, first.gpus, device, spec, tokens)
    return ModelPlan(
        name=spec.name,
        namespace=spec.namespace,
        server="vllm",
        arch=first.model,
        uri=first.uri,
        token_secret=first.token_secret,
        pool=first.pool,
        fit=fit,
        nodes_per_replica=1,
        replicas=1,
        autoscaling=None,
        routing=None,
        prefill=None,
        cache=None
        if spec.cache is None
        else CachePlan(spec.cache.size, spec.cache.storageClass, spec.cache.accessMode),
        extra_args=(),
        quantization=first.quantization,
    )
