"""A small HTTP fake of the Kubernetes API: exactly the endpoints `labgen bootstrap` and
`labgen status` call, served on 127.0.0.1 by http.server in a thread.

No kube-apiserver can be installed here (none on PyPI; Debian ships etcd and kubectl but not
the API server), so the client code is tested against this fake. It follows the Kubernetes
API reference (API concepts, server-side apply, Status objects) for what it serves:

- ``GET /version``; ``GET`` one object, ``GET`` a list with ``labelSelector`` (equality
  terms only), and ``PATCH`` with ``Content-Type: application/apply-patch+yaml`` for
  ConfigMaps (``/api/v1``), Deployments (``apps/v1``), ClusterRoleBindings (``rbac/v1``),
  CustomResourceDefinitions (``apiextensions.k8s.io/v1``) and the custom resources of the
  CRDs stored in it (served only while their CRD exists, as a real server does);
- errors as ``Status`` objects with the code and reason a real server gives: 401 without
  the bearer token, 403 for denied verbs, 404 for missing objects, resources and
  namespaces, 409 for apply conflicts, 400 and 415 for malformed requests;
- ``resourceVersion`` from one counter (like etcd's revision), bumped only when a write
  changes the object or its field ownership; ``generation`` bumped when something outside
  ``metadata`` and ``status`` changes; ``dryRun=All`` answers without storing.

Server-side apply is simplified, and documented as such: field ownership is tracked per
manager as a set of leaf paths, every list is atomic (no associative-list merging by key),
``metadata.managedFields`` is not rendered, and only apply patches are accepted (any other
patch type gets 415). Conflicts, ``force``, taking over fields and removing fields a manager
stopped applying (when no other manager owns them) follow the real semantics.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from support import argocd_standin

Obj = dict[str, Any]
FieldPath = tuple[str, ...]
APPLY = "application/apply-patch+yaml"
TOKEN = "labgen-test-token"
USER = "system:serviceaccount:ci:labgen-tester"


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


BUILTIN = (
    Resource("", "v1", "configmaps", "ConfigMap", True),
    Resource("apps", "v1", "deployments", "Deployment", True),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    Resource(
        "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False
    ),
)
CRD = BUILTIN[3]


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.status: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": details or {},
            "code": code,
        }


def leaves(obj: Any, prefix: FieldPath = ()) -> dict[FieldPath, Any]:
    """Leaf paths of a manifest; maps recurse (an empty one sets nothing), lists and scalars
    are leaves (atomic)."""
    if isinstance(obj, dict):
        out: dict[FieldPath, Any] = {}
        for key, value in obj.items():
            out.update(leaves(value, (*prefix, key)))
        return out
    return {prefix: obj}


def _owned_paths(body: Obj) -> dict[FieldPath, Any]:
    """What an apply body sets, less the identity fields nobody owns."""
    identity = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}
    return {p: v for p, v in leaves(body).items() if p not in identity}


def _get(obj: Obj, path: FieldPath) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _ABSENT
        node = node[key]
    return node


def _set(obj: Obj, path: FieldPath, value: Any) -> None:
    node = obj
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = copy.deepcopy(value)


def _delete(obj: Obj, path: FieldPath) -> None:
    parents = [obj]
    for key in path[:-1]:
        child = parents[-1].get(key)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(parents) - 1, 0, -1):  # prune maps left empty
        if not parents[depth]:
            parents[depth - 1].pop(path[depth - 1], None)


_ABSENT = object()


@dataclass
class Stored:
    object: Obj
    owners: dict[str, set[FieldPath]] = field(default_factory=dict)


class FakeKubernetes:
    """The fake's state, helpers for tests to arrange it, and the HTTP server."""

    def __init__(self, kubernetes_version: str = "v1.33.4") -> None:
        self.kubernetes_version = kubernetes_version
        self.store: dict[tuple[str, str, str], Stored] = {}  # (resource, namespace, name)
        self.namespaces: set[str] = {"default", "kube-system"}
        self.denied: set[tuple[str, str]] = set()  # (verb, plural)
        self.requests: list[tuple[str, str, dict[str, str], str]] = []
        self.on_list: Callable[[int], None] | None = None
        self.list_count = 0
        self._revision = 100
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- arranging state ---------------------------------------------------------------

    def _bump(self) -> str:
        self._revision += 1
        return str(self._revision)

    def put(self, obj: Obj, manager: str = "kubectl-client-side-apply") -> Obj:
        """Create or replace an object as another client would (an Update by ``manager``)."""
        with self._lock:
            resource = self._resource_for(obj["apiVersion"], obj["kind"])
            meta = obj["metadata"]
            namespace = meta.get("namespace", "") if resource.namespaced else ""
            key = (resource.qualified, namespace, meta["name"])
            new = copy.deepcopy(obj)
            previous = self.store.get(key)
            new_meta = new["metadata"]
            new_meta.setdefault("uid", f"uid-{meta['name']}")
            new_meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
            generation = previous.object["metadata"]["generation"] if previous else 0
            new_meta["generation"] = generation + 1
            new_meta["resourceVersion"] = self._bump()
            owners = {manager: set(_owned_paths(obj))}
            self.store[key] = Stored(new, owners)
            if namespace:
                self.namespaces.add(namespace)
            return new

    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj | None:
        resource = self._resource_for(api_version, kind)
        stored = self.store.get((resource.qualified, namespace, name))
        return copy.deepcopy(stored.object) if stored else None

    def set_status(self, namespace: str, name: str, status: Obj) -> None:
        """What Argo CD's controller does: write an Application's status."""
        with self._lock:
            stored = self.store[("applications.argoproj.io", namespace, name)]
            stored.object["status"] = copy.deepcopy(status)
            stored.object["metadata"]["resourceVersion"] = self._bump()

    def deny(self, verb: str, plural: str) -> None:
        self.denied.add((verb, plural))

    def install_crd(self, group: str, plural: str, kind: str, version: str) -> None:
        self.put(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{plural}.{group}"},
                "spec": {
                    "group": group,
                    "names": {"plural": plural, "kind": kind, "singular": kind.lower()},
                    "scope": "Namespaced",
                    "versions": [{"name": version, "served": True, "storage": True}],
                },
            },
            manager="argocd-install",
        )

    def install_argocd(
        self,
        namespace: str = "argocd",
        *,
        version_label: str | None = "v3.1.5",
        image: str = "quay.io/argoproj/argocd:v3.1.5",
        operator: bool = False,
        components: tuple[str, ...] = ("server", "repo-server"),
    ) -> None:
        """Argo CD as its install manifests (or OpenShift GitOps' operator) leave it
        (``support.argocd_standin``), with the CRDs it brings."""
        self.install_crd("argoproj.io", "applications", "Application", "v1alpha1")
        self.install_crd("argoproj.io", "appprojects", "AppProject", "v1alpha1")
        if operator:
            self.install_crd("argoproj.io", "argocds", "ArgoCD", "v1beta1")
        self.namespaces.add(namespace)
        objects = argocd_standin(
            namespace, operator=operator, version_label=version_label, image=image,
            components=components, settings=not operator,
        )  # fmt: skip
        for item in objects:
            self.put(
                item, manager="gitops-operator" if item["kind"] == "ArgoCD" else "argocd-install"
            )

    # -- serving -------------------------------------------------------------------------

    def _resources(self) -> Iterator[Resource]:
        yield from BUILTIN
        for (qualified, _, _), stored in list(self.store.items()):
            if qualified != CRD.qualified:
                continue
            spec = stored.object["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    yield Resource(
                        spec["group"],
                        version["name"],
                        spec["names"]["plural"],
                        spec["names"]["kind"],
                        spec["scope"] == "Namespaced",
                    )

    def _resource_for(self, api_version: str, kind: str) -> Resource:
        for resource in self._resources():
            if resource.api_version == api_version and resource.kind == kind:
                return resource
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _route(self, path: str) -> tuple[Resource, str, str] | None:
        """(resource, namespace, name) of a resource path; None for anything else."""
        match = re.fullmatch(
            r"/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
            r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?",
            path,
        )
        if match is None:
            return None
        group = match["group"] or ""
        version = match["core"] or match["version"]
        for resource in self._resources():
            if (resource.group, resource.version, resource.plural) == (
                group,
                version,
                match["plural"],
            ):
                if resource.namespaced != (match["ns"] is not None):
                    return None
                return resource, match["ns"] or "", match["name"] or ""
        return None

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Obj:
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        content_type = headers.get("content-type", "")
        with self._lock:
            self.requests.append((method, url.path, query, content_type))
            if headers.get("authorization") != f"Bearer {TOKEN}":
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if method == "GET" and url.path.rstrip("/") == "/version":
                minor = self.kubernetes_version.split(".")[1]
                return {"major": "1", "minor": minor, "gitVersion": self.kubernetes_version}
            route = self._route(url.path)
            if route is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            resource, namespace, name = route
            verb = {"GET": "get" if name else "list", "PATCH": "patch"}.get(method)
            if verb is None or (verb == "patch" and not name):
                raise ApiError(405, "MethodNotAllowed", f"{method} is not supported by the fake")
            if (verb, resource.plural) in self.denied:
                raise self._forbidden(verb, resource, namespace, name)
            if verb == "get":
                stored = self.store.get((resource.qualified, namespace, name))
                if stored is None:
                    raise self._not_found(resource, name)
                return copy.deepcopy(stored.object)
            if verb == "list":
                return self._list(resource, namespace, query.get("labelSelector", ""))
            request = self._apply_request(resource, namespace, name, query, content_type, body)
            return self._apply(resource, namespace, name, request)

    def _forbidden(self, verb: str, resource: Resource, namespace: str, name: str) -> ApiError:
        what = f'{resource.qualified} "{name}"' if name else resource.qualified
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        return ApiError(
            403,
            "Forbidden",
            f'{what} is forbidden: User "{USER}" cannot {verb} resource "{resource.plural}" '
            f'in API group "{resource.group}"{where}',
            {"name": name, "group": resource.group, "kind": resource.plural},
        )

    @staticmethod
    def _not_found(resource: Resource, name: str) -> ApiError:
        return ApiError(
            404,
            "NotFound",
            f'{resource.qualified} "{name}" not found',
            {"name": name, "group": resource.group, "kind": resource.plural},
        )

    def _list(self, resource: Resource, namespace: str, selector: str) -> Obj:
        terms = []
        for term in filter(None, selector.split(",")):
            key, sep, value = term.partition("=")
            if not sep:
                raise ApiError(400, "BadRequest", f"the fake supports only k=v selectors: {term}")
            terms.append((key, value.lstrip("=")))
        if resource.plural == "applications":
            self.list_count += 1
            if self.on_list is not None:
                self.on_list(self.list_count)
        items = []
        for (qualified, ns, _), stored in sorted(self.store.items()):
            labels = stored.object["metadata"].get("labels", {})
            matches = all(labels.get(k) == v for k, v in terms)
            if qualified == resource.qualified and ns == namespace and matches:
                items.append(copy.deepcopy(stored.object))
        return {
            "apiVersion": resource.api_version,
            "kind": f"{resource.kind}List",
            "metadata": {"resourceVersion": str(self._revision)},
            "items": items,
        }

    def _apply_request(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        query: dict[str, str],
        content_type: str,
        raw: bytes,
    ) -> tuple[str, str | None, bool, Obj]:
        """An apply request checked as the API server checks it: manager, dry run, force,
        body."""
        if content_type.split(";", maxsplit=1)[0].strip() != APPLY:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the fake accepts only {APPLY} patches, not {content_type or 'none'}",
            )
        manager = query.get("fieldManager", "")
        if not manager:
            raise ApiError(400, "BadRequest", "fieldManager is required for apply requests")
        dry_run = query.get("dryRun")
        if dry_run not in (None, "All"):
            raise ApiError(400, "BadRequest", f"Invalid dry run value: {dry_run}")
        force = query.get("force") == "true"
        body = yaml.safe_load(raw)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of an apply patch must be an object")
        meta = body.get("metadata") or {}
        if (body.get("apiVersion"), body.get("kind")) != (resource.api_version, resource.kind):
            raise ApiError(
                400, "BadRequest", f"body is {body.get('apiVersion')} {body.get('kind')}"
            )
        if meta.get("name") != name or meta.get("namespace", namespace) != namespace:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({meta.get('name')}) does not match the name on "
                f"the URL ({name})",
            )
        if namespace and namespace not in self.namespaces:
            raise ApiError(
                404,
                "NotFound",
                f'namespaces "{namespace}" not found',
                {"name": namespace, "kind": "namespaces"},
            )
        return manager, dry_run, force, body

    def _apply(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        request: tuple[str, str | None, bool, Obj],
    ) -> Obj:
        manager, dry_run, force, body = request
        key = (resource.qualified, namespace, name)
        stored = self.store.get(key)
        if stored is None and ("create", resource.plural) in self.denied:
            # An apply that creates the object is authorized as a create too.
            raise self._forbidden("create", resource, namespace, name)
        live = copy.deepcopy(stored.object) if stored else {}
        owners = {m: set(p) for m, p in (stored.owners if stored else {}).items()}
        applied = _owned_paths(body)
        conflicts = sorted(
            (other, path)
            for other, paths in owners.items()
            if other != manager
            for path in paths & set(applied)
            if _get(live, path) != applied[path]
        )
        if conflicts and not force:
            lines = [f'conflict with "{m}": .{".".join(p)}' for m, p in conflicts]
            count = len(conflicts)
            raise ApiError(
                409,
                "Conflict",
                f"Apply failed with {count} conflict{'s' if count > 1 else ''}: "
                + "\n".join(lines),
                {
                    "causes": [
                        {
                            "type": "FieldManagerConflict",
                            "message": f'conflict with "{m}"',
                            "field": "." + ".".join(p),
                        }
                        for m, p in conflicts
                    ]
                },
            )
        for other, path in conflicts:  # force: the applier takes the fields over
            owners[other].discard(path)
        new = copy.deepcopy(live) or {"apiVersion": body["apiVersion"], "kind": body["kind"]}
        still_owned = set().union(*(p for m, p in owners.items() if m != manager))
        for path in owners.get(manager, set()) - set(applied) - still_owned:
            _delete(new, path)
        for path, value in applied.items():
            _set(new, path, value)
        owners[manager] = set(applied)
        owners = {m: p for m, p in owners.items() if p}
        new_meta = new.setdefault("metadata", {})
        new_meta["name"] = name
        if namespace:
            new_meta["namespace"] = namespace
        changed = stored is None or new != stored.object or owners != stored.owners
        if not changed:
            return copy.deepcopy(stored.object) if stored else new
        if stored is None:
            new_meta.update(uid=f"uid-{name}", creationTimestamp="2026-01-01T00:00:00Z")
            new_meta["generation"] = 1
        elif _spec(new) != _spec(stored.object):
            new_meta["generation"] = stored.object["metadata"].get("generation", 1) + 1
        if dry_run:
            return new  # nothing stored; the resourceVersion stays the live one (or none)
        new_meta["resourceVersion"] = self._bump()
        self.store[key] = Stored(new, owners)
        return copy.deepcopy(new)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    code, payload = 200, fake.handle(self.command, self.path, headers, body)
                except ApiError as exc:
                    code, payload = exc.status["code"], exc.status
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _spec(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def write_kubeconfig(path: Path, server: str, token: str = TOKEN) -> Path:
    """A kubeconfig with context ``fake`` (current) and ``stale`` (a rejected token)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [
            {"name": "tester", "user": {"token": token}},
            {"name": "stale", "user": {"token": "expired"}},
        ],
        "contexts": [
            {"name": "fake", "context": {"cluster": "fake", "user": "tester"}},
            {"name": "stale", "context": {"cluster": "fake", "user": "stale"}},
        ],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(config))
    return path
