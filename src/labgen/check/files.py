"""Checking objects one by one, and plain manifest files (kubeconform-style) on every core.

A plain file is cut into chunks at document separators; each chunk is parsed (with the YAML
1.1 guard of `labgen.yamlio`), validated and checked by the one-object rules in a worker
process, and only what the tree-level rules need comes back: a Resource per object and the
few objects those rules look at (Applications, projects, GPU pools, GPU workloads). The
parent never holds the parsed file, so memory stays bounded by the chunk size.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from labgen.check.model import Finding, Report, Resource
from labgen.check.rules import object_rules, requests_gpus, skipped_rules
from labgen.errors import Diagnostic
from labgen.schemas import SchemaNotFound, SchemaSet
from labgen.yamlio import YamlSyntaxError, load_all_safe

Progress = Callable[[str, int, int], None]
"""(stage, done, total): where a check is, for a progress display."""

CHUNK_BYTES = 1 << 18
"""Plain files are checked in chunks of about this size (whole documents)."""
TREE_KINDS = frozenset(
    {"Application", "AppProject", "MachineSet", "NodePool", "CustomResourceDefinition"}
    | {"Subscription", "Namespace"}
)
"""Kinds the tree-level rules (Argo CD graph, GPU placement) read from plain files; any
object with a GPU limit is kept too."""


def check_object(
    origin: str,
    obj: dict[str, Any],
    schemas: SchemaSet,
    skip_kinds: frozenset[str],
    report: Report,
) -> Resource:
    """Schema validation and one-object rules (a kind without a schema is an error)."""
    resource = Resource.of(origin, obj)
    group_version_kind = f"{resource.api_version}/{resource.kind}"
    if {resource.kind, group_version_kind} & skip_kinds:
        resource.status = "skipped"
        report.skipped_kinds.add(group_version_kind)
    else:
        try:
            resource.errors = schemas.validate(obj)
        except SchemaNotFound as exc:
            resource.errors = []
            resource.status = "unknown"
            resource.findings.append(
                Finding(
                    "schema/missing",
                    "error",
                    str(exc),
                    "add a --schema-location (see `labgen schemas import`) or --skip the kind",
                )
            )
        if resource.errors:
            resource.status = "invalid"
    opted_out = skipped_rules(obj)
    resource.findings += [f for f in object_rules(obj) if f.rule not in opted_out]
    return resource


@dataclass
class FileResult:
    """What checking a plain file gives the tree-level rules."""

    resources: list[Resource] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    """The objects of `TREE_KINDS` and those with a GPU limit."""
    skipped_kinds: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Task:
    path: Path
    origin: str
    start: int
    end: int
    first_line: int
    kubernetes_version: str
    schema_dirs: tuple[Path, ...]
    skip_kinds: frozenset[str]


def check_file(
    path: Path,
    origin: str,
    kubernetes_version: str,
    schema_dirs: tuple[Path, ...],
    skip_kinds: frozenset[str],
    progress: Progress | None = None,
) -> FileResult:
    """Check every object of a multi-document manifest file, in parallel when it is large
    (raises YamlSyntaxError with the file's line and column)."""
    data = path.read_bytes()
    tasks = [
        _Task(path, origin, start, end, line, kubernetes_version, schema_dirs, skip_kinds)
        for start, end, line in _chunks(data)
    ]
    del data
    workers = min(len(tasks), os.cpu_count() or 1)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # fork: the workers share the parent's imports and the core schema registry (built
        # here, once); frozen objects are not rescanned by the collector, so their pages
        # stay shared instead of being copied into each worker
        _schema_set(kubernetes_version, schema_dirs).warm()
        gc.freeze()
        result = FileResult()
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for done, part in enumerate(pool.imap(_check_chunk, tasks), 1):
                    _merge(result, part)
                    if progress:
                        progress(f"checking {origin}", done, len(tasks))
            return result
        except YamlSyntaxError:
            pass  # maybe a cut inside something: the whole file says where
        finally:
            gc.unfreeze()
    # in one piece: one chunk, no fork on this platform, or a syntax error to locate
    whole = FileResult()
    if tasks:
        _merge(whole, _check_chunk(replace(tasks[0], end=tasks[-1].end)))
    if progress:
        progress(f"checking {origin}", 1, 1)
    return whole


def _merge(result: FileResult, part: FileResult) -> None:
    result.resources += part.resources
    result.kept += part.kept
    result.skipped_kinds |= part.skipped_kinds


_SEPARATOR_BYTES = re.compile(rb"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def _chunks(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line) of pieces of about CHUNK_BYTES, cut before a `---` line."""
    start, line = 0, 1
    while start < len(data):
        cut = _SEPARATOR_BYTES.search(data, start + CHUNK_BYTES)
        end = cut.start() if cut else len(data)
        yield start, end, line
        line += data.count(b"\n", start, end)
        start = end


_SCHEMAS: dict[tuple[str, tuple[Path, ...]], SchemaSet] = {}


def _schema_set(kubernetes_version: str, schema_dirs: tuple[Path, ...]) -> SchemaSet:
    """One per process and (version, directories): validators are compiled once."""
    key = (kubernetes_version, schema_dirs)
    if key not in _SCHEMAS:
        _SCHEMAS[key] = SchemaSet(kubernetes_version, schema_dirs)
    return _SCHEMAS[key]


def _check_chunk(task: _Task) -> FileResult:
    """Parse, validate and check one chunk (in a worker process, or in the parent)."""
    with task.path.open("rb") as stream:
        stream.seek(task.start)
        data = stream.read(task.end - task.start)
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        line = task.first_line + data.count(b"\n", 0, exc.start)
        message = "not UTF-8 text"
        raise YamlSyntaxError(Diagnostic(task.origin, line, 1, "", message)) from None
    schemas = _schema_set(task.kubernetes_version, task.schema_dirs)
    result, report = FileResult(), Report()
    # The parsed documents are acyclic: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for obj, line in documents_with_lines(text, task.origin, task.first_line - 1):
            resource = check_object(task.origin, obj, schemas, task.skip_kinds, report)
            resource.file, resource.line = task.origin, line
            result.resources.append(resource)
            if obj.get("kind") in TREE_KINDS or requests_gpus(obj):
                result.kept.append(obj)
    finally:
        if enabled:
            gc.enable()
    result.skipped_kinds = report.skipped_kinds
    return result


_SEPARATOR = re.compile(r"^---[^\n]*\n", re.MULTILINE)
_PREAMBLE = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")


def documents_with_lines(
    text: str, origin: str, offset: int = 0
) -> list[tuple[dict[str, Any], int]]:
    """The mapping documents of a stream, each with the line its content starts on (plus
    ``offset``): the stream is parsed once; the separators give the lines."""
    starts = []
    line, start = 1 + offset, 0
    for match in [*_SEPARATOR.finditer(text), None]:
        end = match.start() if match else len(text)
        skipped = _PREAMBLE.match(text, start, end)
        preamble = skipped.end() - start if skipped else 0
        if start + preamble < end and not text.startswith("...", start + preamble):
            starts.append(line + text.count("\n", start, start + preamble))
        line += text.count("\n", start, end)
        if match:
            line += 1
            start = match.end()
    try:
        docs = list(load_all_safe(text, origin))
    except YamlSyntaxError as exc:
        if not offset:
            raise
        found = exc.diagnostic
        raise YamlSyntaxError(replace(found, line=found.line + offset)) from None
    if len(docs) != len(starts):  # a separator the pattern misread: parse chunk by chunk
        return _documents_chunk_by_chunk(text, origin, offset)
    return [(doc, at) for doc, at in zip(docs, starts, strict=True) if isinstance(doc, dict)]


def _documents_chunk_by_chunk(
    text: str, origin: str, offset: int
) -> list[tuple[dict[str, Any], int]]:
    out = []
    line, start = 1 + offset, 0
    for match in [*_SEPARATOR.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        docs = list(load_all_safe(chunk, origin))
        if docs and isinstance(docs[0], dict):
            skipped = _PREAMBLE.match(chunk)
            out.append((docs[0], line + (skipped.group().count("\n") if skipped else 0)))
        line += chunk.count("\n")
        if match:
            line += 1
            start = match.end()
    return out
