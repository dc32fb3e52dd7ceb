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
        taint = shlex.quote(f"{pool.taint.key}={pool.taint.value}:{pool.taint.effect}")
        commands += [
            f"# pool {pool.name}: {pool.max_nodes} node(s) with {pool.gpus_per_node}x "
            f"{pool.accelerator.id}",
            f"kubectl label node NODE... {labels} --overwrite",
            f"kubectl taint node NODE... {taint}",
        ]
    return commands
