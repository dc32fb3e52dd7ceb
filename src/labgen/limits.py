"""Bounds on untrusted input, checked before it is parsed: size, YAML alias expansion and
nesting depth.

Lab specs, manifests from pull requests (`labgen check`, `labgen diff`) and benchmark
reports come from people labgen cannot trust to be careful: a 13-line YAML alias bomb
expands to hundreds of millions of nodes, a 30 MB spec keeps the round-trip parser busy
for minutes, and thousands of nested brackets overflow the parsers' stacks. Each bound
turns such input into a one-line error at the place it starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labgen.errors import Diagnostic

MAX_SPEC_BYTES = 1 << 20
"""A lab spec: the largest shipped one is a few kilobytes."""
MAX_MANIFEST_BYTES = 256 << 20
"""One manifest file or one kustomize build's output."""
MAX_REPORT_BYTES = 512 << 20
"""A GuideLLM report (with per-request samples it can reach hundreds of megabytes)."""
MAX_ALIAS_NODES = 100_000
"""Nodes that aliases (``*name``, ``<<: *name``) may add to a stream once expanded."""
MAX_DEPTH = 200
"""Nesting of mappings and sequences (Kubernetes objects, CRD schemas included, stay
far below; Python readers run out of stack in the thousands)."""


def _size(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.0f} KiB"


def size_problem(size: int, limit: int, what: str) -> str | None:
    """A message when ``size`` bytes exceed ``limit`` for ``what`` (e.g. "a lab spec")."""
    if size <= limit:
        return None
    return f"{_size(size)} is too large for {what} (at most {_size(limit)}); refusing to read it"


def structure_problem(events: Iterable[Any], file: str) -> Diagnostic | None:
    """The first place where a YAML event stream nests deeper than ``MAX_DEPTH`` or its
    aliases expand beyond ``MAX_ALIAS_NODES``; None when it stays within both.

    ``events`` are PyYAML's or ruamel.yaml's parser events (same class names and fields);
    a syntax error raised while iterating is left to the caller's real parse."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, nodes so far] per open collection
    added = 0
    for event in events:
        kind = type(event).__name__
        if kind in ("MappingStartEvent", "SequenceStartEvent"):
            stack.append([event.anchor, 1])
            if len(stack) > MAX_DEPTH:
                return _at(event, file, f"nested deeper than {MAX_DEPTH} levels")
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            anchor, count = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
            _count(stack, count)
        elif kind == "ScalarEvent":
            if event.anchor is not None:
                sizes[event.anchor] = 1
            _count(stack, 1)
        elif kind == "AliasEvent":
            count = sizes.get(event.anchor, 1)
            added += count
            if added > MAX_ALIAS_NODES:
                return _at(
                    event,
                    file,
                    f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
                    f"(an alias bomb?); refusing to read it",
                )
            _count(stack, count)
    return None


def _count(stack: list[list[Any]], nodes: int) -> None:
    """Add nodes to the innermost open collection, if any."""
    if stack:
        stack[-1][1] += nodes


def _at(event: Any, file: str, problem: str) -> Diagnostic:
    mark = event.start_mark
    return Diagnostic(file, mark.line + 1, mark.column + 1, "", f"invalid YAML: {problem}")
