"""`labgen bootstrap` and `labgen status` through the real CLI and the real kubernetes client
against a real kube-apiserver (the session's, from ../shared/k8s; see tests/k8s_server.py).

The server is shared by the session, so every test works on a lab of its own: a shipped
spec copied under a name and Argo CD namespace no other test uses. Faults a real server
cannot produce on demand stay on the HTTP fake (tests/cli/test_cluster.py)."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO
from k8s_server import ApiServer, install_argocd
from labgen import cli
from labgen.plan import LabPlan
from labgen.render import argocd_objects
from labgen.repo import load_plans, select_labs
from support import build, render_into

HEALTH_KEY = "resource.customizations.health.argoproj.io_Application"
# operationState as Argo CD writes it (the CRD requires operation and startedAt)
OPERATION = {"operation": {"sync": {"revision": "0123abc"}}, "startedAt": "2026-01-01T00:00:00Z"}
SYNCED: dict[str, Any] = {
    "sync": {"status": "Synced", "revision": "0123abc"},
    "health": {"status": "Healthy"},
    "operationState": {
        **OPERATION,
        "phase": "Succeeded",
        "message": "successfully synced (all tasks run)",
    },
}


class Lab:
    """A shipped spec under a name and Argo CD namespace of the test's own."""

    def __init__(self, tmp_path: Path, request: pytest.FixtureRequest, source: str) -> None:
        # unique per test and per run (a reused server keeps earlier runs' objects; a
        # passing run's tmp_path is removed, so the next run may get the same one)
        seed = f"{request.node.nodeid} {tmp_path} {os.getpid()} {time.time_ns()}"
        digest = hashlib.sha256(seed.encode()).hexdigest()[:6]
        self.name = f"t{digest}"
        self.root = tmp_path / "repo"
        (self.root / "labs").mkdir(parents=True)
        data = yaml.safe_load((REPO / "labs" / f"{source}.yaml").read_text())
        data["metadata"]["name"] = self.name
        if source != "h100-llmd":  # OpenShift GitOps is always namespace openshift-gitops
            data["spec"]["gitops"]["argocdNamespace"] = f"argocd-{digest}"
        (self.root / "labs" / f"{self.name}.yaml").write_text(yaml.safe_dump(data))

    @property
    def plan(self) -> LabPlan:
        (resolved,) = load_plans(self.root, select_labs(self.root, [self.name]))
        return resolved

    @property
    def namespace(self) -> str:
        return self.plan.gitops.argocd_namespace


# The kinds these tests read, with their API versions.
KINDS = {
    "Application": "argoproj.io/v1alpha1",
    "AppProject": "argoproj.io/v1alpha1",
    "ArgoCD": "argoproj.io/v1beta1",
    "ConfigMap": "v1",
}


def labgen(
    capsys: pytest.CaptureFixture[str], server: ApiServer, lab: Lab, *args: str
) -> tuple[int, str, str]:
    argv = [*args, "--kubeconfig", str(server.kubeconfig), "--root", str(lab.root)]
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "[yellow]" not in captured.err  # rich markup printed, not rendered
    return code, captured.out, captured.err


def live(server: ApiServer, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
    """The object as the server holds it (managed fields included), None if absent."""
    api_version = KINDS[kind]
    meta = {"name": name, "namespace": namespace}
    response = server.client.request(
        "GET", server.path({"apiVersion": api_version, "kind": kind, "metadata": meta})
    )
    if response.status == 404:
        return None
    assert response.ok, response.message
    body: dict[str, Any] = response.body
    return body


def put_argocd_cm(server: ApiServer, namespace: str, data: dict[str, str], manager: str) -> None:
    """Argo CD's settings as another field manager (its installer, a hand edit) left them."""
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": namespace},
        "data": data,
    }
    assert not server.apply([cm], namespace, manager=manager).errors


def through(server: ApiServer, path: Path, config: dict[str, Any]) -> ApiServer:
    """The server as kubeconfig ``config`` (written to ``path``) reaches it: other
    credentials, another address."""
    path.write_text(yaml.safe_dump(config))
    return ApiServer(server.directory, path, server.kubectl_path)


NewLab = Callable[..., Lab]


@pytest.fixture
def new_lab(tmp_path: Path, request: pytest.FixtureRequest, k8s_server: ApiServer) -> NewLab:
    """A lab of the test's own from shipped spec ``source``, with a stand-in Argo CD
    (``install_argocd``'s options) in the lab's Argo CD namespace (``elsewhere``: in
    another one)."""

    def make(source: str = "eks-pd", *, elsewhere: bool = False, **argocd: Any) -> Lab:
        lab = Lab(tmp_path, request, source)
        install_argocd(
            k8s_server, f"{lab.namespace}-elsewhere" if elsewhere else lab.namespace, **argocd
        )
        return lab

    return make


@pytest.fixture
def eks(new_lab: NewLab) -> Lab:
    return new_lab()


# -- bootstrap -------------------------------------------------------------------------------


def test_bootstrap_applies_the_bundle_with_server_side_apply(
    eks: Lab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = eks.namespace
    put_argocd_cm(k8s_server, ns, {"url": "https://argocd.example.com"}, "helm")
    code, out, err = labgen(capsys, k8s_server, eks, "bootstrap", eks.name)
    assert code == 0, err
    assert f"Argo CD v3.1.5 in namespace {ns} (version from label app.kubernetes.io/version" in out
    assert "Kubernetes v1.33.13" in out
    assert f"created AppProject {ns}/{eks.name}" in out
    assert f"configured ConfigMap {ns}/argocd-cm" in out
    assert f"created Application {ns}/{eks.name}-root" in out
    # One note that TLS is not verified, instead of urllib3's warning per request.
    assert err.count("skips TLS verification") == 1
    expected = {o["kind"]: o for o in argocd_objects(eks.plan).bootstrap}
    root = live(k8s_server, "Application", f"{eks.name}-root", ns)
    assert root is not None
    assert root["spec"] == expected["Application"]["spec"]
    managers = {(m["manager"], m["operation"]) for m in root["metadata"]["managedFields"]}
    assert managers == {("labgen", "Apply")}
    # The partial argocd-cm merged into the live one: Argo CD's own settings stay.
    cm = live(k8s_server, "ConfigMap", "argocd-cm", ns)
    assert cm is not None
    assert cm["data"]["url"] == "https://argocd.example.com"
    assert cm["data"][HEALTH_KEY].startswith("hs = {}")


def test_bootstrap_twice_changes_nothing(
    eks: Lab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert labgen(capsys, k8s_server, eks, "bootstrap", eks.name)[0] == 0
    before = live(k8s_server, "Application", f"{eks.name}-root", eks.namespace)
    code, out, _ = labgen(capsys, k8s_server, eks, "bootstrap", eks.name)
    assert code == 0
    assert out.count("unchanged") == 3
    assert "created" not in out
    assert "configured" not in out
    after = live(k8s_server, "Application", f"{eks.name}-root", eks.namespace)
    assert before is not None
    assert after is not None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_dry_run_uses_the_servers_dry_run_and_writes_nothing(
    eks: Lab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = labgen(capsys, k8s_server, eks, "bootstrap", eks.name, "--dry-run")
    assert code == 0
    ns = eks.namespace
    assert f"created AppProject {ns}/{eks.name} (server dry run: nothing was written)" in out
    assert f"created Application {ns}/{eks.name}-root (server dry run" in out
    assert live(k8s_server, "AppProject", eks.name, ns) is None
    assert live(k8s_server, "Application", f"{eks.name}-root", ns) is None
    assert live(k8s_server, "ConfigMap", "argocd-cm", ns) is None
    # ... and after a real bootstrap, the dry run sees nothing to change
    assert labgen(capsys, k8s_server, eks, "bootstrap", eks.name)[0] == 0
    code, out, _ = labgen(capsys, k8s_server, eks, "bootstrap", eks.name, "--dry-run")
    assert code == 0
    assert out.count("unchanged") == 3


def test_argocd_in_another_namespace_is_a_clear_error(
    new_lab: NewLab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = new_lab(elsewhere=True)
    k8s_server.ensure_namespace(lab.namespace)
    code, _, err = labgen(capsys, k8s_server, lab, "bootstrap", lab.name)
    assert code == 2
    assert f"namespace {lab.namespace!r} has no Argo CD Deployment" in err
    assert "spec.gitops.argocdNamespace" in err
    assert live(k8s_server, "AppProject", lab.name, lab.namespace) is None


def test_forbidden_is_a_clear_error(
    eks: Lab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A ServiceAccount that may read but not write: the real RBAC's 403."""
    ns = eks.namespace
    reader: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"{eks.name}-read-crds-and-apps"},
            "rules": [
                {
                    "apiGroups": ["apiextensions.k8s.io", "argoproj.io", "apps"],
                    "resources": ["*"],
                    "verbs": ["get", "list"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{eks.name}-read-crds-and-apps"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"{eks.name}-read-crds-and-apps",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": ns}],
        },
    ]
    assert not k8s_server.apply(reader, ns, manager="test").errors
    token = k8s_server.kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    config = yaml.safe_load(k8s_server.kubeconfig.read_text())
    config["users"][0]["user"] = {"token": token}
    as_reader = through(k8s_server, tmp_path / "reader.kubeconfig", config)
    code, _, err = labgen(capsys, as_reader, eks, "bootstrap", eks.name)
    assert code == 2
    assert f"applying AppProject {ns}/{eks.name}: forbidden (403)" in err
    assert 'cannot patch resource "appprojects" in API group "argoproj.io"' in err


@pytest.mark.parametrize("command", ["bootstrap", "status"])
def test_the_same_error_exits_the_same_way(
    command: str,
    eks: Lab,
    k8s_server: ApiServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Rejected credentials and an unreachable server: exit 2 from both commands."""
    config = yaml.safe_load(k8s_server.kubeconfig.read_text())
    config["users"][0]["user"] = {"token": "not-a-token"}
    stale = tmp_path / "stale.kubeconfig"
    code, _, err = labgen(capsys, through(k8s_server, stale, config), eks, command, eks.name)
    assert code == 2
    assert "unauthorized (401)" in err
    assert "context 'local'" in err
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    code, _, err = labgen(capsys, through(k8s_server, stale, config), eks, command, eks.name)
    assert code == 2
    assert f"cannot reach the Kubernetes API server at https://127.0.0.1:{port}" in err


def test_apply_conflicts_need_force_conflicts(
    eks: Lab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = eks.namespace
    edited = {HEALTH_KEY: "hs = {status = 'Healthy'}\nreturn hs\n"}
    put_argocd_cm(k8s_server, ns, edited, "kubectl-edit")
    code, _, err = labgen(capsys, k8s_server, eks, "bootstrap", eks.name)
    assert code == 2
    assert "conflict (409)" in err
    assert 'conflict with "kubectl-edit"' in err
    assert "--force-conflicts" in err
    code, out, _ = labgen(capsys, k8s_server, eks, "bootstrap", eks.name, "--force-conflicts")
    assert code == 0
    assert f"configured ConfigMap {ns}/argocd-cm" in out
    cm = live(k8s_server, "ConfigMap", "argocd-cm", ns)
    assert cm is not None
    assert cm["data"][HEALTH_KEY].startswith("hs = {}")


def test_openshift_gitops_bundle(
    new_lab: NewLab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    image = "registry.redhat.io/openshift-gitops-1/argocd-rhel9:v1.16.0"
    lab = new_lab("h100-llmd", operator=True, version_label=None, image=image)
    assert lab.namespace == "openshift-gitops"
    code, out, err = labgen(capsys, k8s_server, lab, "bootstrap", lab.name)
    assert code == 0, err
    assert "OpenShift GitOps (argocd-operator) unknown version in namespace openshift-gitops" in out
    # The image tag is OpenShift GitOps' release, not an Argo CD version.
    assert "v1.16.0 in namespace" not in out
    assert "warning: could not tell the Argo CD version" in err
    assert "tagged with the OpenShift GitOps release" in " ".join(err.split())
    assert f"created ClusterRoleBinding labgen-{lab.name}-argocd-application-controller" in out
    assert "ArgoCD openshift-gitops/openshift-gitops" in out
    instance = live(k8s_server, "ArgoCD", "openshift-gitops", "openshift-gitops")
    assert instance is not None
    assert instance["spec"]["server"]["route"] == {"enabled": True}  # the operator's, kept
    assert HEALTH_KEY in instance["spec"]["extraConfig"]


def test_version_from_the_image_tag_and_a_too_old_warning(
    new_lab: NewLab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = new_lab(version_label=None, image="quay.io/argoproj/argocd:v2.14.9")
    code, out, err = labgen(capsys, k8s_server, lab, "bootstrap", lab.name, "--dry-run")
    assert code == 0
    assert "Argo CD v2.14.9" in out
    assert "image tag of Deployment argocd-server" in out
    assert "warning: Argo CD v2.14.9 is older than v3.1" in " ".join(err.split())


# -- status ----------------------------------------------------------------------------------


def synced_tree(server: ApiServer, lab: Lab, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Bootstrap, then the children the root Application would create, each with the
    status Argo CD would write; their names."""
    render_into(lab.root)
    assert labgen(capsys, server, lab, "bootstrap", lab.name)[0] == 0
    children = build(lab.root / "apps" / lab.name / "children")
    applied = server.apply(children, lab.namespace)
    assert not applied.errors, applied.errors
    names = [f"{lab.name}-root"]
    names += [o["metadata"]["name"] for o in children if o["kind"] == "Application"]
    for name in names:
        set_status(server, lab.namespace, name, SYNCED)
    return names


def set_status(server: ApiServer, namespace: str, name: str, status: dict[str, Any]) -> None:
    """Write status as Argo CD does: Application's CRD has no status subresource."""
    meta = {"name": name, "namespace": namespace}
    path = server.path(
        {"apiVersion": KINDS["Application"], "kind": "Application", "metadata": meta}
    )
    response = server.client.request(
        "PATCH", path, {"status": status}, content_type="application/merge-patch+json"
    )
    assert response.ok, response.message


def test_status_converged_then_degraded_and_missing(
    eks: Lab, k8s_server: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    names = synced_tree(k8s_server, eks, capsys)
    code, out, err = labgen(capsys, k8s_server, eks, "status", eks.name)
    assert code == 0, err
    assert f"converged, all {len(names)} Applications Synced and Healthy" in out
    rows = [line for line in out.splitlines() if f"{eks.name}-" in line]
    assert f"{eks.name}-root" in rows[0]  # the root first, then children by wave
    waves = [int(r.split("│")[1]) for r in rows[1:]]
    assert waves == sorted(waves)
    assert "successfully synced (all tasks run)" in out

    degraded = {
        "sync": {"status": "OutOfSync"},
        "health": {"status": "Degraded"},
        "operationState": {
            **OPERATION,
            "phase": "Failed",
            "message": "one or more objects failed",
        },
        "conditions": [{"type": "SyncError", "message": "Deployment llama-8b: bad image"}],
        "resources": [
            {"kind": "Deployment", "namespace": "llm", "name": "llama-8b", "status": "OutOfSync"},
            {"kind": "Service", "namespace": "llm", "name": "llama-8b", "status": "Synced"},
            {
                "kind": "ConfigMap",
                "namespace": "llm",
                "name": "old",
                "status": "OutOfSync",
                "requiresPruning": True,
            },
        ],
    }
    set_status(k8s_server, eks.namespace, f"{eks.name}-serve-llama-8b", degraded)
    gone = {"metadata": {"name": f"{eks.name}-keda", "namespace": eks.namespace}}
    k8s_server.delete([{"apiVersion": KINDS["Application"], "kind": "Application", **gone}])
    # (no finalizer on operator Applications: gone at once without a controller)
    stray = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"{eks.name}-old", "labels": {"labgen.dev/lab": eks.name}},
        "spec": {
            "project": eks.name,
            "destination": {"name": "in-cluster", "namespace": "llm"},
            "source": {"repoURL": "https://github.com/example/llm-lab.git", "path": "old"},
        },
    }
    assert not k8s_server.apply([stray], eks.namespace).errors
    set_status(k8s_server, eks.namespace, f"{eks.name}-old", SYNCED)
    code, out, _ = labgen(capsys, k8s_server, eks, "status", eks.name)
    assert code == 1
    n = len(names)  # two of them not converged, one stray
    assert f"not converged, {n - 2}/{n + 1} Synced and Healthy" in out
    old = next(line for line in out.splitlines() if f"{eks.name}-old" in line)
    assert "not in the rendered tree" in old
    assert "OutOfSync ConfigMap llm/old (to prune)" in out
    assert "Service llm/llama-8b" not in out
    row = next(line for line in out.splitlines() if f"{eks.name}-serve-llama-8b" in line)
    assert "Degraded" in row
    assert "one or more objects failed" in row
    assert "! SyncError: Deployment llama-8b: bad image" in out
    assert "OutOfSync Deployment llm/llama-8b" in out
    keda = next(line for line in out.splitlines() if f"{eks.name}-keda" in line)
    assert "Missing" in keda
