"""A real Kubernetes API server for the tests: kube-apiserver v1.33 and etcd from
``../shared/k8s`` (``$LABGEN_K8S``), with the upstream CRDs of ``../shared/crds``
(``$LABGEN_CRDS``): each is created and Established the first time a test applies an
object of a kind it defines (``ApiServer.install_crds``, ``k8s_api``).

One server per test session (it starts in a few seconds). It runs the upstream admission
chain only: OpenAPI and CRD structural schemas, CEL rules, defaulting, immutability,
PodSecurity; no controllers, scheduler or kubelet, so nothing reconciles and no namespace
is ever finalized. Tests that share it apply with the field manager Argo CD uses
(``argocd-controller``) and never delete.

Objects are applied with the pinned kubectl (``.venv/bin``, see labgen.tools): it prints the
server's ``Warning`` headers (PodSecurity's among them) on stderr, one line each.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from k8s_api import Client, group_of
from labgen.cluster.bootstrap import ARGOCD_CRDS
from labgen.tools import find_tool
from labgen.yamlio import dump_data
from support import argocd_standin

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ARGOCD_MANAGER = "argocd-controller"  # the field manager of Argo CD's server-side apply
# Kinds with a pod template: PodSecurity admission warns on these, per object.
WORKLOAD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
)
WARN_RESTRICTED = {"pod-security.kubernetes.io/warn": "restricted"}


def k8s_dir() -> Path:
    return Path(os.environ.get("LABGEN_K8S", SHARED / "k8s"))


def crds_dir() -> Path:
    return Path(os.environ.get("LABGEN_CRDS", SHARED / "crds"))


def charts_dir() -> Path:
    return Path(os.environ.get("LABGEN_CHARTS", SHARED / "charts"))


def key_of(item: dict[str, Any]) -> str:
    meta = item.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{item.get('apiVersion')} {item.get('kind')} {where}{meta.get('name')}"


@dataclass
class Applied:
    """What applies did: the objects stored, the server's warnings, its refusals."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: Applied) -> None:
        self.objects += other.objects
        self.warnings += other.warnings
        self.errors += other.errors


@dataclass
class ApiServer:
    directory: Path
    kubeconfig: Path
    kubectl_path: Path
    _scopes: dict[tuple[str, str], bool] = field(default_factory=dict)
    _client: Client | None = None
    _crds: set[str] = field(default_factory=set)  # upstream CRDs known to be installed

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.kubeconfig, crds_dir())
        return self._client

    def install_crds(self, objects: Iterable[dict[str, Any]]) -> None:
        """The upstream CRDs (``../shared/crds``) that define the kinds of ``objects``, as
        a cluster with their operators installed has them: created the first time a kind
        is needed (``k8s_api``), so a session builds the OpenAPI models of the CRDs its
        tests use only, not of all of them."""
        index = self.client.upstream_index()
        wanted = {
            index[key].name
            for key in {(group_of(o["apiVersion"]), o["kind"]) for o in objects}
            if key in index
        }
        self.install_crds_named(wanted - self._crds)

    def install_crds_named(self, names: Iterable[str]) -> None:
        todo = sorted(set(names) - self._crds)
        if todo:
            self.client.install_crds_named(todo)
            self._crds.update(todo)
            self._scopes.clear()

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(self.kubectl_path), "--kubeconfig", str(self.kubeconfig), *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{proc.stderr}")
        return proc

    def namespaced(self, api_version: str, kind: str) -> bool:
        """Whether the server serves ``kind`` per namespace (unknown kinds: True, so the
        server's own error names them)."""
        if not self._scopes:
            out = self.kubectl("api-resources", "-o", "wide", "--no-headers").stdout
            for line in out.splitlines():
                cols = line.split()
                # NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS...
                for i, col in enumerate(cols):
                    if col in ("true", "false") and i >= 2:
                        self._scopes[cols[i - 1], cols[i + 1]] = col == "true"
                        break
        return self._scopes.get((api_version, kind), True)

    def ensure_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        item: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if labels:
            item["metadata"]["labels"] = labels
        self.kubectl(
            "apply", "--server-side", "--field-manager=labgen-test", "-f", "-",
            stdin=json.dumps(item),
        )  # fmt: skip

    def apply(
        self,
        objects: Iterable[dict[str, Any]],
        namespace: str,
        manager: str = ARGOCD_MANAGER,
        *,
        dry_run: bool = False,
    ) -> Applied:
        """Server-side apply (forcing conflicts, as Argo CD does) with namespaced objects
        that name none put in ``namespace`` (Argo CD's destination), in one request
        stream. The server's warnings do not name their object: when there are any, each
        workload is dry-run alone to attribute them. ``dry_run``: the server admits and
        validates, and stores nothing."""
        items = list(objects)
        self.install_crds(items)
        for item in items:
            meta = item.setdefault("metadata", {})
            if not meta.get("namespace") and self.namespaced(item["apiVersion"], item["kind"]):
                meta["namespace"] = namespace
        if not items:
            return Applied()
        result = self._apply(items, manager, "", dry_run)
        workloads = [item for item in items if item["kind"] in WORKLOAD_KINDS]
        if result.warnings and workloads:
            attributed: list[str] = []
            explained: set[str] = set()
            for item in workloads:
                lines = self._apply([item], manager, "", dry_run=True).warnings
                attributed += [f"{key_of(item)}: {line}" for line in lines]
                explained.update(lines)
            result.warnings = attributed + [w for w in result.warnings if w not in explained]
        return result

    def _apply(
        self, items: list[dict[str, Any]], manager: str, label: str, dry_run: bool
    ) -> Applied:
        mode = ["--dry-run=server"] if dry_run else []
        proc = self.kubectl(
            "apply", "--server-side", "--force-conflicts", f"--field-manager={manager}",
            *mode, "-f", "-",
            stdin="".join(f"---\n{dump_data(i)}" for i in items),
            check=False,
        )  # fmt: skip
        result = Applied(objects=[] if dry_run else items)
        for line in proc.stderr.splitlines():
            if line.startswith("Warning:"):
                result.warnings.append(f"{label}: {line}" if label else line)
            elif line.strip():
                result.errors.append(line)
        if proc.returncode != 0 and not result.errors:
            result.errors.append(f"kubectl apply exited {proc.returncode}")
        return result

    def snapshot(self, objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Each object as the server holds it, without the bookkeeping of its writes
        (resourceVersion, managedFields): the first apply after a create rewrites the
        managedFields the create recorded, and nothing else."""
        if not objects:
            return {}
        proc = self.kubectl(
            "get", "-o", "json", "-f", "-", stdin="".join(f"---\n{dump_data(i)}" for i in objects)
        )
        data = json.loads(proc.stdout)
        items = data.get("items", [data]) if data.get("kind") == "List" else [data]
        for item in items:
            for volatile in ("resourceVersion", "managedFields"):
                item["metadata"].pop(volatile, None)
        return {key_of(i): i for i in items}

    def delete(self, objects: list[dict[str, Any]], namespace: str = "default") -> None:
        """Delete what a test applied, finalizers first (no controller would remove them),
        namespaced objects that name none from ``namespace``. CRDs and Namespaces stay: a
        namespace is never finalized without controllers."""
        items = [o for o in objects if o["kind"] not in ("CustomResourceDefinition", "Namespace")]
        for item in items:
            meta = item.setdefault("metadata", {})
            if not meta.get("namespace") and self.namespaced(item["apiVersion"], item["kind"]):
                meta["namespace"] = namespace
        if not items:
            return
        stream = "".join(f"---\n{dump_data(i)}" for i in items)
        unfinalize = json.dumps({"metadata": {"finalizers": None}})
        self.kubectl(
            "patch", "-f", "-", "--type=merge", "-p", unfinalize, stdin=stream, check=False
        )
        self.kubectl("delete", "-f", "-", "--ignore-not-found", "--wait=false", stdin=stream)

    def wait_established(self, names: Iterable[str]) -> None:
        crds = [f"crd/{name}" for name in names]
        if crds:
            self.kubectl("wait", "--for=condition=Established", "--timeout=120s", *crds)
            self._scopes.clear()  # kinds that discovery did not serve before


def start_server(directory: Path) -> ApiServer:
    start = k8s_dir() / "start"
    proc = subprocess.run([str(start), str(directory)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{start} {directory} failed:\n{proc.stdout}\n{proc.stderr}")
    kubeconfig = Path(proc.stdout.strip().splitlines()[-1])
    return ApiServer(directory, kubeconfig, find_tool("kubectl"))


def stop_server(server: ApiServer) -> None:
    if server._client is not None:
        server._client.close()
    subprocess.run([str(k8s_dir() / "stop"), str(server.directory)], check=False)


def _unavailable() -> str | None:
    """Why the session cannot start a server, if it cannot."""
    if not (k8s_dir() / "start").is_file():
        return (
            f"no kube-apiserver at {k8s_dir()}: tests against a real API server need "
            "../shared/k8s (or LABGEN_K8S pointing at a copy with its start/stop scripts)"
        )
    if not crds_dir().is_dir():
        return (
            f"upstream CRDs not found at {crds_dir()}: the real API server needs "
            "../shared/crds (or LABGEN_CRDS) to serve the custom resources labgen applies"
        )
    return None


class Starting:
    """The session's server, started in a thread of its own while the tests before the
    first one that needs it run (its CRDs come later, as tests need them)."""

    def __init__(self, directory: Path) -> None:
        self.server: ApiServer | None = None
        self.error: BaseException | None = None
        self._directory = directory
        self._thread = threading.Thread(target=self._run, name="kube-apiserver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.server = start_server(self._directory)
        except BaseException as error:  # re-raised in the test thread by ready()
            self.error = error

    def ready(self) -> ApiServer:
        self._thread.join()
        if self.error is not None:
            raise self.error
        assert self.server is not None
        return self.server

    def stop(self) -> None:
        self._thread.join()
        if self.server is not None:
            stop_server(self.server)


def needs_server(item: pytest.Item) -> bool:
    return "k8s_server" in getattr(item, "fixturenames", ())


# The test modules that use the server (``needs_server``): xdist's scheduler sees node ids
# only, so it keeps them together by module.
SERVER_MODULES = ("tests/test_apply_real.py", "tests/cli/test_cluster_real.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One process runs the tests that use the server. On its own, it runs them last, so
    that the server starts in the background while the others run (``k8s_server_start``).
    Under xdist (``-n 2 --dist loadgroup``) they come first and go to one worker
    (``pytest_xdist_make_scheduler``), which starts the server and runs them while the
    other worker takes the rest."""
    worker = hasattr(config, "workerinput")
    stray = [i.nodeid for i in items if needs_server(i) and not i.nodeid.startswith(SERVER_MODULES)]
    if stray:
        raise pytest.UsageError(f"tests using k8s_server outside SERVER_MODULES: {stray}")
    # stable: the order within each part is kept
    items.sort(key=lambda item: needs_server(item) != worker)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: the server's tests are one group, every other test its own.
    (xdist 3.8's own loadgroup marks groups by rewriting ``item._nodeid``, which pytest 9.2
    no longer reads: it silently does not group, pytest-dev/pytest-xdist#1386.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class ServerGroup(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return "kube-apiserver" if nodeid.startswith(SERVER_MODULES) else nodeid

    return ServerGroup(config, log)


@pytest.fixture(scope="session", autouse=True)
def k8s_server_start(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Starting | None]:
    """Starts the session's server when the session starts, if a selected test needs it
    (not in an xdist worker, which may never run one: there ``k8s_server`` starts it)."""
    wanted = any(needs_server(item) for item in request.session.items)
    worker = hasattr(request.config, "workerinput")
    if not wanted or worker or os.environ.get("LABGEN_TEST_KUBECONFIG") or _unavailable():
        yield None
        return
    starting = Starting(tmp_path_factory.mktemp("kube-apiserver") / "state")
    try:
        yield starting
    finally:
        starting.stop()


@pytest.fixture(scope="session")
def k8s_server(
    k8s_server_start: Starting | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The session's real kube-apiserver (upstream CRDs installed as tests need them).

    ``$LABGEN_TEST_KUBECONFIG`` names one already running (e.g. from
    ``../shared/k8s/start``) to reuse between runs while working on these tests."""
    reuse = os.environ.get("LABGEN_TEST_KUBECONFIG")
    if reuse:
        yield ApiServer(Path(reuse).parent, Path(reuse), find_tool("kubectl"))
        return
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    if k8s_server_start is not None:
        yield k8s_server_start.ready()  # stopped by k8s_server_start
        return
    starting = Starting(tmp_path_factory.mktemp("kube-apiserver") / "state")
    try:
        yield starting.ready()
    finally:
        starting.stop()


def install_argocd(
    server: ApiServer,
    namespace: str,
    *,
    operator: bool = False,
    version_label: str | None = "v3.1.5",
    image: str = "quay.io/argoproj/argocd:v3.1.5",
) -> None:
    """A stand-in Argo CD (``support.argocd_standin``): its namespace and the API server
    Deployment `labgen bootstrap` looks for (no Pods ever run: no controllers). With
    ``operator``, the Deployment is owned by an ArgoCD resource, as OpenShift GitOps'
    operator leaves it."""
    server.install_crds_named(ARGOCD_CRDS)
    server.ensure_namespace(namespace)
    objects = argocd_standin(namespace, operator=operator, version_label=version_label, image=image)
    applied = server.apply(objects, namespace, manager="gitops-operator" if operator else "helm")
    assert not applied.errors, applied.errors
