"""The test harness's in-process client of the real API server (tests/k8s_server.py),
through the `kubernetes` client's connection pool (keep-alive): requests with the
server's ``Warning`` headers, discovery of resource paths and scopes, and the upstream
CRDs, which are installed on demand.

The first time an object of a kind the server does not serve is applied, the upstream CRD
(``../shared/crds``) that defines the kind is created and waited for (Established), as if
the cluster had had it all along. A session pays the API server's work for a CRD (mostly
building its OpenAPI models: about 37 CPU-seconds for all 73, 9 for the 32 the default
tier uses) only for the CRDs its tests use.
"""

from __future__ import annotations

import functools
import json
import re
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import yaml_rs
from kubernetes import client as k8s
from kubernetes.config.kube_config import load_kube_config

# One warning of a ``Warning`` header (RFC 9111 5.5): code, agent, quoted text, optional
# date; a header may carry several, comma-joined.
_WARNING = re.compile(r'(\d{3}) (\S+) "((?:[^"\\]|\\.)*)"(?: "[^"]*")?')


def warning_texts(header: str) -> list[str]:
    """The texts of the warnings in one ``Warning`` header value."""
    return [re.sub(r"\\(.)", r"\1", m[3]) for m in _WARNING.finditer(header)]


@dataclass(frozen=True)
class Response:
    status: int
    body: Any
    warnings: tuple[str, ...] = ()  # the server's Warning headers' texts, in order

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """What a refusal says: the Status object's reason and message."""
        body = self.body if isinstance(self.body, dict) else {}
        reason = f" {body['reason']}" if body.get("reason") else ""
        return f"{self.status}{reason}: {body.get('message', self.body)}"


@dataclass(frozen=True)
class Resource:
    """How the server serves a kind: its plural (the path segment) and scope."""

    plural: str
    namespaced: bool


def api_base(api_version: str) -> str:
    """The path of a group-version: ``/api/v1`` for the core group, else ``/apis/{gv}``."""
    return f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"


@dataclass(frozen=True)
class UpstreamCrd:
    name: str
    path: Path


@functools.cache
def upstream_crds(directory: Path) -> dict[tuple[str, str], UpstreamCrd]:
    """The CRDs of ``directory`` (one per file) by (group, kind). Read with yaml-rs for
    speed (28 MB); the server reads each file itself when it is created."""
    found = {}
    for path in sorted(directory.rglob("*.yaml")):
        doc = yaml_rs.loads(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            key = (doc["spec"]["group"], doc["spec"]["names"]["kind"])
            found[key] = UpstreamCrd(doc["metadata"]["name"], path)
    return found


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


class Client:
    """Requests to the API server of a kubeconfig, as its user."""

    def __init__(self, kubeconfig: Path, crds: Path) -> None:
        configuration = k8s.Configuration()
        load_kube_config(
            config_file=str(kubeconfig), client_configuration=configuration, persist_config=False
        )
        self._api = k8s.ApiClient(configuration)
        self._crds = crds

    def close(self) -> None:
        self._api.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
    ) -> Response:
        """One request; ``body`` a string is sent as it is, anything else as JSON (JSON
        is YAML, for the YAML content types)."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        with warnings.catch_warnings():  # the test server's certificate is self-signed
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            serialized = self._api.param_serialize(
                method, path, query_params=list((query or {}).items()), header_params=headers,
                body=body, auth_settings=["BearerToken"],
            )  # fmt: skip
            raw = self._api.call_api(*serialized, _request_timeout=(10.0, 120.0))
            data = raw.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode() if isinstance(data, bytes) else data
        headers_in = raw.response.headers  # urllib3's: repeated headers kept apart
        texts = tuple(t for value in headers_in.getlist("Warning") for t in warning_texts(value))
        return Response(raw.status, parsed, texts)

    def apply(
        self, path: str, item: dict[str, Any], manager: str, *, force: bool, dry_run: bool
    ) -> Response:
        """Server-side apply of one object at ``path``, with what ``kubectl apply
        --server-side`` sends (strict field validation)."""
        query = {"fieldManager": manager, "fieldValidation": "Strict", "force": str(force).lower()}
        if dry_run:
            query["dryRun"] = "All"
        return self.request(
            "PATCH", path, item, content_type="application/apply-patch+yaml", query=query
        )

    def resources(self, api_version: str) -> dict[str, Resource]:
        """The kinds the server serves in ``api_version`` (discovery), none if it serves
        no such group-version."""
        response = self.request("GET", api_base(api_version))
        if response.status == 404:
            return {}
        if not response.ok:
            raise AssertionError(f"discovery of {api_version}: {response.message}")
        return {
            r["kind"]: Resource(r["name"], r["namespaced"])
            for r in response.body.get("resources", [])
            if "/" not in r["name"]  # subresources (status, scale) share their kind
        }

    # -- upstream CRDs ------------------------------------------------------------------

    def upstream_index(self) -> dict[tuple[str, str], UpstreamCrd]:
        return upstream_crds(self._crds)

    def install_crds_named(self, names: Iterable[str]) -> list[str]:
        by_name = {crd.name: crd for crd in upstream_crds(self._crds).values()}
        return self.create_crds([by_name[name] for name in names])

    def create_crds(self, crds: list[UpstreamCrd]) -> list[str]:
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        created = []
        for crd in crds:
            text = crd.path.read_text()
            response = self.request("POST", path, text, content_type="application/yaml")
            if response.status == 409:  # AlreadyExists
                continue
            if not response.ok:
                raise AssertionError(f"creating CRD {crd.name}: {response.message}")
            created.append(crd.name)
        self.wait_established(created)
        return created

    def wait_established(self, names: Iterable[str], timeout: float = 120.0) -> None:
        """Wait until each CRD is Established and discovery serves its kind in every
        served version: discovery follows Established by a moment, and a request in
        between finds no such kind."""
        path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                response = self.request("GET", f"{path}/{name}")
                conditions = ((response.body or {}).get("status") or {}).get("conditions") or []
                if response.ok and any(
                    c["type"] == "Established" and c["status"] == "True" for c in conditions
                ):
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"CRD {name} not Established after {timeout} s")
                time.sleep(0.05)
            spec = response.body["spec"]
            for version in (v["name"] for v in spec["versions"] if v.get("served")):
                while spec["names"]["kind"] not in self.resources(f"{spec['group']}/{version}"):
                    if time.monotonic() > deadline:
                        raise AssertionError(f"CRD {name} not in discovery after {timeout} s")
                    time.sleep(0.05)
