"""Node setup for pools labgen creates no node objects for (bare metal, kind, GPU
MachineSets made outside labgen): the labels and taint the rendered workloads select
and tolerate, as the kubectl commands that put them on the nodes."""

from __future__ import annotations

import shlex

from labgen.plan.model import LabPlan, PoolPlan


def external_pools(plan: LabPlan) -> list[PoolPlan]:
    """Pools whose nodes someone else makes (GKE node pools get `gcloud` commands)."""
    if plan.provider == "gcp":
        return []
    return [p for p in plan.pools if p.provisioner == "external"]


def node_commands(plan: LabPlan) -> list[str]:
    """Per external pool: label and taint its nodes (NODE... stands for their names)."""
    commands = []
    for pool in external_pools(plan):
        labels = " ".join(shlex.quote(f"{k}={v}") for k, v in pool.node_labels.items())
        what = (
            f"{pool.memory_gib} GiB of RAM, no GPU"
            if pool.cpu
            else f"{pool.gpus_per_node}x {pool.accelerator.id}"
        )
        commands += [
            f"# pool {pool.name}: {pool.max_nodes} node(s) with {what}",
            f"kubectl label node NODE... {labels} --overwrite",
        ]
        if pool.taint is not None:
            commands.append(f"kubectl taint node NODE... {shlex.quote(pool.taint_text)}")
    return commands
