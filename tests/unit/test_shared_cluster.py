"""Labs that share a cluster (issue 14): cluster-wide operators have one owner, and
`labgen check` says when two labs on one cluster both install one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from labgen.check.clusters import operator_of, shared_cluster_findings
from labgen.plan import build_plan
from labgen.plan.model import LabPlan
from labgen.render import argocd_objects
from labgen.spec import parse_lab

SPEC = Path(__file__).resolve().parents[1] / "golden" / "h100-llmd" / "lab.yaml"


def plan_named(name: str, destination: str | None = None) -> LabPlan:
    text = SPEC.read_text().replace("name: h100-llmd", f"name: {name}", 1)
    if destination is not None:
        text = text.replace("repoURL:", f"destination: {{name: {destination}}}\n    repoURL:", 1)
    return build_plan(parse_lab(text, str(SPEC)), str(SPEC))


def children(plan: LabPlan) -> list[dict[str, Any]]:
    return list(argocd_objects(plan).children)


def test_operators_and_their_instances_are_cluster_wide() -> None:
    assert operator_of("cert-manager-issuers") == "cert-manager"
    assert operator_of("gpu-operator-instance") == "gpu-operator"
    assert operator_of("kserve-llmisvc-crd") == "kserve"
    assert operator_of("monitoring") == "monitoring"
    assert operator_of("serve-qwen3-8b") is None
    assert operator_of("matrices") is None


def test_two_labs_on_one_cluster_that_both_install_an_operator_are_reported() -> None:
    first, second = plan_named("lab-a"), plan_named("lab-b")
    findings = shared_cluster_findings([*children(first), *children(second)])
    reported = sorted(f.message.split(" installs ")[1].split(":")[0] for f in findings)
    # on OpenShift, monitoring renders nothing unless the lab owns cluster-monitoring-config
    assert reported == sorted(first.operators - {"monitoring"})
    assert "cert-manager" in reported  # and with it the labgen-selfsigned ClusterIssuer
    assert "gateway-api" in reported  # and the openshift-default GatewayClass
    assert all(f.rule == "argocd/shared-cluster" and f.severity == "error" for f in findings)
    assert all("labs 'lab-a', 'lab-b' share cluster" in f.message for f in findings)


def test_labs_on_separate_clusters_are_fine() -> None:
    first = plan_named("lab-a", destination="cluster-a")
    second = plan_named("lab-b", destination="cluster-b")
    assert shared_cluster_findings([*children(first), *children(second)]) == []


def test_one_lab_alone_is_fine() -> None:
    assert shared_cluster_findings(children(plan_named("lab-a"))) == []


def test_owning_the_monitoring_config_makes_monitoring_cluster_wide() -> None:
    owned = "monitoring:\n      clusterMonitoringConfig: {enableUserWorkload: true}"

    def owning(name: str) -> LabPlan:
        text = SPEC.read_text().replace("name: h100-llmd", f"name: {name}", 1)
        text = text.replace("monitoring: {}", owned)
        return build_plan(parse_lab(text, str(SPEC)), str(SPEC))

    findings = shared_cluster_findings([*children(owning("lab-a")), *children(owning("lab-b"))])
    assert any(" installs monitoring:" in f.message for f in findings)


def shipped(name: str) -> LabPlan:
    path = Path(__file__).resolve().parents[2] / "labs" / f"{name}.yaml"
    return build_plan(parse_lab(path.read_text(), str(path)), str(path))


def on_named_cluster(plan: LabPlan, cluster: str) -> LabPlan:
    gitops = dataclasses.replace(plan.gitops, destination_server=None, destination_name=cluster)
    return dataclasses.replace(plan, gitops=gitops)


def test_a_single_node_lab_deploying_in_cluster_shares_its_machine_with_no_lab() -> None:
    """Its setup installs an Argo CD of its own on the machine (its Applications say so
    with a label); through a cluster another Argo CD knows by name it can still share one."""
    local, gke = shipped("workstation"), shipped("gke-l4")  # both in-cluster, Argo CD in argocd
    assert shared_cluster_findings([*children(local), *children(gke)]) == []
    unmarked = [*children(gke)]
    for app in children(local):
        labels = dict(app["metadata"]["labels"])
        assert labels.pop("labgen.dev/single-node") == "true"
        unmarked.append({**app, "metadata": {**app["metadata"], "labels": labels}})
    reported = {
        f.message.split(" installs ")[1].split(":")[0] for f in shared_cluster_findings(unmarked)
    }
    assert reported == {"gpu-operator", "monitoring"}  # what both install
    named = [*children(on_named_cluster(local, "gke")), *children(on_named_cluster(gke, "gke"))]
    assert len(shared_cluster_findings(named)) == 2
