"""GPU node pools: MachineSets + autoscalers on OpenShift (aws, ibmcloud), Karpenter on
Kubernetes on aws. Elsewhere pools are made outside the cluster (``labgen plan`` prints
the command) and only their labels and taint reach the renderers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from labgen.components.base import (
    WAVE_INFRASTRUCTURE,
    App,
    CatalogBase,
    Component,
    K8sObject,
    KustomizeSource,
    obj,
)
from labgen.data.releases import RELEASES
from labgen.plan.model import GPU_RESOURCE, LabPlan, PoolPlan

KEY = "gpu-pools"
AUTOSCALER_BASE = "gpu-pools/openshift-cluster-autoscaler"
MACHINE_API_NAMESPACE = "openshift-machine-api"
CLUSTER_LABEL = "machine.openshift.io/cluster-api-cluster"
MACHINESET_LABEL = "machine.openshift.io/cluster-api-machineset"
# Scale-from-zero node template keys of the cluster-autoscaler's cluster-api provider.
CAPACITY = "capacity.cluster-autoscaler.kubernetes.io"
ARCH_LABEL = "kubernetes.io/arch"
ROOT_VOLUME_GIB = 500


def cluster_autoscaler() -> K8sObject:
    return obj(
        "autoscaling.openshift.io/v1",
        "ClusterAutoscaler",
        "default",
        spec={
            "podPriorityThreshold": -10,
            "balanceSimilarNodeGroups": True,
            "scaleDown": {
                "enabled": True,
                "delayAfterAdd": "10m",
                "delayAfterDelete": "5m",
                "delayAfterFailure": "30s",
                "unneededTime": "10m",
            },
        },
    )


def catalog() -> Iterator[CatalogBase]:
    yield CatalogBase(
        AUTOSCALER_BASE, "OpenShift ClusterAutoscaler; labs add GPU limits", (cluster_autoscaler(),)
    )


def zone_shares(total: int, zones: int) -> list[int]:
    """Split ``total`` nodes over ``zones`` as evenly as possible, first zones first."""
    return [total // zones + (1 if i < total % zones else 0) for i in range(zones)]


def machineset_name(plan: LabPlan, pool: PoolPlan, zone: str) -> str:
    return f"{plan.infrastructure_id}-gpu-{pool.name}-{zone}"


def _aws_provider_spec(plan: LabPlan, pool: PoolPlan, zone: str) -> K8sObject:
    infra = plan.infrastructure_id
    assert pool.instance_type is not None
    # The AMI of the cluster's worker MachineSets (spec.cluster.machineImage, required):
    # a name filter would resolve to the newest matching RHCOS, not the boot image the
    # installer chose (openshift/machine-api-provider-aws, getAMI).
    assert plan.machine_image is not None
    ami: K8sObject = {"id": plan.machine_image}
    return {
        "apiVersion": "machine.openshift.io/v1beta1",
        "kind": "AWSMachineProviderConfig",
        "ami": ami,
        "blockDevices": [
            {"ebs": {"encrypted": True, "volumeSize": ROOT_VOLUME_GIB, "volumeType": "gp3"}}
        ],
        "credentialsSecret": {"name": "aws-cloud-credentials"},
        "deviceIndex": 0,
        "iamInstanceProfile": {"id": f"{infra}-worker-profile"},
        "instanceType": pool.instance_type.name,
        "metadata": {},
        "placement": {"availabilityZone": zone, "region": plan.region},
        "securityGroups": [
            {"filters": [{"name": "tag:Name", "values": [f"{infra}-node"]}]},
            {"filters": [{"name": "tag:Name", "values": [f"{infra}-lb"]}]},
        ],
        "subnet": {"filters": [{"name": "tag:Name", "values": [f"{infra}-subnet-private-{zone}"]}]},
        "tags": [
            {"name": f"kubernetes.io/cluster/{infra}", "value": "owned"},
            {"name": "labgen.dev/gpu-pool", "value": pool.name},
        ],
        "userDataSecret": {"name": "worker-user-data"},
    }


def _ibm_provider_spec(plan: LabPlan, pool: PoolPlan, zone: str) -> K8sObject:
    infra = plan.infrastructure_id
    assert pool.instance_type is not None
    return {
        "apiVersion": "ibmcloudproviderconfig.openshift.io/v1beta1",
        "kind": "IBMCloudMachineProviderSpec",
        "credentialsSecret": {"name": "ibmcloud-credentials"},
        "image": plan.machine_image or f"{infra}-rhcos",
        "primaryNetworkInterface": {
            "securityGroups": [f"{infra}-sg-cluster-wide", f"{infra}-sg-openshift-net"],
            "subnet": f"{infra}-subnet-compute-{zone}",
        },
        "profile": pool.instance_type.name,
        "region": plan.region,
        "resourceGroup": f"{infra}",
        "userDataSecret": {"name": "worker-user-data"},
        "vpc": f"{infra}-vpc",
        "zone": zone,
    }


def _machineset(plan: LabPlan, pool: PoolPlan, zone: str, replicas: int) -> K8sObject:
    name = machineset_name(plan, pool, zone)
    instance = pool.instance_type
    assert instance is not None
    assert plan.infrastructure_id is not None
    provider_spec = (_aws_provider_spec if plan.provider == "aws" else _ibm_provider_spec)(
        plan, pool, zone
    )
    selector = {CLUSTER_LABEL: plan.infrastructure_id, MACHINESET_LABEL: name}
    # The AWS MachineSet controller merges kubernetes.io/arch into this annotation; naming
    # it here keeps the value stable (no tug of war with Argo CD's self-heal).
    scale_from_zero_labels = {ARCH_LABEL: "amd64", **pool.node_labels}
    # Scale from zero: OpenShift's cluster autoscaler (openshift/kubernetes-autoscaler
    # release-4.19 to 4.21, cloudprovider/clusterapi/clusterapi_utils.go) reads these
    # upstream keys first and falls back to machine.openshift.io/{vCPU,memoryMb,GPU},
    # which only some providers' MachineSet controllers fill in (AWS does, IBM Cloud does
    # not): labgen's keys work on both. Memory is the instance's GiB (a `G` would be
    # read as 10^9 bytes); GPUs count as nvidia.com/gpu.
    annotations = {
        f"{CAPACITY}/gpu-count": str(pool.gpu_resources_per_node),
        f"{CAPACITY}/gpu-type": GPU_RESOURCE,
        f"{CAPACITY}/memory": f"{instance.memory_gib}Gi",
        f"{CAPACITY}/cpu": str(instance.vcpus),
        f"{CAPACITY}/labels": ",".join(f"{k}={v}" for k, v in scale_from_zero_labels.items()),
        f"{CAPACITY}/taints": pool.taint_text,
    }
    return obj(
        "machine.openshift.io/v1beta1",
        "MachineSet",
        name,
        MACHINE_API_NAMESPACE,
        labels={CLUSTER_LABEL: plan.infrastructure_id},
        annotations=annotations,
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": {
                        **selector,
                        "machine.openshift.io/cluster-api-machine-role": "worker",
                        "machine.openshift.io/cluster-api-machine-type": "worker",
                    }
                },
                "spec": {
                    "metadata": {
                        "labels": {"node-role.kubernetes.io/worker": "", **pool.node_labels}
                    },
                    "providerSpec": {"value": provider_spec},
                    "taints": pool.taints,
                },
            },
        },
    )


def _machine_autoscaler(name: str, low: int, high: int) -> K8sObject:
    return obj(
        "autoscaling.openshift.io/v1beta1",
        "MachineAutoscaler",
        name,
        MACHINE_API_NAMESPACE,
        spec={
            "minReplicas": low,
            "maxReplicas": high,
            "scaleTargetRef": {
                "apiVersion": "machine.openshift.io/v1beta1",
                "kind": "MachineSet",
                "name": name,
            },
        },
    )


def _machineset_objects(plan: LabPlan) -> Iterator[K8sObject]:
    for pool in plan.pools:
        lows = zone_shares(pool.min_nodes, len(pool.zones))
        highs = zone_shares(pool.max_nodes, len(pool.zones))
        for zone, low, high in zip(pool.zones, lows, highs, strict=True):
            yield _machineset(plan, pool, zone, low)
            yield _machine_autoscaler(machineset_name(plan, pool, zone), low, high)


def _autoscaler_patch(plan: LabPlan) -> K8sObject:
    limits: dict[str, dict[str, Any]] = {}
    for pool in plan.pools:
        entry = limits.setdefault(
            pool.accelerator_label, {"type": pool.accelerator_label, "min": 0, "max": 0}
        )
        # The autoscaler counts the GPU resources nodes advertise (MIG instances included).
        entry["min"] += pool.min_nodes * pool.gpu_resources_per_node
        entry["max"] += pool.max_nodes * pool.gpu_resources_per_node
    return obj(
        "autoscaling.openshift.io/v1",
        "ClusterAutoscaler",
        "default",
        spec={"resourceLimits": {"gpus": [limits[k] for k in sorted(limits)]}},
    )


def _karpenter_objects(plan: LabPlan) -> Iterator[K8sObject]:
    ami_alias = RELEASES["karpenter"].images["al2023-ami-alias"]
    for pool in plan.pools:
        assert pool.instance_type is not None
        requirements: list[K8sObject] = [
            {
                "key": "node.kubernetes.io/instance-type",
                "operator": "In",
                "values": [pool.instance_type.name],
            },
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
        ]
        if pool.zones:
            requirements.append(
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": list(pool.zones)}
            )
        name = f"gpu-{pool.name}"
        yield obj(
            "karpenter.sh/v1",
            "NodePool",
            name,
            spec={
                "template": {
                    "metadata": {"labels": pool.node_labels},
                    "spec": {
                        "nodeClassRef": {
                            "group": "karpenter.k8s.aws",
                            "kind": "EC2NodeClass",
                            "name": name,
                        },
                        "requirements": requirements,
                        "taints": pool.taints,
                        "expireAfter": "720h",
                    },
                },
                "limits": {GPU_RESOURCE: str(pool.max_gpus)},
                "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
            },
        )
        discovery = {"karpenter.sh/discovery": plan.cluster_name}
        yield obj(
            "karpenter.k8s.aws/v1",
            "EC2NodeClass",
            name,
            spec={
                "role": f"KarpenterNodeRole-{plan.cluster_name}",
                "amiSelectorTerms": [{"alias": ami_alias}],
                "subnetSelectorTerms": [{"tags": discovery}],
                "securityGroupSelectorTerms": [{"tags": discovery}],
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {
                            "volumeSize": f"{ROOT_VOLUME_GIB}Gi",
                            "volumeType": "gp3",
                            "encrypted": True,
                        },
                    }
                ],
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
                "tags": {"labgen.dev/lab": plan.name, "labgen.dev/gpu-pool": pool.name},
            },
        )


def apps(plan: LabPlan) -> Iterator[App]:
    provisioners = {p.provisioner for p in plan.pools}
    if "machineset" in provisioners:
        yield App(
            KEY,
            WAVE_INFRASTRUCTURE,
            MACHINE_API_NAMESPACE,
            KustomizeSource(
                bases=(AUTOSCALER_BASE,),
                objects=tuple(_machineset_objects(plan)),
                patches=(_autoscaler_patch(plan),),
            ),
            ignore_differences=(
                {
                    "group": "machine.openshift.io",
                    "kind": "MachineSet",
                    "jsonPointers": ["/spec/replicas"],
                },
            ),
            cascade_delete=True,
        )
    elif "karpenter" in provisioners:
        yield App(
            KEY,
            WAVE_INFRASTRUCTURE,
            "",
            KustomizeSource(objects=tuple(_karpenter_objects(plan))),
            cascade_delete=True,
        )


COMPONENT = Component(KEY, catalog, apps)
