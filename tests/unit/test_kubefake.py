"""The Kubernetes API fake keeps the server-side apply rules the cluster tests rely on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubefake import APPLY, TOKEN, ApiError, FakeKubernetes

PATH = "/api/v1/namespaces/argocd/configmaps/cm"


def cm(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "argocd"},
        "data": data,
    }


def apply(
    fake: FakeKubernetes, body: dict[str, Any], query: str = "fieldManager=me", **headers: str
) -> dict[str, Any]:
    sent = {"authorization": f"Bearer {TOKEN}", "content-type": APPLY, **headers}
    return fake.handle("PATCH", f"{PATH}?{query}", sent, json.dumps(body).encode())


@pytest.fixture
def fake() -> FakeKubernetes:
    server = FakeKubernetes()
    server.namespaces.add("argocd")
    return server


def test_resource_version_moves_only_on_change(fake: FakeKubernetes) -> None:
    first = apply(fake, cm(a="1"))
    again = apply(fake, cm(a="1"))
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    changed = apply(fake, cm(a="2"))
    assert int(changed["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_fields_a_manager_stops_applying_are_removed_unless_shared(fake: FakeKubernetes) -> None:
    apply(fake, cm(a="1", b="2"))
    apply(fake, cm(b="2"), "fieldManager=other")  # shares b
    result = apply(fake, cm())
    assert result["data"] == {"b": "2"}


def test_conflicts_and_force(fake: FakeKubernetes) -> None:
    apply(fake, cm(a="1"), "fieldManager=other")
    with pytest.raises(ApiError) as raised:
        apply(fake, cm(a="2"))
    assert raised.value.status["code"] == 409
    assert raised.value.status["details"]["causes"][0]["field"] == ".data.a"
    assert apply(fake, cm(a="1"))["data"] == {"a": "1"}  # same value: shared, no conflict
    assert apply(fake, cm(a="2"), "fieldManager=me&force=true")["data"] == {"a": "2"}
    assert fake.store["configmaps", "argocd", "cm"].owners == {"me": {("data", "a")}}


def test_dry_run_stores_nothing(fake: FakeKubernetes) -> None:
    result = apply(fake, cm(a="1"), "fieldManager=me&dryRun=All")
    assert result["data"] == {"a": "1"}
    assert "resourceVersion" not in result["metadata"]
    assert not fake.store


@pytest.mark.parametrize(
    ("query", "headers", "code"),
    [
        ("fieldManager=me", {"content-type": "application/merge-patch+json"}, 415),
        ("", {}, 400),
        ("fieldManager=me&dryRun=Some", {}, 400),
        ("fieldManager=me", {"authorization": "Bearer nope"}, 401),
    ],
)
def test_malformed_requests(
    fake: FakeKubernetes, query: str, headers: dict[str, str], code: int
) -> None:
    with pytest.raises(ApiError) as raised:
        apply(fake, cm(a="1"), query, **headers)
    assert raised.value.status["code"] == code
    assert raised.value.status["kind"] == "Status"
