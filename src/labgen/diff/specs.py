"""Spec-level summary: which fields of ``labs/*.yaml`` changed between the sides, as dotted
paths users write (``spec.models[qwen3-32b].replicas``). Lists of mappings with unique
names are matched by name, so reordering or inserting an entry reads as what it is.

Specs are read as plain YAML, not validated: the base side may predate today's schema.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator
from typing import Any

from labgen.diff.model import FieldChange
from labgen.diff.sides import Snapshot
from labgen.yamlio import YamlSyntaxError, load_all_safe

MAX_VALUE = 60


def lab_specs(files: Snapshot) -> dict[str, str]:
    """Lab name -> ``labs/<name>.yaml`` (or ``.yml``)."""
    return {
        posixpath.splitext(posixpath.basename(p))[0]: p
        for p in files.files_under("labs")
        if posixpath.dirname(p) == "labs" and p.endswith((".yaml", ".yml"))
    }


def read_spec(files: Snapshot, path: str | None) -> Any:
    """A spec as plain data (None when absent)."""
    if path is None:
        return None
    try:
        return next(iter(load_all_safe(files.read(path).decode(), path)), None)
    except (YamlSyntaxError, UnicodeDecodeError) as exc:
        return {"<unreadable>": str(exc)}


def field_changes(old: Any, new: Any) -> tuple[FieldChange, ...]:
    return tuple(_walk(old, new, ""))


def _walk(old: Any, new: Any, path: str) -> Iterator[FieldChange]:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _entries(old, new, lambda key: f"{path}.{key}" if path else str(key))
        return
    old_named, new_named = _by_name(old), _by_name(new)
    if old_named is not None and new_named is not None:
        yield from _entries(old_named, new_named, lambda name: f"{path}[{name}]")
        return
    yield FieldChange(path, "changed", _show(old), _show(new))


def _entries(
    old: dict[Any, Any], new: dict[Any, Any], child: Callable[[Any], str]
) -> Iterator[FieldChange]:
    """Keys (or named list entries) removed, added, or walked into, in the order written."""
    for key in [*old, *(k for k in new if k not in old)]:
        if key not in new:
            yield FieldChange(child(key), "removed", old=_show(old[key]))
        elif key not in old:
            yield FieldChange(child(key), "added", new=_show(new[key]))
        else:
            yield from _walk(old[key], new[key], child(key))


def _by_name(value: Any) -> dict[str, Any] | None:
    """A list of mappings keyed by unique ``name``s, as a dict; None for other values."""
    if not isinstance(value, list) or not all(isinstance(v, dict) and "name" in v for v in value):
        return None
    named = {str(v["name"]): v for v in value}
    return named if len(named) == len(value) else None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, str):
        text = value
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
