"""`labgen bootstrap` and `labgen status` through the real CLI and the real kubernetes client,
against the HTTP fake of the Kubernetes API in tests/kubefake.py, for what the real API
server of tests/cli/test_cluster_real.py cannot show on demand: a cluster without Argo CD's
CRDs (that server has them all), kubeconfig problems, and Application statuses that change
while `status --wait` polls (no Argo CD controller runs there)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from kubefake import FakeKubernetes, write_kubeconfig
from labgen import cli
from labgen.plan import LabPlan
from labgen.render import argocd_objects
from labgen.repo import load_plans, select_labs

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


def test_missing_argocd_is_a_clear_error(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "eks-pd")
    assert code == 2
    assert "Argo CD is not installed in context 'fake'" in err
    assert "applications.argoproj.io" in err
    assert not patches(fake)


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
    assert code == 2
    assert expected in " ".join(err.split())


def test_openshift_gitops_lab_needs_the_operator(
    fake: FakeKubernetes, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.install_argocd("openshift-gitops")
    code, _, err = labgen(capsys, kubeconfig, "bootstrap", "h100-llmd")
    assert code == 2
    assert "no CustomResourceDefinition argocds.argoproj.io" in " ".join(err.split())


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
    # A timeout of several polls even when a list takes long (a loaded machine, or the other
    # steps of `make test` beside this one): 0.1 s allowed a single poll.
    args = ("status", "eks-pd", "--wait", "--interval", "0.01", "--timeout", "1")
    code, out, _ = labgen(capsys, kubeconfig, *args)
    assert code == 1
    assert fake.list_count >= 2
    n = app_count("eks-pd")
    assert f"not converged, 0/{n} Synced and Healthy after waiting 1s" in " ".join(out.split())


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
