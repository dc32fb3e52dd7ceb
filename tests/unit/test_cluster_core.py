"""The cluster package's pure parts: the bootstrap bundle, status matching, the wait loop."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import GOLDEN, REPO
from labgen.cluster.bootstrap import ArgoInstall, _version, bundle
from labgen.cluster.client import kind_of
from labgen.cluster.status import AppState, LabStatus, lab_status, wait_for
from labgen.plan import LabPlan
from labgen.repo import load_plans
from labgen.yamlio import load_all_safe, load_document

LABS = sorted(GOLDEN.glob("*/lab.yaml")) + sorted((REPO / "labs").glob("*.yaml"))


def load(spec: Path, scratch: Path | None = None) -> LabPlan:
    """The plan of a shipped lab, or of a golden case as if it were ``labs/<name>.yaml``."""
    root = REPO
    if scratch is not None:
        name = load_document(spec.read_text(), spec.name).data["metadata"]["name"]
        root, copy = scratch, scratch / "labs" / f"{name}.yaml"
        copy.parent.mkdir(parents=True)
        shutil.copy(spec, copy)
        spec = copy
    (plan,) = load_plans(root, [spec])
    return plan


def committed_bundle(tree: Path, lab: str) -> list[dict[str, Any]]:
    """The objects of apps/<lab>/bootstrap and the project it includes, as committed."""
    files = [
        p
        for d in ("bootstrap", "project")
        for p in sorted((tree / "apps" / lab / d).glob("*.yaml"))
        if p.name != "kustomization.yaml"
    ]
    return [doc for p in files for doc in load_all_safe(p.read_text())]


@pytest.mark.parametrize("spec", LABS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundle_is_the_committed_bootstrap_directory(spec: Path, tmp_path: Path) -> None:
    golden = spec.name == "lab.yaml"
    plan = load(spec, tmp_path if golden else None)
    tree = spec.parent / "expected" if golden else REPO
    objects = bundle(plan)
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(objects, key=key) == sorted(committed_bundle(tree, plan.name), key=key)
    assert objects[0]["kind"] == "AppProject"  # before the Application that belongs to it
    assert objects[-1]["kind"] == "Application"  # the root last, once its project exists
    for item in objects:
        kind_of(item)  # the client knows where the API serves every kind of the bundle


@pytest.mark.parametrize(
    ("labels", "image", "version", "source", "operator"),
    [
        (
            {"app.kubernetes.io/version": "v3.2.0"},
            "quay.io/argoproj/argocd:v3.1.0",
            "v3.2.0",
            "label",
            False,
        ),
        ({}, "quay.io/argoproj/argocd:v3.1.5", "v3.1.5", "image tag", False),
        ({}, "registry.local:5000/argocd:v3.1.5", "v3.1.5", "image tag", False),
        ({}, "quay.io/argoproj/argocd@sha256:abc", None, "pinned by digest", False),
        ({}, "registry.local:5000/argoproj/argocd", None, "without a tag", False),
        # OpenShift GitOps tags its images with its own release, not Argo CD's version.
        (
            {},
            "registry.redhat.io/openshift-gitops-1/argocd-rhel9:v1.16.0",
            None,
            "tagged with the OpenShift GitOps release",
            True,
        ),
    ],
)
def test_argocd_version(
    labels: dict[str, str], image: str, version: str | None, source: str, operator: bool
) -> None:
    deployment = {
        "metadata": {"name": "argocd-server", "labels": labels},
        "spec": {"template": {"spec": {"containers": [{"name": "server", "image": image}]}}},
    }
    found, how = _version(deployment, operator)
    assert found == version
    assert source in how


@pytest.mark.parametrize(
    ("version", "old"), [("v2.14.9", True), ("v3.0.0", True), ("v3.1.0", False), ("4.0", False)]
)
def test_minimum_version(version: str, old: bool) -> None:
    assert ArgoInstall("argocd", "Argo CD", "argocd-server", version, "", "v1.33").too_old is old


def application(name: str, wave: str | None, sync: str, health: str, phase: str = "") -> Any:
    meta: dict[str, Any] = {"name": name, "namespace": "argocd"}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": wave}
    status = {"sync": {"status": sync}, "health": {"status": health}}
    if phase:
        status["operationState"] = {"phase": phase, "message": "  waiting\n for  hooks "}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta,
            "status": status}  # fmt: skip


def test_lab_status_matches_and_orders() -> None:
    plan = load(REPO / "labs" / "eks-pd.yaml")
    live = [
        application("eks-pd-root", None, "Synced", "Healthy"),
        application("eks-pd-gpu-pools", "3", "Synced", "Healthy", phase="Running"),
        application("eks-pd-nfd", "1", "Synced", "Healthy"),
        application("eks-pd-zz-stray", None, "Synced", "Healthy"),
        application("eks-pd-aa-stray", "-1", "Synced", "Healthy"),
    ]
    status = lab_status(plan, live)
    assert status.root.name == "eks-pd-root"
    assert status.root.converged
    names = [a.name for a in status.children]
    assert names[0] == "eks-pd-aa-stray"  # wave -1 from its annotation
    assert names[-1] == "eks-pd-zz-stray"  # no wave: last
    pools = next(a for a in status.children if a.name == "eks-pd-gpu-pools")
    assert not pools.converged  # a sync operation is still running
    assert pools.summary == "Synced/Healthy, Running"
    assert pools.message == "waiting for hooks"
    nfd = next(a for a in status.children if a.name == "eks-pd-nfd")
    assert nfd.converged
    keda = next(a for a in status.children if a.name == "eks-pd-keda")
    assert (keda.sync, keda.health, keda.wave) == ("Missing", "Missing", 1)
    stray = next(a for a in status.children if a.name == "eks-pd-zz-stray")
    assert not stray.converged
    assert not status.converged


def status_of(converged: bool) -> LabStatus:
    health = "Healthy" if converged else "Progressing"
    root = AppState("lab-root", None, "Synced", health, "", "")
    return LabStatus("lab", "argocd", root, ())


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_stops_when_converged() -> None:
    clock = Clock()
    reads = iter([status_of(False), status_of(False), status_of(True)])
    polls: list[float] = []
    final = wait_for(
        lambda: next(reads),
        timeout=60,
        interval=5,
        on_poll=lambda s, elapsed: polls.append(elapsed),
        clock=clock,
        sleep=clock.sleep,
    )
    assert final.converged
    assert polls == [0, 5, 10]


def test_wait_times_out_without_oversleeping() -> None:
    clock = Clock()
    final = wait_for(
        lambda: status_of(False),
        timeout=12,
        interval=5,
        on_poll=lambda s, elapsed: None,
        clock=clock,
        sleep=clock.sleep,
    )
    assert not final.converged
    assert clock.sleeps == [5, 5, 2]  # the last sleep ends at the deadline, then one last read
    assert clock.now == 12
