"""What `labgen check` finds: per-resource results, rule findings, the report."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from labgen.schemas import SchemaError

Status = Literal["valid", "invalid", "unknown", "skipped"]
"""``unknown``: no schema was found for the kind, so it was not validated."""


@dataclass(frozen=True)
class Finding:
    """One rule violation, with a stable rule id and a one-line fix hint."""

    rule: str
    severity: Literal["error", "warning"]
    message: str
    hint: str


@dataclass(slots=True)
class Resource:
    """One object as a build produced it, and what the checks said about it."""

    origin: str
    """The kustomization directory (or file) whose build produced the object."""
    api_version: str
    kind: str
    namespace: str | None
    name: str
    file: str | None = None
    """The committed file the object comes from, when it could be mapped."""
    line: int | None = None
    status: Status = "valid"
    errors: list[SchemaError] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @classmethod
    def of(cls, origin: str, obj: dict[str, Any]) -> Resource:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        namespace = meta.get("namespace")
        # interned: a large check holds thousands of these, with a few distinct values
        return cls(
            origin,
            sys.intern(str(obj.get("apiVersion", ""))),
            sys.intern(str(obj.get("kind", ""))),
            sys.intern(namespace) if type(namespace) is str else namespace,
            str(meta.get("name", "")),
        )

    @property
    def where(self) -> str:
        if self.file is None:
            return self.origin
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name} ({self.api_version})"


@dataclass
class Report:
    resources: list[Resource] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    """Findings not tied to one object (failed builds, orphan directories)."""
    not_rendered: list[str] = field(default_factory=list)
    """Application sources labgen could not build here (Helm charts, remote repos)."""
    skipped_kinds: set[str] = field(default_factory=set)
    waived: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """Findings waived: (who: ``lab <name>`` or ``chart <name>``, rule, reason) -> how
    many."""

    def count(self, status: Status) -> int:
        return sum(1 for r in self.resources if r.status == status)

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.resources) + len(self.problems)

    @property
    def failed(self) -> bool:
        errors = [f for r in self.resources for f in r.findings if f.severity == "error"]
        errors += [f for f in self.problems if f.severity == "error"]
        return bool(errors) or self.count("invalid") > 0
