"""Single-node clusters: the providers whose lab is one machine (a GPU workstation, a
laptop, a CI runner), and how `labgen plan` sets one up.

A provider listed here means "this lab is one machine": the plan downsizes what needs
several nodes (replicas, autoscaling, database instances) and refuses what cannot fit
(``labgen.plan.single_node``). Only ``k3s`` is one: ``kind`` stays a provider for
clusters whose nodes labgen does not make, as before.

Why k3s, not kind, for a workstation: k3s runs on the host, and when it starts it finds
the NVIDIA Container Toolkit's runtime (``nvidia-container-runtime`` on the host) and
configures containerd with it, plus a ``nvidia`` RuntimeClass
(https://docs.k3s.io/advanced#nvidia-container-runtime-support); ``--default-runtime``
(k3s-io/k3s#8700, in every k3s labgen's Kubernetes versions have) makes it the default, so
pods asking for ``nvidia.com/gpu`` see their GPUs without naming a RuntimeClass. kind runs
its node in a container: GPUs reach it only through the toolkit's
``accept-nvidia-visible-devices-as-volume-mounts`` setting plus an ``extraMounts`` entry
per node, and the toolkit installed again inside the node image (or NVIDIA's nvkind
wrapper). For CI without GPUs both start in a minute; k3s needs root, which hosted
runners give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from labgen.data.types import Provider

ARGOCD_VERSION = "v3.5.1"
"""Argo CD release `labgen plan` installs on a single-node cluster: the release whose
Application and AppProject CRDs labgen validates against (crd_schemas/SOURCES.md); labgen
needs 3.1 or newer (OCI Helm sources)."""

ARGOCD_INSTALL = (
    f"https://raw.githubusercontent.com/argoproj/argo-cd/{ARGOCD_VERSION}/manifests/install.yaml"
)
"""Argo CD's non-HA install manifests at the pinned tag. Applied server-side: the
ApplicationSet CRD is too large for client-side apply's annotation (Argo CD's getting
started guide)."""


@dataclass(frozen=True)
class SingleNode:
    """How one machine becomes the lab's cluster."""

    provider: Provider
    title: str
    install: str
    """Shell command installing and starting the cluster; ``{channel}`` is the Kubernetes
    minor (``v1.33``), ``{flags}`` the server flags."""
    flags: tuple[str, ...]
    """Server flags for every lab."""
    gpu_flags: tuple[str, ...]
    """Server flags for a lab with a GPU pool."""
    kubeconfig: str
    """Where the cluster writes its admin kubeconfig (root-owned)."""
    source: str


SINGLE_NODE: Mapping[Provider, SingleNode] = {
    s.provider: s
    for s in (
        SingleNode(
            provider="k3s",
            title="k3s",
            # INSTALL_K3S_CHANNEL follows the minor's newest patch (k3s publishes a
            # channel per minor, v1.33 ...), as spec.cluster.kubernetesVersion names a minor
            install="curl -sfL https://get.k3s.io | INSTALL_K3S_CHANNEL={channel} "
            "sh -s - server {flags}",
            # Traefik would be a second, unmanaged ingress on the machine's ports 80/443:
            # a lab is reached through spec.exposure's Gateway, or port-forwards.
            flags=("--disable=traefik",),
            gpu_flags=("--default-runtime=nvidia",),
            kubeconfig="/etc/rancher/k3s/k3s.yaml",
            source="https://docs.k3s.io/installation/configuration, "
            "https://docs.k3s.io/advanced#nvidia-container-runtime-support",
        ),
    )
}


def single_node(provider: str) -> SingleNode | None:
    """The provider's single-node facts, or None when its labs span nodes."""
    return next((s for s in SINGLE_NODE.values() if s.provider == provider), None)
