"""The pinned release table: every operator, chart, image and git ref labgen emits.

One row per release key; ``spec.versions.<key>`` overrides a row's chart version, OLM
channel/CSV or git ref for one lab. The ``version`` of a row is the upstream tag whose CRDs
the tests validate against (see ``../shared/crds/SOURCES.md``), so bumping a row means
re-importing those schemas too. Nothing here is ``latest`` or a floating chart range.

OLM rows pin the channel to one release stream and, where the operator's CSV names are
stable and public (``<package>.v<version>``), the starting CSV. Red Hat operators whose
channel follows the OpenShift release (NFD, cert-manager for OpenShift) are pinned by the
cluster's own catalog index, which is versioned with OpenShift itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from labgen.data.platforms import PLATFORMS
from labgen.data.types import (
    GitManifests,
    GitRelease,
    HelmChart,
    HelmRelease,
    OlmPackage,
    OlmRelease,
    Release,
)
from labgen.data.types import Platform as PlatformName

R = TypeVar("R", bound=Release)

DEFAULT_KUBERNETES_VERSION = "1.33"
"""Kubernetes minor whose core schemas are used where no lab spec names one."""

RELEASES: dict[str, Release] = {
    r.key: r
    for r in (
        OlmRelease(
            "gpu-operator",
            "v26.7.0",
            helm=HelmChart("https://helm.ngc.nvidia.com/nvidia", "gpu-operator", "v26.7.0"),
            olm=OlmPackage(
                package="gpu-operator-certified",
                channel="v26.7",
                source="certified-operators",
                starting_csv="gpu-operator-certified.v26.7.0",
                namespace="nvidia-gpu-operator",
                all_namespaces=False,
            ),
            crd_groups=("nvidia.com",),
            source="https://docs.nvidia.com/datacenter/cloud-native/openshift/latest/install-gpu-ocp.html",
        ),
        OlmRelease(
            "nfd",
            "v0.19.0",
            helm=HelmChart(
                "https://kubernetes-sigs.github.io/node-feature-discovery/charts",
                "node-feature-discovery",
                "0.19.0",
            ),
            olm=OlmPackage(
                package="nfd",
                channel="stable",
                source="redhat-operators",
                starting_csv="",
                namespace="openshift-nfd",
                all_namespaces=False,
            ),
            crd_groups=("nfd.k8s-sigs.io", "nfd.openshift.io"),
            source="https://kubernetes-sigs.github.io/node-feature-discovery/v0.19/deployment/helm.html",
        ),
        OlmRelease(
            "cert-manager",
            "v1.21.1",
            helm=HelmChart("https://charts.jetstack.io", "cert-manager", "v1.21.1"),
            olm=OlmPackage(
                package="openshift-cert-manager-operator",
                channel="stable-v1",
                source="redhat-operators",
                starting_csv="",
                namespace="cert-manager-operator",
                all_namespaces=True,
            ),
            crd_groups=("cert-manager.io", "acme.cert-manager.io"),
            source="https://cert-manager.io/docs/installation/helm/",
        ),
        HelmRelease(
            "keda",
            "v2.20.2",
            helm=HelmChart("https://kedacore.github.io/charts", "keda", "2.20.2"),
            source="https://keda.sh/docs/2.20/deploy/#helm",
        ),
        GitRelease(
            "gateway-api",
            "v1.6.1",
            git=GitManifests(
                "https://github.com/kubernetes-sigs/gateway-api.git",
                "config/crd/standard",
                "v1.6.1",
            ),
            crd_groups=("gateway.networking.k8s.io",),
            source="https://gateway-api.sigs.k8s.io/guides/#installing-gateway-api",
        ),
        HelmRelease(
            "leaderworkerset",
            "v0.10.0",
            helm=HelmChart("oci://registry.k8s.io/lws/charts", "lws", "0.10.0"),
            source="https://lws.sigs.k8s.io/docs/installation/#install-by-helm",
        ),
        OlmRelease(
            "cnpg",
            "v1.30.0",
            helm=HelmChart("https://cloudnative-pg.github.io/charts", "cloudnative-pg", "0.29.0"),
            olm=OlmPackage(
                package="cloudnative-pg",
                channel="stable-v1",
                source="certified-operators",
                starting_csv="cloudnative-pg.v1.30.0",
                namespace="openshift-operators",
                all_namespaces=True,
            ),
            # PostgreSQL operand images by major version, tag and digest as CloudNativePG's
            # signed `catalog-system-trixie.yaml` (2026-08-31) lists them. `system` images
            # are the `standard` image (pgaudit, pgvector, pg-failover-slots) plus Barman
            # Cloud, which the in-tree `barmanObjectStore` backups of 1.30 need.
            images={
                "postgresql-17": "ghcr.io/cloudnative-pg/postgresql:"
                "17.11-202608310816-system-trixie"
                "@sha256:362b039f643f1c09a34edd63d9a78903e5f1f4f43c24236cc8459621eb676d12",
                "postgresql-18": "ghcr.io/cloudnative-pg/postgresql:"
                "18.6-202608310817-system-trixie"
                "@sha256:5a6a677d3fa2bc3fdc61874e0de8324b5a987eb676ddca133e71365a8467d6c1",
            },
            crd_groups=("postgresql.cnpg.io",),
            source="https://cloudnative-pg.io/documentation/current/installation_upgrade/",
        ),
        HelmRelease(
            "kueue",
            "v0.19.2",
            helm=HelmChart("oci://registry.k8s.io/kueue/charts", "kueue", "0.19.2"),
            source="https://kueue.sigs.k8s.io/docs/installation/#install-by-helm",
        ),
        HelmRelease(
            "kube-prometheus-stack",
            "v0.93.0",
            helm=HelmChart(
                "https://prometheus-community.github.io/helm-charts",
                "kube-prometheus-stack",
                "88.0.0",
            ),
            source="https://github.com/prometheus-community/helm-charts/pull/7152",
        ),
        HelmRelease(
            "prometheus-adapter",
            "v0.12.0",
            helm=HelmChart(
                "https://prometheus-community.github.io/helm-charts",
                "prometheus-adapter",
                "5.3.0",
            ),
            source="https://github.com/prometheus-community/helm-charts/tree/main/charts/prometheus-adapter",
        ),
        GitRelease(
            "inference-extension",
            "v1.6.0",
            git=GitManifests(
                "https://github.com/kubernetes-sigs/gateway-api-inference-extension.git",
                "config/crd/bases",
                "v1.6.0",
            ),
            crd_groups=("inference.networking.k8s.io",),
            source="https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/tag/v1.6.0",
        ),
        HelmRelease(
            "kserve",
            "v0.20.0",
            helm=HelmChart("oci://ghcr.io/kserve/charts", "kserve-crd", "v0.20.0"),
            source="https://kserve.github.io/website/docs/admin-guide/kubernetes-deployment",
        ),
        # The CPU image is published per release with the same tag (multi-arch: x86_64 and
        # arm64), e.g. the v0.29.0 release notes' `docker pull vllm/vllm-openai-cpu:v0.29.0`.
        Release(
            "vllm",
            "v0.30.0",
            images={
                "server": "docker.io/vllm/vllm-openai",
                "server-cpu": "docker.io/vllm/vllm-openai-cpu",
            },
            source="https://github.com/vllm-project/vllm/releases/tag/v0.30.0",
        ),
        Release(
            "guidellm",
            "v0.8.1",
            images={"benchmark": "ghcr.io/vllm-project/guidellm"},
            source="https://github.com/vllm-project/guidellm/releases/tag/v0.8.1",
        ),
        Release(
            "open-webui",
            "v0.11.0",
            images={"ui": "ghcr.io/open-webui/open-webui"},
            source="https://github.com/open-webui/open-webui/releases/tag/v0.11.0",
        ),
        Release(
            "llm-d-router",
            "v0.10.0",
            source="https://github.com/llm-d/llm-d-router/releases/tag/v0.10.0",
        ),
        OlmRelease(
            "kuadrant",
            "v1.5.2",
            # The chart bundles its dependencies (Authorino, Limitador and DNS operators,
            # Chart.yaml of Kuadrant/kuadrant-operator v1.5.2 charts/kuadrant-operator).
            helm=HelmChart("https://kuadrant.io/helm-charts/", "kuadrant-operator", "1.5.2"),
            # The community operator (OperatorHub.io / community-operators): package and
            # channel from bundle/metadata/annotations.yaml, CSV name and AllNamespaces-only
            # install mode from bundle/manifests/kuadrant-operator.clusterserviceversion.yaml.
            olm=OlmPackage(
                package="kuadrant-operator",
                channel="stable",
                source="community-operators",
                starting_csv="kuadrant-operator.v1.5.2",
                namespace="kuadrant-system",
                all_namespaces=True,
            ),
            crd_groups=("kuadrant.io",),
            source="https://docs.kuadrant.io/latest/kuadrant-operator/doc/install/install-openshift/",
        ),
        Release(
            "karpenter",
            "v1.14.1",
            images={"al2023-ami-alias": "al2023@v20250915"},
            crd_groups=("karpenter.sh", "karpenter.k8s.aws"),
            source="https://karpenter.sh/docs/concepts/nodeclasses/#specamiselectorterms",
        ),
    )
}


def platform_crd_groups(platform: PlatformName, provider: str) -> frozenset[str]:
    """API groups whose CRDs a lab's cluster has before Argo CD syncs anything: the
    platform's own operators; where Karpenter makes the GPU nodes (EKS), Karpenter's
    (installed with the cluster, not by labgen)."""
    known = PLATFORMS[platform]
    karpenter = {where for where, how in known.provisioners.items() if how == "karpenter"}
    if provider in karpenter:
        return known.crd_groups | frozenset(RELEASES["karpenter"].crd_groups)
    return known.crd_groups


def release_as(releases: Mapping[str, Release], key: str, kind: type[R]) -> R:
    """Row ``key`` of ``releases`` as the kind of release its user needs (a Helm chart, an
    OLM package, a git path); a row of another kind is a bug in labgen's tables."""
    release = releases[key]
    if not isinstance(release, kind):
        raise TypeError(f"release {key} is a {type(release).__name__}, not a {kind.__name__}")
    return release


ISTIO_CRD_GROUPS = frozenset({"networking.istio.io"})
"""Istio's API groups: installed with the cluster's Gateway implementation where the lab's
GatewayClass is Istio's (``istio``, OpenShift's ``openshift-default``), not by labgen."""


def pinned_crd_groups() -> frozenset[str]:
    """API groups whose custom resources labgen may emit: those the pinned releases install
    (their release rows, and the CRDs their charts render),
    those of the platforms it targets (OpenShift's own operators) and Istio's (the
    DestinationRule of an EPP behind an Istio gateway)."""
    from labgen.data.charts import inventories  # measured chart renders (charts.json)

    groups = {group for release in RELEASES.values() for group in release.crd_groups}
    groups |= {group for chart in inventories().values() for group in chart.crd_groups}
    platforms = {group for p in PLATFORMS.values() for group in p.crd_groups}
    return frozenset(groups | platforms | ISTIO_CRD_GROUPS)
