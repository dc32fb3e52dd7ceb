"""One line per change an Application's objects share: a version bump edits the same
image line (and renames Jobs keyed by it) in many objects, which a reviewer reads once,
with the number of objects, instead of once per object."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from labgen.diff.model import AppDiff, ObjectChange

IMAGE = re.compile(r"^(?:- )?image: (?P<name>\S+):(?P<tag>[^\s:/]+)$")
MIN_OBJECTS = 2
"""A change is summarised when at least this many objects of the Application share it."""


@dataclass(frozen=True)
class SharedChange:
    """A change (a line edited alike, or a rename alike) and how many objects make it."""

    text: str
    objects: int

    def __str__(self) -> str:
        return f"{self.text} in {self.objects} objects"


@dataclass(frozen=True)
class Summary:
    changes: tuple[SharedChange, ...]
    only: int
    """Objects whose whole change is among ``changes``."""
    changed: int
    """Objects modified or renamed."""

    def lines(self) -> list[str]:
        out = [str(c) for c in self.changes]
        if self.changes:
            rest = self.changed - self.only
            out.append(
                f"nothing else changes in {self.only} of them"
                if not rest
                else f"{rest} of the {self.changed} changed objects change more"
            )
        return out


def summarize(app: AppDiff) -> Summary:
    """The changes at least ``MIN_OBJECTS`` modified or renamed objects share, most shared
    first."""
    per_object = [_changes(o) for o in app.objects if o.status in ("modified", "renamed")]
    counts: Counter[str] = Counter(text for texts, _ in per_object for text in set(texts))
    shared = {text for text, n in counts.items() if n >= MIN_OBJECTS}
    changes = tuple(
        SharedChange(text, n)
        for text, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if text in shared
    )
    only = sum(1 for texts, whole in per_object if whole and texts and set(texts) <= shared)
    return Summary(changes, only if changes else 0, len(per_object))


def _changes(change: ObjectChange) -> tuple[list[str], bool]:
    """(the object's changes as text, whether they are all of it: every removed line has
    an added line in its place)."""
    texts = []
    complete = True
    if change.status == "renamed":
        texts.append(_rename(change.old_name, change.name))
    removed: list[str] = []
    added: list[str] = []
    for line in [*change.diff, " "]:
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
        elif removed or added:
            pairs, rest = _pair(removed, added)
            complete = complete and not rest
            texts += [
                _edit(old, new)
                for old, new in pairs
                if not (change.status == "renamed" and old == f"name: {change.old_name}")
            ]
            removed, added = [], []
    return texts, complete


def _pair(removed: list[str], added: list[str]) -> tuple[list[tuple[str, str]], bool]:
    """(removed and added lines of one run paired by their key, whether any is left)."""
    left = list(added)
    pairs = []
    unpaired = False
    for old in removed:
        key = _key(old)
        new = next((line for line in left if _key(line) == key), None)
        if new is None:
            unpaired = True
            continue
        left.remove(new)
        pairs.append((old, new))
    return pairs, unpaired or bool(left)


def _key(line: str) -> str:
    return line.removeprefix("- ").partition(":")[0]


def _edit(old: str, new: str) -> str:
    before, after = IMAGE.match(old), IMAGE.match(new)
    if before and after and before["name"] == after["name"]:
        return f"image {before['name']} {before['tag']} -> {after['tag']}"
    return f"`{old}` -> `{new}`"


def _rename(old: str, new: str) -> str:
    """A rename as the part of the name that changes: ``name suffix -a -> -b`` when only
    the last ``-`` segment differs (Jobs named by a key of their image)."""
    old_stem, _, old_tail = old.rpartition("-")
    new_stem, _, new_tail = new.rpartition("-")
    if old_stem and old_stem == new_stem:
        return f"renamed: name suffix -{old_tail} -> -{new_tail}"
    return f"renamed: {old} -> {new}"
