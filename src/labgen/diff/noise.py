"""Noise filters: fields removed from both sides before objects are compared.

On by default for fields that controllers or chart tooling own rather than the author
(webhook and APIService CA bundles a cert controller injects, ``checksum/*`` annotations
Helm charts compute, status); ``--ignore`` adds more.

Path syntax (``[Kind:]path``): dotted keys, ``[key]`` for keys holding dots or slashes,
``[*]`` or ``*`` for every list item or key, ``[0]`` for one item, and shell-style
wildcards inside a key (``checksum/*``). A leading ``$.`` (JSONPath) is accepted, and so
is a JSON Pointer (``/spec/replicas``). Examples: ``Deployment:spec.replicas``,
``metadata.labels[helm.sh/chart]``, ``webhooks[*].clientConfig.caBundle``.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from labgen.errors import LabgenError

DEFAULT_IGNORES = (
    "metadata.annotations[checksum/*]",
    "spec.template.metadata.annotations[checksum/*]",
    "spec.jobTemplate.spec.template.metadata.annotations[checksum/*]",
    "webhooks[*].clientConfig.caBundle",
    "APIService:spec.caBundle",
    "CustomResourceDefinition:spec.conversion.webhook.clientConfig.caBundle",
    "metadata.creationTimestamp",
    "status",
)

_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


@dataclass(frozen=True)
class IgnoreRule:
    text: str
    kind: str | None
    path: tuple[str, ...]


def parse_ignore(text: str) -> IgnoreRule:
    """Parse one ``--ignore`` path; a clear error for what is not one."""
    kind: str | None = None
    body = text.strip()
    head = re.match(r"([A-Za-z][A-Za-z0-9]*):(?!/)", body)
    if head:
        kind, body = head.group(1), body[head.end() :]
    if body.startswith("/"):
        parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in body[1:].split("/"))
    else:
        body = body.removeprefix("$").removeprefix(".")
        parts = _dotted(body, text)
    if not parts or any(p == "" for p in parts):
        raise LabgenError(
            f"--ignore {text!r}: not a field path (e.g. spec.replicas, "
            "metadata.annotations[checksum/*], Deployment:spec.replicas)"
        )
    return IgnoreRule(text, kind, parts)


def _dotted(body: str, text: str) -> tuple[str, ...]:
    parts: list[str] = []
    position = 0
    while position < len(body):
        if body[position] == "." and parts:
            position += 1
        match = _SEGMENT.match(body, position)
        if match is None:
            raise LabgenError(f"--ignore {text!r}: cannot read the path at {body[position:]!r}")
        parts.append(match.group(1) if match.group(1) is not None else match.group(2))
        position = match.end()
    return tuple(parts)


def default_rules() -> tuple[IgnoreRule, ...]:
    return tuple(parse_ignore(text) for text in DEFAULT_IGNORES)


def strip_noise(obj: dict[str, Any], rules: tuple[IgnoreRule, ...]) -> dict[str, Any]:
    """A copy of ``obj`` without the fields the rules name (and without mappings left
    empty by removing them)."""
    applicable = [r for r in rules if r.kind in (None, obj.get("kind"))]
    if not applicable:
        return obj
    out = copy.deepcopy(obj)
    for rule in applicable:
        _remove(out, rule.path)
    return out


def _remove(node: Any, path: tuple[str, ...]) -> None:
    segment, rest = path[0], path[1:]
    if isinstance(node, dict):
        keys = [k for k in node if fnmatch.fnmatchcase(str(k), segment)]
        for key in keys:
            if rest:
                _remove(node[key], rest)
                if node[key] == {}:
                    del node[key]
            else:
                del node[key]
    elif isinstance(node, list) and rest:
        indexes = range(len(node)) if segment == "*" else _index(segment, len(node))
        for index in indexes:
            _remove(node[index], rest)


def _index(segment: str, length: int) -> list[int]:
    return [int(segment)] if segment.isdigit() and int(segment) < length else []
