"""NVIDIA GPU Operator: OLM + ClusterPolicy on OpenShift, the Helm chart elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labgen.components.base import (
    WAVE_INSTANCES,
    App,
    CatalogBase,
    Component,
    K8sObject,
    KustomizeSource,
    obj,
    skip_dry_run,
)
from labgen.components.operators import Operator
from labgen.plan.model import GpuOperatorPlan, LabPlan

HELM_NAMESPACE = "gpu-operator"
OPERATOR = Operator(
    "gpu-operator",
    olm_base="operators/gpu-operator/olm",
    olm_description="NVIDIA GPU Operator from OLM (certified-operators), pinned channel and CSV",
    helm_namespace=HELM_NAMESPACE,
    release_name="gpu-operator",
    namespace_labels={"openshift.io/cluster-monitoring": "true"},
)
KEY = OPERATOR.key
POLICY_BASE = "operators/gpu-operator/cluster-policy"
POLICY_NAME = "gpu-cluster-policy"
# On GKE, pods with system-node-critical priority run outside kube-system only under a quota.
GKE_QUOTA = "gpu-operator-quota"
GKE_DRIVER_DIR = "/home/kubernetes/bin/nvidia"


def cluster_policy() -> K8sObject:
    """The ClusterPolicy of the OpenShift docs, reduced to the operands a lab needs."""
    return obj(
        "nvidia.com/v1",
        "ClusterPolicy",
        POLICY_NAME,
        annotations=skip_dry_run(),
        spec={
            "operator": {"defaultRuntime": "crio", "use_ocp_driver_toolkit": True},
            "daemonsets": {
                "updateStrategy": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "1"},
            },
            "driver": {"enabled": True},
            "toolkit": {"enabled": True},
            "devicePlugin": {"enabled": True},
            "dcgm": {"enabled": True},
            "dcgmExporter": {"enabled": True, "serviceMonitor": {"enabled": True}},
            "gfd": {"enabled": True},
            "migManager": {"enabled": True},
            "mig": {"strategy": "single"},
            "nodeStatusExporter": {"enabled": True},
            "validator": {"plugin": {"env": [{"name": "WITH_WORKLOAD", "value": "false"}]}},
        },
    )


def catalog() -> Iterator[CatalogBase]:
    yield OPERATOR.catalog_base()
    yield CatalogBase(
        POLICY_BASE, "The GPU Operator's ClusterPolicy for OpenShift", (cluster_policy(),)
    )


def _policy_patch(plan: LabPlan, options: GpuOperatorPlan) -> K8sObject:
    spec: dict[str, Any] = {
        "daemonsets": {"tolerations": plan.gpu_tolerations()},
        "mig": {"strategy": plan.mig_strategy if plan.mig_strategy != "none" else "single"},
    }
    if not options.driver:
        spec["driver"] = {"enabled": False}
    if not options.dcgm_exporter:
        spec["dcgmExporter"] = {"enabled": False}
    elif not _operator_service_monitor(plan):
        spec["dcgmExporter"] = {"serviceMonitor": {"enabled": False}}
    return obj("nvidia.com/v1", "ClusterPolicy", POLICY_NAME, spec=spec)


def _operator_service_monitor(plan: LabPlan) -> bool:
    """The operator's own DCGM ServiceMonitor: on with monitoring, unless observability
    renders its replacement (the same scrape plus the node's GPU pool as a label)."""
    replaced = plan.observability is not None and plan.observability.gpu_metrics
    return plan.has("monitoring") and not replaced


def helm_values(plan: LabPlan, options: GpuOperatorPlan) -> K8sObject:
    tolerations = plan.gpu_tolerations()
    values: K8sObject = {
        "daemonsets": {"tolerations": tolerations},
        "driver": {"enabled": options.driver},
        "toolkit": {"enabled": options.toolkit},
        "mig": {"strategy": plan.mig_strategy if plan.mig_strategy != "none" else "single"},
        "dcgmExporter": {
            "enabled": options.dcgm_exporter,
            "serviceMonitor": {
                "enabled": options.dcgm_exporter and _operator_service_monitor(plan)
            },
        },
        # A separate NFD install (operators.nfd) replaces the chart's bundled one.
        "nfd": {"enabled": not plan.has("nfd")},
    }
    if not plan.has("nfd"):
        values["node-feature-discovery"] = {"worker": {"tolerations": tolerations}}
    if plan.provider == "gcp":
        values["hostPaths"] = {"driverInstallDir": GKE_DRIVER_DIR}
        values["toolkit"]["installDir"] = GKE_DRIVER_DIR
        values["cdi"] = {"enabled": True, "default": True}
        # GKE partitions MIG GPUs itself (`--accelerator ...,gpu-partition-size=` on the
        # node pool); the operator's MIG manager would reset them to its default config.
        values["migManager"] = {"enabled": False}
    return values


def gke_resource_quota() -> K8sObject:
    return obj(
        "v1",
        "ResourceQuota",
        GKE_QUOTA,
        HELM_NAMESPACE,
        spec={
            "hard": {"pods": "100"},
            "scopeSelector": {
                "matchExpressions": [
                    {
                        "operator": "In",
                        "scopeName": "PriorityClass",
                        "values": ["system-node-critical", "system-cluster-critical"],
                    }
                ]
            },
        },
    )


def apps(plan: LabPlan) -> Iterator[App]:
    options = plan.gpu_operator  # set exactly when spec.operators.gpuOperator is
    if options is None:
        return
    if not OPERATOR.from_olm(plan):
        extra = KustomizeSource(objects=(gke_resource_quota(),)) if plan.provider == "gcp" else None
        values = helm_values(plan, options)
        yield OPERATOR.app(plan, values, ignore_differences=(), extra_source=extra)
        return
    yield OPERATOR.app(plan)
    yield App(
        f"{KEY}-instance",
        WAVE_INSTANCES,
        OPERATOR.namespace(plan),
        KustomizeSource(bases=(POLICY_BASE,), patches=(_policy_patch(plan, options),)),
    )


COMPONENT = Component(KEY, catalog, apps)
