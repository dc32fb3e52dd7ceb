"""A real Kubernetes API server for the tests: kube-apiserver v1.33 and etcd from
``../shared/k8s`` (``$LABGEN_K8S``), with the upstream CRDs of ``../shared/crds``
(``$LABGEN_CRDS``): each is created and Established the first time a test applies an
object of a kind it defines (``ApiServer.install_crds``, ``k8s_api``).

One server per test session (it starts in a few seconds). It runs the upstream admission
chain only: OpenAPI and CRD structural schemas, CEL rules, defaulting, immutability,
PodSecurity; no controllers, scheduler or kubelet, so nothing reconciles and no namespace
is ever finalized. Tests that share it apply with the field manager Argo CD uses
(``argocd-controller``) and never delete.

The harness talks to the server in process (``k8s_api.Client``, one keep-alive connection
pool): each object is applied on its own (``PATCH`` with ``application/apply-patch+yaml``,
``fieldValidation=Strict`` as the pinned kubectl sends by default), so the server's
``Warning`` headers (PodSecurity's among them) and refusals name their object. The pinned
kubectl (``.venv/bin``, see labgen.tools) stays for what tests run as a user would
(``ApiServer.kubectl``).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from k8s_api import Client, Resource, api_base, group_of
from labgen.cluster.bootstrap import ARGOCD_CRDS
from labgen.tools import find_tool
from support import argocd_standin

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ARGOCD_MANAGER = "argocd-controller"  # the field manager of Argo CD's server-side apply
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
    # discovery: the kinds served per group-version
    _resources: dict[str, dict[str, Resource]] = field(default_factory=dict)
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
            self._resources.clear()

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """The pinned kubectl as a user runs it (the harness itself goes through
        ``client``)."""
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

    def resource(self, api_version: str, kind: str) -> Resource | None:
        """How the server serves ``kind`` (discovery, cached per group-version until
        CRDs are installed), None if it does not."""
        if api_version not in self._resources:
            self._resources[api_version] = self.client.resources(api_version)
        return self._resources[api_version].get(kind)

    def namespaced(self, api_version: str, kind: str) -> bool:
        """Whether the server serves ``kind`` per namespace (unknown kinds: True, so the
        server's own error names them)."""
        resource = self.resource(api_version, kind)
        return resource is None or resource.namespaced

    def path(self, item: dict[str, Any]) -> str:
        """The object's path on the server; AssertionError for a kind it does not serve
        (as kubectl's "no matches for kind")."""
        api_version, kind, meta = item["apiVersion"], item["kind"], item["metadata"]
        resource = self.resource(api_version, kind)
        if resource is None:
            raise AssertionError(
                f'{key_of(item)}: no matches for kind "{kind}" in version "{api_version}"'
            )
        where = f"/namespaces/{meta['namespace']}" if resource.namespaced else ""
        return f"{api_base(api_version)}{where}/{resource.plural}/{meta['name']}"

    def _in_namespace(self, objects: Iterable[dict[str, Any]], namespace: str) -> None:
        """Namespaced objects that name no namespace go to ``namespace``."""
        for item in objects:
            meta = item.setdefault("metadata", {})
            if not meta.get("namespace") and self.namespaced(item["apiVersion"], item["kind"]):
                meta["namespace"] = namespace

    def ensure_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        item: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if labels:
            item["metadata"]["labels"] = labels
        response = self.client.apply(
            self.path(item), item, "labgen-test", force=False, dry_run=False
        )
        if not response.ok:
            raise AssertionError(f"{key_of(item)}: {response.message}")

    def apply(
        self,
        objects: Iterable[dict[str, Any]],
        namespace: str,
        manager: str = ARGOCD_MANAGER,
        *,
        dry_run: bool = False,
    ) -> Applied:
        """Server-side apply (forcing conflicts, as Argo CD does) with namespaced objects
        that name none put in ``namespace`` (Argo CD's destination): one request per
        object, in order, so each warning and refusal names its object. ``dry_run``: the
        server admits and validates, and stores nothing."""
        items = list(objects)
        self.install_crds(items)
        self._in_namespace(items, namespace)
        result = Applied()
        for item in items:
            key = key_of(item)
            try:
                path = self.path(item)
            except AssertionError as error:
                result.errors.append(str(error))
                continue
            response = self.client.apply(path, item, manager, force=True, dry_run=dry_run)
            result.warnings += [f"{key}: Warning: {text}" for text in response.warnings]
            if not response.ok:
                result.errors.append(f"{key}: {response.message}")
            elif not dry_run:
                result.objects.append(item)
        return result

    def snapshot(self, objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Each object as the server holds it, without the bookkeeping of its writes
        (resourceVersion, managedFields): the first apply after a create rewrites the
        managedFields the create recorded, and nothing else."""
        found = {}
        for item in objects:
            response = self.client.request("GET", self.path(item))
            if not response.ok:
                raise AssertionError(f"reading {key_of(item)}: {response.message}")
            for volatile in ("resourceVersion", "managedFields"):
                response.body["metadata"].pop(volatile, None)
            found[key_of(response.body)] = response.body
        return found

    def delete(self, objects: list[dict[str, Any]], namespace: str = "default") -> None:
        """Delete what a test applied, finalizers first (no controller would remove them),
        namespaced objects that name none from ``namespace``; gone already is fine. CRDs
        and Namespaces stay: a namespace is never finalized without controllers.
        Dependents are left in the background, as kubectl's default: a Job's own default
        (orphan) would wait for the garbage collector, which does not run here."""
        items = [o for o in objects if o["kind"] not in ("CustomResourceDefinition", "Namespace")]
        self._in_namespace(items, namespace)
        unfinalize = {"metadata": {"finalizers": None}}
        background = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Background",
        }
        for item in items:
            path = self.path(item)
            self.client.request(
                "PATCH", path, unfinalize, content_type="application/merge-patch+json"
            )
            response = self.client.request("DELETE", path, background)
            if not response.ok and response.status != 404:
                raise AssertionError(f"deleting {key_of(item)}: {response.message}")

    def wait_established(self, names: Iterable[str]) -> None:
        crds = list(names)
        if crds:
            self.client.wait_established(crds)
            self._resources.clear()  # kinds that discovery did not serve before


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
