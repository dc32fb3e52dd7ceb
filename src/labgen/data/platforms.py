"""What differs between the platforms labgen targets, in one table.

A component never asks "is this OpenShift?": it asks the lab's :class:`Platform` for the
one fact it needs (``plan.platform.operators_from_olm``, ``plan.platform.monitoring
.namespace``...). Adding a platform is a row here (and its name in
``labgen.data.types.Platform``, the spec's allowed values); a fact that starts to differ
is a field here, named after what differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from labgen.data.types import Platform as PlatformName
from labgen.data.types import Provider

Provisioner = Literal["machineset", "karpenter", "external"]
"""How a GPU pool's nodes come to be: OpenShift MachineSets scaled by its cluster
autoscaler, Karpenter NodePools, or node pools made outside labgen (GKE, bare metal)."""


@dataclass(frozen=True)
class Monitoring:
    """The Prometheus that scrapes and alerts on lab workloads."""

    installed_by_labgen: bool
    """True: the ``monitoring`` component installs kube-prometheus-stack (and its
    Grafana); False: the platform's own stack, which labgen only configures."""
    namespace: str
    """Namespace of the stack (the chart's release, or the platform's)."""
    dashboards_namespace: str
    """Where labgen's dashboards and cluster-wide monitors live: the chart's namespace,
    whose Grafana loads them, or a namespace of labgen's own."""
    cluster_wide_monitors: bool
    """A ServiceMonitor/PodMonitor may select targets in every namespace (the chart's
    Prometheus honours ``namespaceSelector``); False: user-workload monitoring confines a
    monitor to its own namespace."""
    scraper_namespace: str
    """Namespace of the Prometheus pods that scrape lab workloads (NetworkPolicies admit
    them to metrics ports)."""
    prometheus_account: tuple[str, str] | None
    """(namespace, name) of the platform Prometheus' ServiceAccount, which labgen grants
    read access to the targets of its own monitors; None: the chart's Prometheus has
    cluster-wide read access."""
    config_map: str | None
    """ConfigMap in ``namespace`` holding the platform stack's settings (where
    user-workload monitoring is switched on); None: nothing to configure."""
    query_url: str
    """In-cluster URL that answers PromQL queries on lab workloads' metrics (KEDA's
    Prometheus trigger, prometheus-adapter): the chart's Prometheus Service, or the
    platform's Thanos querier."""
    queries_need_token: bool
    """Reading a namespace's metrics at ``query_url`` needs a bearer token allowed to view
    it (the Thanos querier's tenancy port), not an open in-cluster URL."""


GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
"""The label in-cluster Gateway implementations put on a Gateway's data-plane pods
(GEP-1762): Istio, and OpenShift's default class (Istio), deploy them in the Gateway's
namespace labelled with its name."""


@dataclass(frozen=True)
class BuiltinGateway:
    """A Gateway API implementation the platform ships, which also owns the standard
    Gateway API CRDs (labgen renders only its GatewayClass)."""

    class_name: str
    controller: str
    namespace: str
    """Where the platform's documentation puts Gateways of the class and their certificate
    Secrets (the platform owns the namespace)."""
    since_kubernetes: tuple[int, int]
    """The first Kubernetes minor whose platform release ships it."""


@dataclass(frozen=True)
class Platform:
    """One platform's answers to everything labgen renders differently on it."""

    name: PlatformName
    """The spec's ``spec.cluster.platform`` value."""
    title: str
    """How messages name it."""
    providers: frozenset[Provider]
    """Where it runs."""
    operators_from_olm: bool
    """Operators that have an OLM package are installed through OLM (Subscription from
    the cluster's catalogs) rather than from their Helm charts."""
    argocd_namespace: str
    """Default namespace of the lab's Argo CD (``spec.gitops.argocdNamespace``)."""
    argocd_operator_instance: str | None
    """Namespace (and name) of the default ``ArgoCD`` instance of the platform's GitOps
    operator, which rewrites ``argocd-cm`` and needs rights granted to install operators;
    None: plain Argo CD."""
    assigns_pod_ids: bool
    """Admission (OpenShift's restricted-v2 SCC) assigns ``runAsUser``, ``runAsGroup``
    and ``fsGroup`` from the namespace's range and refuses others: pods name none. False:
    pods name the image's numeric non-root user."""
    monitoring: Monitoring
    gateway: BuiltinGateway | None
    """The platform's own Gateway API implementation (the lab's default GatewayClass);
    None: labgen installs the Gateway API CRDs from git and the spec names a class."""
    provisioners: Mapping[Provider, Provisioner] = field(default_factory=dict)
    """How GPU pool nodes are made, by provider (absent: ``external``)."""
    host_driver: frozenset[Provider] = frozenset()
    """Providers whose GPU node images come with the NVIDIA driver (the GPU Operator's
    driver is off by default there)."""
    host_toolkit: frozenset[Provider] = frozenset()
    """Providers whose GPU node images also come with the NVIDIA container toolkit."""
    crd_groups: frozenset[str] = frozenset()
    """API groups whose CRDs the cluster has before Argo CD syncs anything."""

    def __str__(self) -> str:
        return self.name

    def provisioner(self, provider: Provider) -> Provisioner:
        return self.provisioners.get(provider, "external")


_OPENSHIFT_MONITORING = "openshift-monitoring"

PLATFORMS: Mapping[PlatformName, Platform] = {
    p.name: p
    for p in (
        Platform(
            name="openshift",
            title="OpenShift",
            providers=frozenset({"aws", "ibmcloud", "gcp", "baremetal"}),
            operators_from_olm=True,
            argocd_namespace="openshift-gitops",
            argocd_operator_instance="openshift-gitops",
            assigns_pod_ids=True,
            monitoring=Monitoring(
                installed_by_labgen=False,
                namespace=_OPENSHIFT_MONITORING,
                dashboards_namespace="labgen-observability",
                cluster_wide_monitors=False,
                # user-workload monitoring's prometheus-user-workload scrapes user namespaces
                scraper_namespace="openshift-user-workload-monitoring",
                prometheus_account=(_OPENSHIFT_MONITORING, "prometheus-k8s"),
                config_map="cluster-monitoring-config",
                # the tenancy port: queries confined to one namespace, a viewer's token
                query_url="https://thanos-querier.openshift-monitoring.svc.cluster.local:9092",
                queries_need_token=True,
            ),
            # OpenShift 4.19+ (Kubernetes 1.32): the Ingress Operator's Gateway API
            # controller, Istio-based, which installs the standard Gateway API CRDs
            gateway=BuiltinGateway(
                "openshift-default",
                "openshift.io/gateway-controller/v1",
                namespace="openshift-ingress",
                since_kubernetes=(1, 32),  # OpenShift 4.19
            ),
            provisioners={"aws": "machineset", "ibmcloud": "machineset"},
            # RHCOS carries no NVIDIA driver on any provider: the GPU Operator builds it on
            # each node with the Driver Toolkit image, so host_driver stays empty
            crd_groups=frozenset(
                {
                    "config.openshift.io",
                    "console.openshift.io",
                    "machine.openshift.io",
                    "autoscaling.openshift.io",
                    "operator.openshift.io",
                    "operators.coreos.com",
                    "route.openshift.io",
                    "security.openshift.io",
                    # cluster monitoring ships the Prometheus Operator's CRDs; the Ingress
                    # Operator installs the standard Gateway API CRDs from OpenShift 4.19 on
                    "monitoring.coreos.com",
                    "gateway.networking.k8s.io",
                }
            ),
        ),
        Platform(
            name="kubernetes",
            title="Kubernetes",
            providers=frozenset({"aws", "ibmcloud", "gcp", "baremetal", "kind", "k3s"}),
            operators_from_olm=False,
            argocd_namespace="argocd",
            argocd_operator_instance=None,
            assigns_pod_ids=False,
            monitoring=Monitoring(
                installed_by_labgen=True,
                namespace="monitoring",
                dashboards_namespace="monitoring",
                cluster_wide_monitors=True,
                scraper_namespace="monitoring",
                prometheus_account=None,
                config_map=None,
                # the Service kube-prometheus-stack (release of that name) makes for Prometheus
                query_url="http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090",
                queries_need_token=False,
            ),
            gateway=None,
            # EKS: Karpenter is installed with the cluster (its CRDs: data/releases.py)
            provisioners={"aws": "karpenter"},
            # GKE nodes and EKS accelerated AMIs (which Karpenter picks for GPU instances)
            # come with the NVIDIA driver; EKS's also with the container toolkit. A k3s
            # workstation has both on the host (k3s finds the toolkit's runtime itself).
            host_driver=frozenset({"gcp", "aws", "k3s"}),
            host_toolkit=frozenset({"aws", "k3s"}),
        ),
    )
}
