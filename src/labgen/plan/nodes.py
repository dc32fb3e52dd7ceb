"""Node setup for pools labgen creates no node objects for (bare metal, kind, GPU
MachineSets made outside labgen): the labels and taint the rendered workloads select
and tolerate, as the kubectl commands that put them on the nodes. For a single-node lab
(k3s): the whole local setup in order, from the cluster to the bootstrapped lab."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from labgen.data.single_node import ARGOCD_INSTALL, ARGOCD_VERSION, SingleNode
from labgen.plan.model import LabPlan, PoolPlan


@dataclass(frozen=True)
class NodeSetup:
    """What `labgen plan` prints under one heading."""

    title: str
    commands: tuple[str, ...]


def external_pools(plan: LabPlan) -> list[PoolPlan]:
    """Pools whose nodes someone else makes (GKE node pools get `gcloud` commands)."""
    if plan.provider == "gcp":
        return []
    return [p for p in plan.pools if p.provisioner == "external"]


def node_setup(plan: LabPlan) -> NodeSetup | None:
    """The commands that prepare the lab's nodes (its machine, when it is one), or None."""
    machine = plan.single_node
    if machine is not None:
        return NodeSetup(
            f"Setup on this machine ({machine.title}, one node), in order",
            tuple(_single_node_commands(plan, machine)),
        )
    commands = _external_pool_commands(plan)
    if not commands:
        return None
    return NodeSetup(
        "GPU nodes (labgen creates none here): label and taint each pool's nodes so the "
        "lab's workloads select and tolerate them",
        tuple(commands),
    )


def node_commands(plan: LabPlan) -> list[str]:
    """The commands of :func:`node_setup` (`labgen plan --output json`), or none."""
    setup = node_setup(plan)
    return list(setup.commands) if setup is not None else []


def _external_pool_commands(plan: LabPlan) -> list[str]:
    """Per external pool: label and taint its nodes (NODE... stands for their names)."""
    commands = []
    for pool in external_pools(plan):
        commands += [
            f"# pool {pool.name}: {pool.max_nodes} node(s) with {_carries(pool)}",
            f"kubectl label node NODE... {_labels(pool)} --overwrite",
        ]
        if pool.taint is not None:
            commands.append(f"kubectl taint node NODE... {shlex.quote(pool.taint_text)}")
    return commands


def _carries(pool: PoolPlan) -> str:
    if pool.cpu:
        return f"{pool.memory_gib} GiB of RAM, no GPU"
    return f"{pool.gpus_per_node}x {pool.accelerator.id}"


def _labels(pool: PoolPlan) -> str:
    return " ".join(shlex.quote(f"{k}={v}") for k, v in pool.node_labels.items())


def _single_node_commands(plan: LabPlan, machine: SingleNode) -> list[str]:
    """Cluster, node labels, Argo CD, push, bootstrap: each step a comment and commands."""
    gpus = plan.has("gpu-operator")
    kubeconfig = f"$HOME/.kube/{plan.name}.yaml"
    flags = (*machine.flags, *(machine.gpu_flags if gpus else ()))
    commands: list[str] = []
    if gpus:
        commands += [
            "# GPU prerequisites on the host: the NVIDIA driver and the NVIDIA Container "
            f"Toolkit ({machine.title} finds its runtime when it starts); both must answer:",
            "nvidia-smi --query-gpu=name,memory.total --format=csv,noheader",
            "nvidia-container-runtime --version",
        ]
    commands += [
        f"# the cluster: {machine.title} for Kubernetes {plan.kubernetes_version}"
        + (", the NVIDIA runtime as the default" if gpus else ""),
        machine.install.format(channel=f"v{plan.kubernetes_version}", flags=" ".join(flags)),
        'mkdir -p "$HOME/.kube"',
        f'sudo install -m 600 -o "$(id -u)" -g "$(id -g)" {machine.kubeconfig} "{kubeconfig}"',
        f'export KUBECONFIG="{kubeconfig}"',
        "kubectl wait --for=condition=Ready node --all --timeout=300s",
    ]
    for pool in plan.pools:
        untainted = (
            f"; no taint {pool.taint_text}: the one node runs everything else too"
            if pool.taint is not None
            else ""
        )
        commands += [
            f"# the node is pool {pool.name} ({_carries(pool)}){untainted}",
            f"kubectl label node --all {_labels(pool)} --overwrite",
        ]
    namespace = plan.gitops.argocd_namespace
    commands += [
        f"# Argo CD {ARGOCD_VERSION}",
        f"kubectl create namespace {namespace}",
        f"kubectl apply -n {namespace} --server-side --force-conflicts -f {ARGOCD_INSTALL}",
        f"kubectl -n {namespace} wait --for=condition=Available deployment --all --timeout=600s",
        *_secret_commands(plan),
        f"# render, commit and push to {plan.gitops.repo_url} ({plan.gitops.target_revision}), "
        "where Argo CD reads the lab (a private repository also needs its credentials in "
        "Argo CD)",
        f"labgen render {plan.name}",
        f'git add -A && git commit -m "lab {plan.name}" && git push',
        "# bootstrap the lab, then watch it converge",
        f"labgen bootstrap {plan.name}",
        f"labgen status {plan.name} --wait",
    ]
    return _numbered(commands)


_RANDOM = '"$(openssl rand -hex 24)"'


def _secret_commands(plan: LabPlan) -> list[str]:
    """The Secrets the lab's objects name and git never holds, made once by hand."""
    # (namespace, name, its keys as --from-literal values)
    secrets: list[tuple[str, str, tuple[str, ...]]] = []
    for model in plan.models:
        if model.token_secret is not None:
            secrets.append((model.namespace, model.token_secret, ("HF_TOKEN=<token>",)))
    ui = plan.open_webui
    if ui is not None:
        secrets.append((ui.namespace, ui.secret, (f"WEBUI_SECRET_KEY={_RANDOM}",)))
        if ui.admin_secret is not None:
            admin = ("WEBUI_ADMIN_EMAIL=<email>", f"WEBUI_ADMIN_PASSWORD={_RANDOM}")
            secrets.append((ui.namespace, ui.admin_secret, admin))
    obs = plan.observability
    if obs is not None and obs.grafana_admin_secret is not None:
        account = ("admin-user=admin", f"admin-password={_RANDOM}")
        namespace = plan.platform.monitoring.namespace
        secrets.append((namespace, obs.grafana_admin_secret, account))
    if not secrets:
        return []
    commands = ["# the Secrets the lab reads, created outside git (namespaces first)"]
    commands += [f"kubectl create namespace {ns}" for ns in sorted({s[0] for s in secrets})]
    for namespace, name, literals in secrets:
        arguments = " ".join(f"--from-literal={literal}" for literal in literals)
        commands.append(f"kubectl -n {namespace} create secret generic {name} {arguments}")
    return commands


def _numbered(commands: list[str]) -> list[str]:
    """Comments are the steps: `# 1. ...`, `# 2. ...`."""
    out, step = [], 0
    for command in commands:
        if command.startswith("# "):
            step += 1
            out.append(f"# {step}. {command[2:]}")
        else:
            out.append(command)
    return out
