"""The test harness's in-process client of the real API server (tests/k8s_server.py),
through the `kubernetes` client's connection pool: for the upstream CRDs, which are
installed on demand.

The first time an object of a kind the server does not serve is applied, the upstream CRD
(``../shared/crds``) that defines the kind is created and waited for (Established), as if
the cluster had had it all along. A session pays the API server's work for a CRD (mostly
building its OpenAPI models: about 37 CPU-seconds for all 73, 9 for the 32 the default
tier uses) only for the CRDs its tests use.
"""

from __future__ import annotations

import functools
import json
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


@dataclass(frozen=True)
class Response:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """What a refusal says: the Status object's reason and message."""
        body = self.body if isinstance(self.body, dict) else {}
        return f"{self.status} {body.get('reason', '')}: {body.get('message', self.body)}"


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
    ) -> Response:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        with warnings.catch_warnings():  # the test server's certificate is self-signed
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            serialized = self._api.param_serialize(
                method, path, header_params=headers, body=body,
                auth_settings=["BearerToken"],
            )  # fmt: skip
            raw = self._api.call_api(*serialized, _request_timeout=(10.0, 120.0))
            data = raw.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode() if isinstance(data, bytes) else data
        return Response(raw.status, parsed)

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
