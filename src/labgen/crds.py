"""CRDs -> strict JSON Schemas in kubeconform's ``{group}/{kind}_{version}.json`` layout.

What makes them strict (our rules, written for labgen):
- every object schema with ``properties`` gets ``additionalProperties: false``, unless it
  is ``x-kubernetes-preserve-unknown-fields`` or already says what extra keys may hold;
- schemas under ``allOf``/``anyOf``/``oneOf``/``not`` stay open (they constrain a value
  the enclosing schema already describes, and closing them would reject valid objects);
- ``x-kubernetes-embedded-resource`` objects also accept ``apiVersion``, ``kind``, ``metadata``;
- ``x-kubernetes-int-or-string`` accepts an integer or a string;
- ``nullable: true`` adds ``"null"`` to the type;
- Go's ``^(?i)`` regex prefix becomes ``(?i)^``, which Python's ``re`` accepts;
- the root pins ``apiVersion`` and ``kind`` with an ``enum`` so a document only matches its
  own schema; descriptions are dropped.
CEL rules (``x-kubernetes-validations``) are kept as data; no JSON Schema validator runs them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from labgen.errors import LabgenError
from labgen.stdin import STDIN, STDIN_ORIGIN
from labgen.yamlio import YamlSyntaxError, load_all_safe

_DRAFT4 = "http://json-schema.org/draft-04/schema#"
_OPEN_BRANCHES = ("allOf", "anyOf", "oneOf", "not")
_EMBEDDED = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
}


class CrdError(LabgenError):
    """A file given to ``labgen schemas import`` is not a usable CRD."""


@dataclass(frozen=True)
class ConvertedSchema:
    group: str
    kind: str
    version: str
    schema: dict[str, Any]

    @property
    def relative_path(self) -> str:
        return f"{self.group}/{self.kind.lower()}_{self.version}.json"

    def text(self) -> str:
        return json.dumps(self.schema, sort_keys=True, separators=(",", ":")) + "\n"


def convert(crd: dict[str, Any], origin: str = "<crd>") -> list[ConvertedSchema]:
    """One strict schema per served version of an ``apiextensions.k8s.io/v1`` CRD."""
    if crd.get("apiVersion") != "apiextensions.k8s.io/v1" or crd.get("kind") != (
        "CustomResourceDefinition"
    ):
        raise CrdError(f"{origin}: not an apiextensions.k8s.io/v1 CustomResourceDefinition")
    spec = crd.get("spec") or {}
    group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
    if not group or not kind:
        raise CrdError(f"{origin}: spec.group and spec.names.kind are required")
    out = []
    for version in spec.get("versions") or []:
        if not version.get("served", False):
            continue
        raw = (version.get("schema") or {}).get("openAPIV3Schema")
        if raw is None:
            raise CrdError(f"{origin}: {kind} {version.get('name')} has no openAPIV3Schema")
        schema = _strict(raw, open_branch=False)
        properties = schema.setdefault("properties", {})
        properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        properties["kind"] = {"type": "string", "enum": [kind]}
        properties["metadata"] = {"type": "object"}
        schema["$schema"] = _DRAFT4
        out.append(ConvertedSchema(group, kind, version["name"], schema))
    return out


def _strict(node: Any, *, open_branch: bool) -> Any:
    """A CRD's OpenAPI schema as a strict JSON Schema (see ``import_crds``)."""
    if isinstance(node, list):
        return [_strict(item, open_branch=open_branch) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict_value(key, value) for key, value in node.items() if key != "description"}
    if out.pop("nullable", False) and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("x-kubernetes-embedded-resource"):
        out["properties"] = {**_EMBEDDED, **out.get("properties", {})}
    closed = (
        not open_branch
        and "properties" in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in out
    )
    if closed:
        out["additionalProperties"] = False
    return out


def _strict_value(key: str, value: Any) -> Any:
    """One keyword's value of a schema object, made strict below it."""
    if key in _OPEN_BRANCHES:
        return _strict(value, open_branch=True)
    if key in ("properties", "patternProperties", "definitions"):
        return {name: _strict(sub, open_branch=False) for name, sub in value.items()}
    if key in ("items", "additionalProperties") and isinstance(value, dict | list):
        return _strict(value, open_branch=False)
    if key == "pattern" and isinstance(value, str) and value.startswith("^(?i)"):
        return "(?i)^" + value[len("^(?i)") :]
    return value


def crd_documents(
    paths: Iterable[Path], stdin: BinaryIO | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(origin, document) for every CRD in the given files and directories (recursively);
    ``-`` (STDIN) reads a stream from ``stdin`` (default: standard input) as ``<stdin>``."""
    for path in paths:
        if path == STDIN:
            yield from _crds_in((stdin or sys.stdin.buffer).read(), STDIN_ORIGIN)
            continue
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            if (path.is_dir())
            else [path]
        )
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise CrdError(f"{file}: cannot read: {exc}") from None
            yield from _crds_in(data, str(file))


def _crds_in(data: bytes, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        docs = list(load_all_safe(data.decode(), name))
    except UnicodeDecodeError as exc:
        raise CrdError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except YamlSyntaxError as exc:
        raise CrdError(str(exc)) from None
    for index, doc in enumerate(docs):
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
            yield (f"{name}#{index}" if len(docs) > 1 else name), doc


def import_crds(paths: Iterable[Path], out_dir: Path, stdin: BinaryIO | None = None) -> list[Path]:
    """Convert every CRD found under ``paths`` (``-``: on ``stdin``) and write the schemas
    below ``out_dir``."""
    written = []
    for origin, doc in crd_documents(paths, stdin):
        for converted in convert(doc, origin):
            target = out_dir / converted.relative_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(converted.text())
            written.append(target)
    return written


# --- The schemas labgen ships (package data under ``labgen/crd_schemas``) ---------------

PROVENANCE = "SOURCES.md"

ARGO_CD_KINDS = ("Application", "AppProject", "ArgoCD")
"""The ``argoproj.io`` kinds labgen emits: Argo CD's own (no pinned release installs Argo
CD; the lab's cluster has it) and OpenShift GitOps' ``ArgoCD`` instance."""


@dataclass(frozen=True)
class CrdSource:
    """Where one upstream CRD file comes from (a row of ``../shared/crds/SOURCES.md``)."""

    file: str
    """``<group>/<plural>.<group>.yaml`` under the CRD directory."""
    repo: str
    path: str
    tag: str
    commit: str

    @property
    def group(self) -> str:
        return self.file.split("/", 1)[0]


def read_sources(table: str) -> list[CrdSource]:
    """The rows of a provenance table (``| file | repo | path | tag | commit | ...``): the
    upstream one of ``../shared/crds`` or the one shipped beside the schemas."""
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not cells[0].startswith("`") or "/" not in cells[0]:
            continue
        repo = cells[1]
        if repo.startswith("[") and "](" in repo:  # [owner/name](https://...)
            repo = repo.split("](", 1)[1].rstrip(")")
        file, path, commit = (cells[i].strip("`") for i in (0, 2, 4))
        rows.append(CrdSource(file, repo, path, cells[3], commit))
    return rows


def provenance_table(rows: Iterable[tuple[str, CrdSource]]) -> str:
    """(schema file, source) rows as the Markdown table shipped beside the schemas."""
    lines = [
        "# Provenance of the shipped CRD schemas",
        "",
        "Generated by `scripts/ship_crd_schemas.py` (`labgen schemas import` on the upstream",
        "CRDs at these refs; descriptions dropped). Do not edit by hand.",
        "",
        "| schema | repo | path | tag | commit | CRD file |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for schema, src in rows:
        cells = (f"`{schema}`", src.repo, f"`{src.path}`", src.tag, f"`{src.commit}`")
        lines.append(f"| {' | '.join(cells)} | `{src.file}` |")
    return "\n".join(lines) + "\n"


def shipped_crd_sources(sources: Iterable[CrdSource], groups: Iterable[str]) -> list[CrdSource]:
    """The upstream CRDs labgen ships schemas for: every CRD of the API groups of its pinned
    releases and platforms (``groups``), and Argo CD's kinds it emits."""
    wanted = set(groups)
    argo_cd = {f"argoproj.io/{k.lower()}s.argoproj.io.yaml" for k in ARGO_CD_KINDS}
    return sorted(
        (s for s in sources if s.group in wanted or s.file in argo_cd), key=lambda s: s.file
    )


def ship_schemas(crd_root: Path, groups: Iterable[str], out_dir: Path) -> list[Path]:
    """Import the shipped CRDs from ``crd_root`` (laid out and described as in
    ``../shared/crds``) into ``out_dir``, with the provenance table beside them."""
    sources = read_sources((crd_root / "SOURCES.md").read_text())
    rows: list[tuple[str, CrdSource]] = []
    written = []
    for source in shipped_crd_sources(sources, groups):
        for path in import_crds([crd_root / source.file], out_dir):
            written.append(path)
            rows.append((path.relative_to(out_dir).as_posix(), source))
    (out_dir / PROVENANCE).write_text(provenance_table(sorted(rows, key=lambda r: r[0])))
    return written
