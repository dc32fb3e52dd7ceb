"""labgen's CRD -> strict JSON Schema converter (`labgen schemas import`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import schemas_dir
from labgen.crds import CrdError, convert, crd_documents
from labgen.schemas import SchemaSet
from support import crd

_SPEC = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "description": "dropped",
            "properties": {
                "size": {"x-kubernetes-int-or-string": True},
                "note": {"type": "string", "nullable": True},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object"}},
                },
                "name": {"type": "string", "pattern": "^(?i)[a-z]+$"},
                "either": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}},
                    "anyOf": [{"properties": {"a": {"type": "string"}}}],
                },
            },
        }
    },
}


def _errors(schema: dict[str, Any], spec: dict[str, Any], tmp_path: Path) -> list[str]:
    (converted,) = convert(crd(schema))
    target = tmp_path / converted.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(converted.text())
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    return [str(e) for e in SchemaSet("1.33", [tmp_path]).validate({**widget, "spec": spec})]


def test_only_served_versions_are_converted() -> None:
    assert [c.relative_path for c in convert(crd(_SPEC))] == ["example.com/widget_v1.json"]
    assert convert(crd(_SPEC, served=False)) == []


def test_unknown_fields_are_errors(tmp_path: Path) -> None:
    assert _errors(_SPEC, {"sise": 1}, tmp_path) == [
        "spec: Additional properties are not allowed ('sise' was unexpected)"
    ]


@pytest.mark.parametrize(
    "spec",
    [
        {"size": 3},
        {"size": "50%"},
        {"note": None},
        {"extra": {"anything": {"goes": 1}}},
        {"labels": {"a": "b"}},
        {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}},
        {"name": "ABC"},
        {"either": {"a": "x"}},
    ],
)
def test_what_the_crd_allows_stays_allowed(spec: dict[str, Any], tmp_path: Path) -> None:
    assert _errors(_SPEC, spec, tmp_path) == []


@pytest.mark.parametrize(
    "spec",
    [{"size": [1]}, {"note": 3}, {"labels": {"a": 1}}, {"template": {"bogus": 1}}, {"name": "a1"}],
)
def test_what_the_crd_forbids_is_an_error(spec: dict[str, Any], tmp_path: Path) -> None:
    assert _errors(_SPEC, spec, tmp_path)


def test_the_root_pins_api_version_and_kind() -> None:
    (converted,) = convert(crd(_SPEC))
    root = converted.schema["properties"]
    assert root["apiVersion"]["enum"] == ["example.com/v1"]
    assert root["kind"]["enum"] == ["Widget"]
    assert "description" not in json.dumps(converted.schema)


def test_a_non_crd_is_refused() -> None:
    with pytest.raises(CrdError, match=r"not an apiextensions\.k8s\.io/v1"):
        convert({"apiVersion": "v1", "kind": "ConfigMap"})


@pytest.mark.slow
def test_reproduces_the_reference_schemas_of_every_upstream_crd() -> None:
    """Independent check: ../shared/schemas/crds were generated from ../shared/crds by
    another tool with the same documented rules; our converter must agree on every one,
    and produce no schema the reference set lacks."""
    shared = schemas_dir().parent
    if not (shared / "crds").is_dir():
        pytest.skip(f"{shared / 'crds'} not found: no upstream CRDs to convert")
    converted_paths = set()
    for origin, doc in crd_documents([shared / "crds"]):
        for converted in convert(doc, origin):
            reference = schemas_dir() / "crds" / converted.relative_path
            assert json.loads(reference.read_text()) == converted.schema, converted.relative_path
            converted_paths.add(converted.relative_path)
    references = {p.relative_to(schemas_dir() / "crds").as_posix() for p in _schema_files()}
    assert converted_paths == references


def _schema_files() -> list[Path]:
    return sorted((schemas_dir() / "crds").rglob("*.json"))


def test_every_upstream_schema_compiles(crd_schemas: Path) -> None:
    """Every schema compiles and is strict, including the ones of every custom resource
    kind labgen renders."""
    schemas = SchemaSet("1.33", [crd_schemas])
    checked = set()
    for path in _schema_files():
        root = json.loads(path.read_text())["properties"]
        (api_version,), (kind,) = root["apiVersion"]["enum"], root["kind"]["enum"]
        assert schemas.validate({"apiVersion": api_version, "kind": kind, "bogus": 1}), path
        checked.add((api_version.partition("/")[0], kind))
    rendered = {("nvidia.com", "ClusterPolicy"), ("karpenter.sh", "NodePool")}
    rendered |= {("cert-manager.io", "ClusterIssuer"), ("keda.sh", "ScaledObject")}
    rendered |= {("postgresql.cnpg.io", "Cluster"), ("monitoring.coreos.com", "ServiceMonitor")}
    assert rendered <= checked
