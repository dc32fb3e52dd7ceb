"""`labgen bootstrap` and `labgen status` through the real CLI and the real kubernetes client,
against the HTTP fake of the Kubernetes API in tests/kubefake.py (no kube-apiserver can run
here; see that module for what the fake serves and how it simplifies server-side apply)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from kubefake import APPLY, FakeKubernetes, write_kubeconfig
from labgen import cli
from labgen.plan import LabPlan
from labgen.render import argocd_objects
from labgen.repo import load_plans, select_labs
from labgen.yamlio import load_all_safe

HEALTH_KEY = "resource.customizations.health.argoproj.io_Application"
SYNCED: dict[str, Any] = {
    "sync": {"status": "Synced", "revision": "0123abc"},
    "health": {"status": "Healthy"},
    "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
}


@pytest.fixture
def fake() -> Iterator[FakeKubernetes]:
    server = FakeKubernetes()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kubeconfig(fake: FakeKubernetes, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", fake.url)


def labgen(
    capsys: pytest.CaptureFixture[str], kubeconfig: Path, *args: str
) -> tuple[int, str, str]:
    code = cli.main([*args, "--kubeconfig", str(kubeconfig), "--root", str(REPO)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def plan(lab: str) -> LabPlan:
    (resolved,) = load_plans(REPO, select_labs(REPO, [lab]))
    return resolved


def patches(fake: FakeKubernetes) -> list[tuple[str, str, dict[str, str], str]]:
    return [r for r in fake.requests if r[0] == "PATCH"]


# -- bootstrap -------------------------------------------------------------------------------


def test_bootstrap_applies_the_bundle_with_server_side_apply(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    code, out, _ = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 0
    assert "Argo CD v3.1.5 in namespace argocd (version from label app.kubernetes.io/version" in out
    assert "Kubernetes v1.33.4" in out
    assert "created AppProject argocd/eks-pd" in out
    assert "configured ConfigMap argocd/argocd-cm" in out
    assert "created Application argocd/eks-pd-root" in out
    # Applied in order: the project before the root Application that belongs to it.
    assert [p[1].rsplit("/", 2)[-2] for p in patches(fake)] == [
        "appprojects",
        "configmaps",
        "applications",
    ]
    for _, _, query, content_type in patches(fake):
        assert content_type == APPLY
        assert query == {"fieldManager": "labgen"}
    # What the cluster holds is what apps/eks-pd/bootstrap builds to.
    committed = next(
        load_all_safe((REPO / "apps/eks-pd/bootstrap/application-eks-pd-root.yaml").read_text())
    )
    live = fake.get("argoproj.io/v1alpha1", "Application", "eks-pd-root", "argocd")
    assert live is not None
    assert live["spec"] == committed["spec"]
    assert live["metadata"]["labels"] == committed["metadata"]["labels"]
    # The partial argocd-cm merged into the live one: Argo CD's own settings stay.
    cm = fake.get("v1", "ConfigMap", "argocd-cm", "argocd")
    assert cm is not None
    assert cm["data"]["url"] == "https://argocd.example.com"
    assert cm["data"][HEALTH_KEY].startswith("hs = {}")


def test_bootstrap_twice_changes_nothing(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    assert labgen(capsys, kubeconfig, "bootstrap", "eks-pd")[0] == 0
    versions = {k: s.object["metadata"]["resourceVersion"] for k, s in fake.store.items()}
    code, out, _ = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 0
    assert out.count("unchanged") == 3
    assert "created" not in out
    assert "configured" not in out
    assert {k: s.object["metadata"]["resourceVersion"] for k, s in fake.store.items()} == versions


def test_dry_run_uses_the_servers_dry_run_and_writes_nothing(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    before = {k: s.object for k, s in fake.store.items()}
    code, out, _ = labgen(capsys, kubeconfig, "bootstrap", "eks-pd", "--dry-run")
    assert code == 0
    assert "created AppProject argocd/eks-pd (server dry run: nothing was written)" in out
    assert "configured ConfigMap argocd/argocd-cm (server dry run" in out
    assert all(p[2].get("dryRun") == "All" for p in patches(fake))
    assert len(patches(fake)) == 3
    assert {k: s.object for k, s in fake.store.items()} == before


def test_dry_run_after_bootstrap_reports_unchanged(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    assert labgen(capsys, kubeconfig, "bootstrap", "eks-pd")[0] == 0
    code, out, _ = labgen(capsys, kubeconfig, "bootstrap", "eks-pd", "--dry-run")
    assert code == 0
    assert out.count("unchanged") == 3


def test_missing_argocd_is_a_clear_error(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 1
    assert "Argo CD is not installed in context 'fake'" in err
    assert "applications.argoproj.io" in err
    assert not patches(fake)


def test_argocd_in_another_namespace_is_a_clear_error(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd(namespace="gitops")
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 1
    assert "namespace 'argocd' has no Argo CD Deployment" in err
    assert "spec.gitops.argocdNamespace" in err
    assert not patches(fake)


def test_forbidden_is_a_clear_error(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    fake.deny("patch", "applications")
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 1
    assert "applying Application argocd/eks-pd-root: forbidden (403)" in err
    assert 'cannot patch resource "applications" in API group "argoproj.io"' in err


def test_rejected_credentials_are_a_clear_error(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd", "--context", "stale")
    assert code == 1
    assert "unauthorized (401)" in err
    assert "context 'stale'" in err


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("no-file", "no kubeconfig at"),
        ("unknown-context", "has no context 'nope'; contexts: fake, stale"),
        ("unreachable", "cannot reach the Kubernetes API server at http://127.0.0.1:"),
        ("garbage", "cannot use it"),
    ],
)
def test_connection_problems_are_clear_errors(
    setup: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kubeconfig"
    extra: list[str] = []
    if setup == "unknown-context":
        write_kubeconfig(path, "http://127.0.0.1:9")
        extra = ["--context", "nope"]
    elif setup == "unreachable":
        with socket.socket() as sock:  # a port nothing listens on once closed
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        write_kubeconfig(path, f"http://127.0.0.1:{port}")
    elif setup == "garbage":
        path.write_text("clusters: [unclosed\n")
    code, _, err = labgen(capsys, path, "bootstrap", "eks-pd", *extra)
    assert code == 1
    assert expected in " ".join(err.split())


def test_apply_conflicts_need_force_conflicts(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd()
    cm = fake.get("v1", "ConfigMap", "argocd-cm", "argocd")
    assert cm is not None
    cm["data"][HEALTH_KEY] = "hs = {status = 'Healthy'}\nreturn hs\n"
    fake.put(cm, manager="kubectl-edit")
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 1
    assert "conflict (409)" in err
    assert 'conflict with "kubectl-edit"' in err
    assert "--force-conflicts" in err
    code, out, _ = labgen(capsys, kubeconfig, "bootstrap", "eks-pd", "--force-conflicts")
    assert code == 0
    assert "configured ConfigMap argocd/argocd-cm" in out
    assert patches(fake)[-1][2]["force"] == "true"
    live = fake.get("v1", "ConfigMap", "argocd-cm", "argocd")
    assert live is not None
    assert live["data"][HEALTH_KEY].startswith("hs = {}")


def test_openshift_gitops_bundle(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = "registry.redhat.io/openshift-gitops-1/argocd-rhel9@sha256:" + "a" * 64
    fake.install_argocd("openshift-gitops", operator=True, version_label=None, image=image)
    code, out, err = labgen(capsys, kubeconfig, "bootstrap", "h100-llmd")
    assert code == 0
    assert "OpenShift GitOps (argocd-operator) unknown version in namespace openshift-gitops" in out
    assert "could not tell the Argo CD version" in err
    assert "pinned by digest" in err
    assert "created ClusterRoleBinding labgen-h100-llmd-argocd-application-controller" in out
    assert "configured ArgoCD openshift-gitops/openshift-gitops" in out
    instance = fake.get("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops")
    assert instance is not None
    assert instance["spec"]["server"] == {"route": {"enabled": True}}  # the operator's, kept
    assert HEALTH_KEY in instance["spec"]["extraConfig"]


def test_openshift_gitops_lab_needs_the_operator(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd("openshift-gitops")
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "h100-llmd")
    assert code == 1
    assert "no CustomResourceDefinition argocds.argoproj.io" in " ".join(err.split())


def test_version_from_the_image_tag_and_a_too_old_warning(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A core install (no API server Deployment) without the version label.
    fake.install_argocd(
        version_label=None, image="quay.io/argoproj/argocd:v2.14.9", components=("repo-server",)
    )
    code, out, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd", "--dry-run")
    assert code == 0
    assert "Argo CD v2.14.9" in out
    assert "image tag of Deployment argocd-repo-server" in out
    assert "older than v3.1" in err


# -- status ----------------------------------------------------------------------------------


def deploy_tree(fake: FakeKubernetes, lab: str, status: dict[str, Any] | None = None) -> LabPlan:
    """What the root Application leaves after a sync: every Application, with a status."""
    resolved = plan(lab)
    objects = argocd_objects(resolved)
    fake.install_argocd(resolved.gitops.argocd_namespace)
    roots = [o for o in objects.bootstrap if o["kind"] == "Application"]
    for item in [*roots, *objects.children]:
        fake.put(item, manager="argocd-controller")
        fake.set_status(item["metadata"]["namespace"], item["metadata"]["name"], status or SYNCED)
    return resolved


def app_count(lab: str) -> int:
    """Applications the rendered tree has for ``lab`` (the root and its children)."""
    objects = argocd_objects(plan(lab))
    return len([o for o in objects.bootstrap if o["kind"] == "Application"]) + len(objects.children)


def test_status_converged(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_tree(fake, "eks-pd")
    code, out, _ = labgen(capsys, kubeconfig, "status", "eks-pd")
    assert code == 0
    assert f"converged, all {app_count('eks-pd')} Applications Synced and Healthy" in out
    lines = out.splitlines()
    rows = [line for line in lines if "eks-pd-" in line]
    assert "eks-pd-root" in rows[0]  # the root first, then children by wave
    waves = [int(r.split("│")[1]) for r in rows[1:]]
    assert waves == sorted(waves)
    assert "└─ eks-pd-" in rows[-1]  # the tree's last child
    assert all("├─ eks-pd-" in r for r in rows[1:-1])
    assert "successfully synced (all tasks run)" in out


def test_status_out_of_sync_lists_the_resources(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_tree(fake, "eks-pd")
    fake.set_status(
        "argocd",
        "eks-pd-gpu-pools",
        {
            **SYNCED,
            "sync": {"status": "OutOfSync"},
            "resources": [
                {"kind": "NodePool", "name": "h100", "status": "OutOfSync"},
                {"kind": "EC2NodeClass", "name": "h100", "status": "Synced"},
                {
                    "kind": "ConfigMap",
                    "namespace": "kube-system",
                    "name": "old",
                    "status": "OutOfSync",
                    "requiresPruning": True,
                },
            ],
        },
    )
    code, out, _ = labgen(capsys, kubeconfig, "status", "eks-pd")
    assert code == 1
    n = app_count("eks-pd")
    assert f"not converged, {n - 1}/{n} Synced and Healthy" in out
    assert "OutOfSync NodePool h100" in out
    assert "OutOfSync ConfigMap kube-system/old (to prune)" in out
    assert "EC2NodeClass" not in out


def test_status_degraded_shows_the_operation_and_conditions(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_tree(fake, "eks-pd")
    fake.set_status(
        "argocd",
        "eks-pd-serve-llama-8b",
        {
            "sync": {"status": "Synced"},
            "health": {"status": "Degraded"},
            "operationState": {"phase": "Failed", "message": "one or more objects failed"},
            "conditions": [{"type": "SyncError", "message": "Deployment llama-8b: bad image"}],
        },
    )
    code, out, _ = labgen(capsys, kubeconfig, "status", "eks-pd")
    assert code == 1
    row = next(line for line in out.splitlines() if "eks-pd-serve-llama-8b" in line)
    assert "Degraded" in row
    assert "Failed" in row
    assert "one or more objects failed" in row
    assert "! SyncError: Deployment llama-8b: bad image" in out


def test_status_missing_and_stray_applications(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_tree(fake, "eks-pd")
    del fake.store["applications.argoproj.io", "argocd", "eks-pd-keda"]
    stray = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "eks-pd-old",
            "namespace": "argocd",
            "labels": {"labgen.dev/lab": "eks-pd"},
        },
        "spec": {},
    }
    fake.put(stray, manager="argocd-controller")
    fake.set_status("argocd", "eks-pd-old", SYNCED)
    code, out, _ = labgen(capsys, kubeconfig, "status", "eks-pd")
    assert code == 1
    keda = next(line for line in out.splitlines() if "eks-pd-keda" in line)
    assert "Missing" in keda
    assert "not in the cluster" in keda
    old = next(line for line in out.splitlines() if "eks-pd-old" in line)
    assert "not in the rendered tree" in old
    n = app_count("eks-pd")  # one expected app missing, one stray
    assert f"not converged, {n - 1}/{n + 1}" in out


def test_status_wait_until_converged(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progressing = {"sync": {"status": "OutOfSync"}, "health": {"status": "Progressing"}}
    deploy_tree(fake, "eks-pd", progressing)

    def flip(count: int) -> None:  # Argo CD finishes the sync before the third poll
        if count == 3:
            for (resource, ns, name), _ in list(fake.store.items()):
                if resource == "applications.argoproj.io":
                    fake.set_status(ns, name, SYNCED)

    fake.on_list = flip
    args = ("status", "eks-pd", "--wait", "--interval", "0.01", "--timeout", "60")
    code, out, _ = labgen(capsys, kubeconfig, *args)
    assert code == 0
    assert fake.list_count == 3
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert len(progress) == 2  # one line per change: waiting, then converged
    n = app_count("eks-pd")
    assert f"0/{n} converged; waiting for eks-pd-root (OutOfSync/Progressing)" in progress[0]
    assert f"{n}/{n} converged" in progress[1]
    assert f"converged, all {app_count('eks-pd')} Applications Synced and Healthy" in out


def test_status_wait_times_out(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_tree(fake, "eks-pd", {"sync": {"status": "Synced"}, "health": {"status": "Progressing"}})
    args = ("status", "eks-pd", "--wait", "--interval", "0.01", "--timeout", "0.1")
    code, out, _ = labgen(capsys, kubeconfig, *args)
    assert code == 1
    assert fake.list_count >= 2
    n = app_count("eks-pd")
    assert f"not converged, 0/{n} Synced and Healthy after waiting 0.1s" in " ".join(out.split())


def test_status_errors_exit_2(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = labgen(capsys, kubeconfig, "status", "eks-pd")  # no Application CRD
    assert code == 2
    assert "serves no applications.argoproj.io v1alpha1: is Argo CD installed?" in err
    fake.install_argocd()
    fake.deny("list", "applications")
    code, _, err = labgen(capsys, kubeconfig, "status", "eks-pd")
    assert code == 2
    assert "forbidden (403)" in err
    code, _, err = labgen(capsys, kubeconfig, "status", "no-such-lab")
    assert code == 2
    assert "no lab 'no-such-lab'" in err
