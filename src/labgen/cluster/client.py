"""The Kubernetes API as labgen uses it: a client built from a kubeconfig, the handful of
calls bootstrap and status make, and every failure turned into a `ClusterError` that says
what to do instead of a traceback.

Responses are read as plain JSON objects (``_preload_content=False``), not as the client's
generated models: labgen compares and prints them like the manifests it renders.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import list_kube_config_contexts, load_kube_config

from labgen.components.base import K8sObject
from labgen.errors import LabgenError

FIELD_MANAGER = "labgen"
APPLY_PATCH = "application/apply-patch+yaml"
# (connect, read) seconds for every request.
REQUEST_TIMEOUT = (10.0, 60.0)
DEFAULT_KUBECONFIG = "~/.kube/config"


class ClusterError(LabgenError):
    """The cluster could not be reached, refused a request, or lacks what labgen needs."""


@dataclass(frozen=True)
class Kind:
    """Where the API serves one kind: group, version, plural resource name, scope."""

    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


# Every kind labgen reads or applies in a cluster.
KINDS: dict[tuple[str, str], Kind] = {
    ("v1", "ConfigMap"): Kind("", "v1", "configmaps", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): Kind(
        "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False
    ),
    ("argoproj.io/v1alpha1", "AppProject"): Kind("argoproj.io", "v1alpha1", "appprojects", True),
    ("argoproj.io/v1alpha1", "Application"): Kind("argoproj.io", "v1alpha1", "applications", True),
    ("argoproj.io/v1beta1", "ArgoCD"): Kind("argoproj.io", "v1beta1", "argocds", True),
}
APPLICATION = KINDS["argoproj.io/v1alpha1", "Application"]


def kind_of(item: K8sObject) -> Kind:
    try:
        return KINDS[item["apiVersion"], item["kind"]]
    except KeyError:
        raise ClusterError(
            f"labgen does not know where the API serves {item['apiVersion']} {item['kind']}"
        ) from None


def describe(item: K8sObject) -> str:
    """``Kind namespace/name`` (or ``Kind name`` when cluster-scoped)."""
    meta = item["metadata"]
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{item['kind']} {where}{meta['name']}"


def status_message(exc: k8s.ApiException) -> str:
    """The ``message`` of the Status object a Kubernetes API error carries, else its reason."""
    with contextlib.suppress(ValueError, TypeError):
        body = json.loads(exc.body or "")
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])
    return str(exc.reason or "no message")


class Cluster:
    """One kubeconfig context: the API calls labgen makes, errors made readable."""

    def __init__(
        self, api: k8s.ApiClient, context: str, server: str, *, insecure: bool = False
    ) -> None:
        self.api = api
        self.context = context
        self.server = server
        self.insecure = insecure
        """The context skips TLS verification (``insecure-skip-tls-verify``): said once by
        the CLI, instead of urllib3's warning on every request."""

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            with warnings.catch_warnings():
                if self.insecure:
                    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                yield
        except k8s.ApiException as exc:
            message = status_message(exc)
            if exc.status == 401:
                raise ClusterError(
                    f"{action}: unauthorized (401): the API server at {self.server} rejected the "
                    f"credentials of context {self.context!r}; log in again ({message})"
                ) from None
            if exc.status == 403:
                raise ClusterError(f"{action}: forbidden (403): {message}") from None
            if exc.status == 409:
                raise ClusterError(
                    f"{action}: conflict (409): {message}\nAnother field manager set these "
                    "fields to other values; rerun with --force-conflicts to take them over "
                    "(labgen's values win)"
                ) from None
            raise ClusterError(f"{action}: {exc.status} {exc.reason}: {message}") from None
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ClusterError(
                f"cannot reach the Kubernetes API server at {self.server} "
                f"(context {self.context!r}): {reason}"
            ) from None

    def _json(self, response: Any) -> K8sObject:
        data = json.loads(response.data)
        if not isinstance(data, dict):
            raise ClusterError(f"{self.server} answered with something other than an object")
        return data

    def server_version(self) -> str:
        with self._errors("reading the server version"):
            response = k8s.VersionApi(self.api).get_code(
                _preload_content=False, _request_timeout=REQUEST_TIMEOUT
            )
        return str(self._json(response).get("gitVersion", "unknown"))

    def crd(self, name: str) -> K8sObject | None:
        """A CustomResourceDefinition, or None when the cluster has none of that name."""
        api = k8s.ApiextensionsV1Api(self.api)
        with self._errors(f"reading CustomResourceDefinition {name}"):
            try:
                response = api.read_custom_resource_definition(
                    name, _preload_content=False, _request_timeout=REQUEST_TIMEOUT
                )
            except k8s.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return self._json(response)

    def deployments(self, namespace: str, selector: str) -> list[K8sObject]:
        api = k8s.AppsV1Api(self.api)
        with self._errors(f"listing Deployments in namespace {namespace}"):
            response = api.list_namespaced_deployment(
                namespace,
                label_selector=selector,
                _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT,
            )
        return list(self._json(response).get("items", []))

    def list(self, kind: Kind, namespace: str, selector: str) -> list[K8sObject]:
        """Custom objects of ``kind`` in ``namespace`` matching a label selector."""
        api = k8s.CustomObjectsApi(self.api)
        resource = f"{kind.plural}.{kind.group}"
        with self._errors(f"listing {resource} in namespace {namespace}"):
            try:
                response = api.list_namespaced_custom_object(
                    kind.group,
                    kind.version,
                    namespace,
                    kind.plural,
                    label_selector=selector,
                    _preload_content=False,
                    _request_timeout=REQUEST_TIMEOUT,
                )
            except k8s.ApiException as exc:
                if exc.status == 404:
                    raise ClusterError(
                        f"the cluster in context {self.context!r} serves no {resource} "
                        f"{kind.version}: is Argo CD installed?"
                    ) from None
                raise
        return list(self._json(response).get("items", []))

    def read(self, item: K8sObject) -> K8sObject | None:
        """The live object ``item`` names, or None when it does not exist."""
        kind, meta = kind_of(item), item["metadata"]
        with self._errors(f"reading {describe(item)}"):
            try:
                response = self._call(kind, meta["name"], meta.get("namespace"))
            except k8s.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return self._json(response)

    def apply(self, item: K8sObject, *, dry_run: bool, force: bool) -> K8sObject:
        """Server-side apply of ``item`` as field manager ``labgen``; the server's result.

        ``force`` takes over fields another manager set to other values (the server
        refuses the apply with 409 Conflict otherwise)."""
        kind, meta = kind_of(item), item["metadata"]
        options: dict[str, Any] = {
            "field_manager": FIELD_MANAGER,
            "_content_type": APPLY_PATCH,
        }
        if force:
            options["force"] = True
        if dry_run:
            options["dry_run"] = "All"
        with self._errors(f"applying {describe(item)}"):
            response = self._call(kind, meta["name"], meta.get("namespace"), item, options)
        return self._json(response)

    def _call(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        body: K8sObject | None = None,
        options: dict[str, Any] | None = None,
    ) -> Any:
        """A read, or with a body a patch. Core kinds go through CoreV1Api; objects of named
        API groups through CustomObjectsApi, whose generic /apis/{group}/{version} endpoints
        serve any group's resources (built-in ones such as RBAC too)."""
        kwargs: dict[str, Any] = {
            **(options or {}),
            "_preload_content": False,
            "_request_timeout": REQUEST_TIMEOUT,
        }
        if not kind.group:
            if kind.plural != "configmaps":
                raise ClusterError(f"labgen does not read or apply core {kind.plural}")
            core = k8s.CoreV1Api(self.api)
            assert namespace is not None
            if body is None:
                return core.read_namespaced_config_map(name, namespace, **kwargs)
            return core.patch_namespaced_config_map(name, namespace, body, **kwargs)
        custom = k8s.CustomObjectsApi(self.api)
        scope = "namespaced" if kind.namespaced else "cluster"
        method = getattr(custom, f"{'get' if body is None else 'patch'}_{scope}_custom_object")
        where = [namespace] if kind.namespaced else []
        payload = [] if body is None else [body]
        return method(kind.group, kind.version, *where, kind.plural, name, *payload, **kwargs)


def kubeconfig_paths(kubeconfig: Path | None) -> str:
    """The kubeconfig search path: --kubeconfig, else $KUBECONFIG (several files joined by
    the OS path separator, as kubectl reads it), else ~/.kube/config."""
    if kubeconfig is not None:
        return str(kubeconfig)
    return os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG


def connect(kubeconfig: Path | None = None, context: str | None = None) -> Cluster:
    """A `Cluster` for ``context`` (default: the kubeconfig's current context)."""
    paths = kubeconfig_paths(kubeconfig)
    existing = [p for p in paths.split(os.pathsep) if p and Path(p).expanduser().is_file()]
    if not existing:
        raise ClusterError(
            f"no kubeconfig at {paths}; pass --kubeconfig, set KUBECONFIG, or log in to the "
            "cluster first"
        )
    configuration = k8s.Configuration()
    try:
        contexts, current = list_kube_config_contexts(paths)
        names = [c["name"] for c in contexts or []]
        if context is not None and context not in names:
            raise ClusterError(
                f"kubeconfig {paths} has no context {context!r}; contexts: "
                f"{', '.join(names) or 'none'}"
            )
        load_kube_config(
            config_file=paths,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, yaml.YAMLError, OSError, KeyError, TypeError) as exc:
        raise ClusterError(f"kubeconfig {paths}: cannot use it: {exc}") from None
    name = context or (current or {}).get("name", "?")
    insecure = not configuration.verify_ssl
    return Cluster(k8s.ApiClient(configuration), name, configuration.host, insecure=insecure)
