"""Single-node labs (``spec.cluster.provider: k3s``): the same spec on one machine.

Two steps around the ordinary planning:

- :func:`downsize` rewrites, before planning, what asks for several nodes into what one
  node runs: one replica per model (no autoscaling, so no KEDA ScaledObject or HPA), one
  prefill worker, model caches ReadWriteOnce (every pod is on the one node, and k3s's
  local-path volumes are ReadWriteOnce only), one PostgreSQL instance and one PgBouncer per
  database. Each rewrite is recorded with its spec path, shown by ``labgen plan``.
- :func:`check` refuses, from the plan, what cannot fit on the node: more than one GPU
  pool, a pool of more than one node, a model whose replica spans nodes, and models that
  together ask for more GPUs (decode and prefill) than the node has, or, on a node without
  a GPU, more RAM than it leaves to model servers. Tensor parallelism above the node's GPUs
  is refused by the serving planner for every lab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from labgen.data.single_node import single_node
from labgen.errors import PathPart
from labgen.plan.fit import CPU_NODE_RESERVE_GIB, CpuFit
from labgen.plan.model import Downsized, ModelPlan, PoolPlan
from labgen.spec import Database, Lab, ServedModel

Report = Callable[[tuple[PathPart, ...], str], None]


def downsize(lab: Lab) -> tuple[Lab, tuple[Downsized, ...]]:
    """``lab`` as one node runs it, and what changed; unchanged unless it is single-node."""
    if single_node(lab.spec.cluster.provider) is None:
        return lab, ()
    changes: list[Downsized] = []
    models = [_model(i, m, changes) for i, m in enumerate(lab.spec.models)]
    databases = [_database(i, d, changes) for i, d in enumerate(lab.spec.databases)]
    if not changes:
        return lab, ()
    spec = lab.spec.model_copy(update={"models": models, "databases": databases})
    return lab.model_copy(update={"spec": spec}), tuple(changes)


def _model(index: int, model: ServedModel, changes: list[Downsized]) -> ServedModel:
    at: tuple[PathPart, ...] = ("spec", "models", index)
    update: dict[str, object] = {}
    if model.autoscaling is not None:
        scaling = model.autoscaling
        changes.append(
            Downsized((*at, "autoscaling"), f"{scaling.min}-{scaling.max} replicas", "1 replica")
        )
        update["autoscaling"] = None
    if model.replicas is not None and model.replicas > 1:
        changes.append(Downsized((*at, "replicas"), str(model.replicas), "1"))
        update["replicas"] = None
    if model.prefill is not None and model.prefill.replicas > 1:
        changes.append(Downsized((*at, "prefill", "replicas"), str(model.prefill.replicas), "1"))
        update["prefill"] = model.prefill.model_copy(update={"replicas": 1})
    if model.cache is not None and model.cache.accessMode != "ReadWriteOnce":
        changes.append(
            Downsized((*at, "cache", "accessMode"), model.cache.accessMode, "ReadWriteOnce")
        )
        update["cache"] = model.cache.model_copy(update={"accessMode": "ReadWriteOnce"})
    return model.model_copy(update=update) if update else model


def _database(index: int, db: Database, changes: list[Downsized]) -> Database:
    at: tuple[PathPart, ...] = ("spec", "databases", index)
    update: dict[str, object] = {}
    if db.instances > 1:
        changes.append(Downsized((*at, "instances"), str(db.instances), "1"))
        update["instances"] = 1
    if db.pooler is not None and db.pooler.instances > 1:
        changes.append(Downsized((*at, "pooler", "instances"), str(db.pooler.instances), "1"))
        update["pooler"] = db.pooler.model_copy(update={"instances": 1})
    return db.model_copy(update=update) if update else db


def check(lab: Lab, pools: Sequence[PoolPlan], models: Sequence[ModelPlan], error: Report) -> None:
    """Report what one node cannot hold (nothing for labs that span nodes)."""
    cluster = single_node(lab.spec.cluster.provider)
    if cluster is None:
        return
    where = f"a {cluster.title} lab is one machine"
    for index in range(1, len(lab.spec.gpuPools)):
        error(
            ("spec", "gpuPools", index),
            f"{where}: one GPU pool (its GPUs), not {len(lab.spec.gpuPools)}; put the GPUs "
            "in gpuPools[0].gpusPerNode",
        )
    for index, spec in enumerate(lab.spec.gpuPools):
        if (spec.nodes.min, spec.nodes.max) != (1, 1):
            error(
                ("spec", "gpuPools", index, "nodes"),
                f"{where}: set nodes: {{min: 1, max: 1}} (not {spec.nodes.min}-{spec.nodes.max})",
            )
    index_of = {m.name: i for i, m in enumerate(lab.spec.models)}
    spanning = {m.name for m in models if m.nodes_per_replica > 1}
    for model in models:
        if model.name in spanning:
            error(
                ("spec", "models", index_of[model.name], "multiNode"),
                f"{where}: a replica of {model.name} spans {model.nodes_per_replica} nodes; "
                "drop multiNode and fit it on the node's GPUs (a smaller dtype, a smaller model)",
            )
    if not pools:
        return
    fitting = [m for m in models if m.name not in spanning]
    if pools[0].cpu:
        _check_memory(pools[0], fitting, index_of, where, error)
    else:
        _check_gpus(pools[0], fitting, index_of, where, error)


def _check_memory(
    node: PoolPlan,
    models: Sequence[ModelPlan],
    index_of: dict[str, int],
    where: str,
    error: Report,
) -> None:
    """The RAM every model server takes (each planned as if alone on the node) against
    what the node leaves to them."""
    have = (node.memory_gib or 0) - CPU_NODE_RESERVE_GIB
    over = _first_over(models, have, _ram)
    if over is not None:
        model, used, upto = over
        error(
            ("spec", "models", index_of[model.name], "pool"),
            f"{where} with {node.memory_gib} GiB of RAM, {have:g} GiB of it for model "
            f"servers; the models up to {model.name} need {used} GiB: "
            f"{', '.join(f'{m.name} {_ram(m)} GiB' for m in upto)}. "
            "Serve fewer models, or give each a lower maxModelLen (a smaller KV space)",
        )


def _check_gpus(
    node: PoolPlan,
    models: Sequence[ModelPlan],
    index_of: dict[str, int],
    where: str,
    error: Report,
) -> None:
    """The GPUs every model takes (decode and prefill, one replica each after downsizing)
    against the node's."""
    have = node.gpu_resources_per_node
    over = _first_over(models, have, lambda m: m.gpus_at_most)
    if over is not None:
        model, used, upto = over
        error(
            ("spec", "models", index_of[model.name], "pool"),
            f"{where} with {have} GPU{'s' if have != 1 else ''} "
            f"({node.gpus_per_node}x {node.accelerator.id}"
            + (f" as {node.mig_profile}" if node.mig_profile else "")
            + f"); the models up to {model.name} need {used}: "
            f"{', '.join(_footprint(m) for m in upto)}. "
            "Serve fewer models, a lower tensorParallel, or no P/D disaggregation",
        )


def _first_over(
    models: Sequence[ModelPlan], have: float, take: Callable[[ModelPlan], int]
) -> tuple[ModelPlan, int, Sequence[ModelPlan]] | None:
    """The first model at which the running total of what each ``take``s passes
    ``have``, with that total and the models up to it; None when all fit."""
    used = 0
    for i, model in enumerate(models):
        used += take(model)
        if used > have:
            return model, used, models[: i + 1]
    return None


def _ram(model: ModelPlan) -> int:
    """GiB of RAM a cpu model's server pods take (0 for a GPU model)."""
    return model.max_replicas * model.fit.memory_gib if isinstance(model.fit, CpuFit) else 0


def _footprint(model: ModelPlan) -> str:
    """``name GPUs`` (decode replicas x TP x PP) and its prefill workers' GPUs."""
    text = f"{model.name} {model.max_replicas * model.fit.gpus}"
    if model.prefill is not None:
        text += f" + prefill {model.prefill.replicas * model.prefill.fit.gpus}"
    return text
