"""Strict validation of Kubernetes objects against upstream schemas.

Core kinds use the strict schemas bundled with the ``kubernetes-validate`` package for the
lab's Kubernetes minor version; custom resources use kubeconform-layout directories
(``{group}/{kind}_{version}.json``): the ones given, then the strict schemas of the CRDs of
every release labgen pins, shipped with it (``labgen/crd_schemas``, see its ``SOURCES.md``).
Each schema is compiled once (by ``jsonschema-rs``: compiled validators check thousands of
objects per millisecond, where a pure-Python validator was the bottleneck of a check). A
kind without a schema is an error, never a skip.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from labgen.errors import LabgenError

SHIPPED_DIR = Path(__file__).resolve().parent / "crd_schemas"
"""The strict schemas of the pinned releases' CRDs (``scripts/ship_crd_schemas.py``)."""

_CORE_ROOT = "kubernetes-json-schema"
_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"


class SchemaNotFound(LabgenError):
    """No schema is known for an apiVersion/kind."""


@dataclass(frozen=True)
class SchemaError:
    path: str
    message: str
    location: tuple[str | int, ...] = field(default=(), compare=False)
    """The path as keys and indexes (for mapping it to a line of the source file)."""
    line: int | None = field(default=None, compare=False)
    """Line in the committed file, when the object could be mapped to one."""

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message}"


def _core_dir(kubernetes_version: str) -> Any:
    # The package's data, found without importing it (its __init__ imports jsonschema).
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise SchemaNotFound("kubernetes-validate is not installed")
    base = Path(next(iter(spec.submodule_search_locations))) / _CORE_ROOT
    wanted = tuple(int(x) for x in kubernetes_version.split("."))
    versions = sorted(
        (tuple(int(x) for x in d.name[1:].split("-")[0].split(".")[:2]), d.name)
        for d in base.iterdir()
        if d.name.endswith("-local-strict")
    )
    usable = [name for version, name in versions if version <= wanted]
    if not usable:
        raise SchemaNotFound(
            f"kubernetes-validate has no schemas for Kubernetes {kubernetes_version}"
        )
    return base.joinpath(usable[-1])


class SchemaSet:
    """Validators for core kinds of one Kubernetes version plus CRD schema directories."""

    def __init__(self, kubernetes_version: str, crd_dirs: Iterable[Path | str]) -> None:
        self.kubernetes_version = kubernetes_version
        self.crd_dirs = (*(Path(d) for d in crd_dirs), SHIPPED_DIR)
        self._core = _core_dir(kubernetes_version)
        self._validators: dict[tuple[str, str], Any] = {}
        self._registry: jsonschema_rs.Registry | None = None

    def _core_registry(self) -> jsonschema_rs.Registry:
        if self._registry is None:
            definitions = json.loads(self._core.joinpath("_definitions.json").read_text())
            self._registry = jsonschema_rs.Registry([(_DEFINITIONS_URI, definitions)])
        return self._registry

    def warm(self) -> None:
        """Build the core registry now (before forking workers that share it)."""
        self._core_registry()

    def validator(self, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        if key not in self._validators:
            self._validators[key] = self._load(api_version, kind)
        return self._validators[key]

    def _load(self, api_version: str, kind: str) -> Any:
        group, _, version = api_version.rpartition("/")
        # kubernetes-validate names files <kind>-<first label of group>-<version>.json.
        core_name = "-".join(p for p in (kind.lower(), group.split(".")[0], version) if p)
        candidate = self._core.joinpath(f"{core_name}.json")
        core_group = "." not in group or group.endswith(".k8s.io")
        if core_group and candidate.is_file():
            schema = json.loads(candidate.read_text())
            return jsonschema_rs.validator_for(schema, registry=self._core_registry())
        for directory in self.crd_dirs:
            path = directory / group / f"{kind.lower()}_{version}.json"
            if path.is_file():
                schema = json.loads(path.read_text())
                schema.setdefault("$schema", "http://json-schema.org/draft-04/schema#")
                try:
                    return jsonschema_rs.validator_for(schema)
                except jsonschema_rs.ValidationError:
                    # jsonschema-rs checks patterns as ECMA-262 regexes and refuses inline
                    # flags such as `(?i)` (e.g. PrometheusRule); Python's validator runs them.
                    return _PythonValidator(schema)
        given = [str(d) for d in self.crd_dirs if d != SHIPPED_DIR]
        raise SchemaNotFound(
            f"no schema for {kind} {api_version} (Kubernetes {self.kubernetes_version}; "
            f"not a CRD of labgen's pinned releases; CRD dirs: {', '.join(given) or 'none'})"
        )

    def validate(self, obj: Mapping[str, Any]) -> list[SchemaError]:
        """Every schema error of ``obj`` (raises SchemaNotFound when there is no schema)."""
        validator = self.validator(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        if validator.is_valid(obj):
            return []
        errors = {
            SchemaError(_json_path(e.instance_path), e.message, tuple(e.instance_path))
            for e in validator.iter_errors(obj)
        }
        return sorted(errors, key=lambda e: (e.path, e.message))


class _PythonValidator:
    """The slow path, with jsonschema-rs's interface."""

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema  # rarely needed: imported only then

        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
        self._validator = cls(schema)

    def is_valid(self, obj: Any) -> bool:
        return bool(self._validator.is_valid(obj))

    def iter_errors(self, obj: Any) -> Iterator[Any]:
        for error in self._validator.iter_errors(obj):
            error.instance_path = list(error.absolute_path)
            yield error


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".")
