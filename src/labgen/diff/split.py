"""Cut the Markdown report into PR comments of at most ``max_size`` characters (GitHub's
limit is 65,536), by whole Applications and never by truncation: parts are filled with
whole Application sections; an Application too large for one comment is split by whole
objects (each piece says so), and an object diff too large on its own by whole lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from labgen.diff.model import AppDiff, DiffResult, ObjectChange, SourceChange
from labgen.diff.report import (
    app_section,
    markdown_footer,
    markdown_summary,
    markdown_title,
    object_block,
    source_block,
)
from labgen.errors import LabgenError

DEFAULT_MAX_SIZE = 65_536
MIN_MAX_SIZE = 1_000
_CONTINUED = "_Continued from the previous comment._\n"


def markdown_parts(result: DiffResult, max_size: int = DEFAULT_MAX_SIZE) -> list[str]:
    """The report as one or more comments, each at most ``max_size`` characters."""
    if max_size < MIN_MAX_SIZE:
        raise LabgenError(f"--max-size must be at least {MIN_MAX_SIZE} characters")
    # Room for the longest title (part 999/999) and the footer, whatever the part.
    reserve = len(markdown_title(result, 999, 999)) + len(markdown_footer(result)) + 4
    budget = max_size - reserve - len(_CONTINUED)
    summary = markdown_summary(result)
    if len(summary) > budget:
        raise LabgenError(
            f"--max-size {max_size} is too small: the summary alone takes {len(summary) + reserve}"
            " characters"
        )
    blocks = [summary]
    for app in result.apps:
        section = app_section(app)
        blocks += [section] if len(section) <= budget else _split_app(app, budget)
    parts = _pack(blocks, budget, 1)
    total = len(parts)
    out = []
    for number, part in enumerate(parts, 1):
        lead = [markdown_title(result, number, total)] + ([_CONTINUED] if number > 1 else [])
        out.append("\n".join([*lead, *part, markdown_footer(result)]))
    return out


def _split_app(app: AppDiff, budget: int) -> list[str]:
    """An Application's section in pieces, each within ``budget``: whole objects, or whole
    lines of one object's diff when it alone is too large."""
    # The section's frame without blocks, with room for the longest piece label.
    frame = len(app_section(app, [], _piece_label(999, 999))) + 2
    room = budget - frame
    units: list[str] = []
    for source in app.sources:
        units += _fitted(source, room, source_block)
    for change in app.objects:
        units += _fitted(change, room, object_block)
    pieces = _pack(units, room, 2)
    return [
        app_section(app, piece, _piece_label(number, len(pieces)))
        for number, piece in enumerate(pieces, 1)
    ]


def _piece_label(number: int, total: int) -> str:
    return f"piece {number}/{total} (split by objects: too large for one comment)"


def _fitted(
    change: ObjectChange | SourceChange, room: int, render: Callable[..., str]
) -> list[str]:
    """One block, or several of whole diff lines when one would not fit."""
    block = render(change)
    if len(block) <= room:
        return [block]
    lines = change.diff
    overhead = len(render(change, (), "lines 99999-99999 of 99999")) + 1
    chunks = _pack(list(lines), room - overhead, 1)
    out, start = [], 1
    for chunk in chunks:
        end = start + len(chunk) - 1
        out.append(render(change, tuple(chunk), f"lines {start}-{end} of {len(lines)}"))
        start = end + 1
    return out


def _pack(items: list[str], room: int, separator: int) -> list[list[str]]:
    """Items in order, in as few groups as fit within ``room`` characters each (counting
    ``separator`` characters after every item); an item larger than ``room`` gets a group
    of its own."""
    groups: list[list[str]] = [[]]
    size = 0
    for item in items:
        if groups[-1] and size + len(item) + separator > room:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += len(item) + separator
    return groups


def write_parts(directory: Path, parts: list[str]) -> None:
    """Write the parts as ``part-1.md``, ``part-2.md``... in ``directory`` (created if
    need be), removing the parts of an earlier run first."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("part-*.md"):
        stale.unlink()
    for number, text in enumerate(parts, 1):
        (directory / f"part-{number}.md").write_text(text, encoding="utf-8")
