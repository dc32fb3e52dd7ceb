"""Match the objects of two desired states by (group, kind, namespace, name) and diff them;
an object deleted and another added with the same kind and namespace and a near-identical
body is reported as a rename."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from labgen.diff.model import ObjectChange, sync_options
from labgen.yamlio import dump_data

ObjectKey = tuple[str, str, str, str]
CONTEXT_LINES = 3
RENAME_SIMILARITY = 0.8
"""Share of YAML lines two objects must have in common to count as one renamed object."""


def object_key(obj: dict[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return (
        group,
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name")),
    )


def index(objects: Iterable[dict[str, Any]]) -> dict[ObjectKey, dict[str, Any]]:
    """Objects by identity (a later duplicate wins, as it would when applied)."""
    return {object_key(obj): obj for obj in objects}


def unified(old: str, new: str) -> tuple[str, ...]:
    """A unified diff of two YAML texts: hunk headers and lines, no file headers."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=CONTEXT_LINES)
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def whole(text: str, sign: str) -> tuple[str, ...]:
    """Every line of an added (``+``) or deleted (``-``) object."""
    return tuple(f"{sign}{line}" for line in text.splitlines())


def compare_objects(
    base: dict[ObjectKey, dict[str, Any]], head: dict[ObjectKey, dict[str, Any]]
) -> list[ObjectChange]:
    """What differs between two desired states, renames detected, in identity order."""
    texts_base = {key: dump_data(obj) for key, obj in base.items()}
    texts_head = {key: dump_data(obj) for key, obj in head.items()}
    changes: list[ObjectChange] = []
    for key in sorted(base.keys() & head.keys()):
        if texts_base[key] != texts_head[key]:
            changes.append(
                ObjectChange("modified", *key, unified(texts_base[key], texts_head[key]))
            )
    deleted = sorted(base.keys() - head.keys())
    added = sorted(head.keys() - base.keys())
    for old, new in _renames(deleted, added, texts_base, texts_head):
        deleted.remove(old)
        added.remove(new)
        diff = unified(texts_base[old], texts_head[new])
        changes.append(ObjectChange("renamed", *new, diff, old_namespace=old[2], old_name=old[3]))
    changes += [
        ObjectChange(
            "deleted",
            *key,
            whole(texts_base[key], "-"),
            kept="Prune=false" in sync_options(base[key]),
        )
        for key in deleted
    ]
    changes += [ObjectChange("added", *key, whole(texts_head[key], "+")) for key in added]
    return sorted(changes, key=lambda c: (c.group, c.kind, c.namespace, c.name))


def _renames(
    deleted: list[ObjectKey],
    added: list[ObjectKey],
    texts_base: dict[ObjectKey, str],
    texts_head: dict[ObjectKey, str],
) -> list[tuple[ObjectKey, ObjectKey]]:
    """Pairs (old, new) of the same group, kind and namespace whose bodies share at least
    RENAME_SIMILARITY of their lines, most similar first, each object used once."""
    candidates = []
    for old in deleted:
        for new in added:
            if old[:3] != new[:3]:
                continue
            matcher = difflib.SequenceMatcher(
                None, texts_base[old].splitlines(), texts_head[new].splitlines(), autojunk=False
            )
            if matcher.real_quick_ratio() < RENAME_SIMILARITY:
                continue
            if matcher.quick_ratio() < RENAME_SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= RENAME_SIMILARITY:
                candidates.append((-ratio, old, new))
    pairs: list[tuple[ObjectKey, ObjectKey]] = []
    used: set[ObjectKey] = set()
    for _, old, new in sorted(candidates):
        if old not in used and new not in used:
            used |= {old, new}
            pairs.append((old, new))
    return pairs
