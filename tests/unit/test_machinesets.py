"""OpenShift MachineSets of GPU pools (issue 14): the AMI is the cluster's, not the newest
RHCOS a name filter finds, and the scale-from-zero annotations are ones OpenShift's
autoscaler reads, with the instance's memory in GiB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labgen.components.gpu_pools import _machineset_objects
from labgen.plan import build_plan
from labgen.plan.model import LabPlan
from labgen.spec import parse_lab

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CAPACITY = "capacity.cluster-autoscaler.kubernetes.io"


def plan_of(case: str) -> LabPlan:
    spec = GOLDEN / case / "lab.yaml"
    return build_plan(parse_lab(spec.read_text(), str(spec)), str(spec))


def machinesets(plan: LabPlan) -> list[dict[str, Any]]:
    return [o for o in _machineset_objects(plan) if o["kind"] == "MachineSet"]


def test_aws_machinesets_boot_the_cluster_ami() -> None:
    plan = plan_of("h100-llmd")
    assert plan.machine_image is not None
    assert plan.machine_image.startswith("ami-")
    for machineset in machinesets(plan):
        ami = machineset["spec"]["template"]["spec"]["providerSpec"]["value"]["ami"]
        assert ami == {"id": plan.machine_image}  # never `filters`: newest RHCOS wins


def test_scale_from_zero_annotations_read_by_openshifts_autoscaler() -> None:
    for case in ("h100-llmd", "ibm-h200"):
        plan = plan_of(case)
        pools = {p.name: p for p in plan.pools}
        for machineset in machinesets(plan):
            annotations = machineset["metadata"]["annotations"]
            pool = pools[
                machineset["spec"]["template"]["spec"]["metadata"]["labels"]["labgen.dev/gpu-pool"]
            ]
            instance = pool.instance_type
            assert instance is not None
            # upstream keys, read before machine.openshift.io/* (which IBM Cloud lacks)
            assert annotations[f"{CAPACITY}/cpu"] == str(instance.vcpus)
            assert annotations[f"{CAPACITY}/memory"] == f"{instance.memory_gib}Gi"
            assert annotations[f"{CAPACITY}/gpu-count"] == str(pool.gpu_resources_per_node)
