"""Finding the repository labgen works in (kept free of the spec, plan and render modules,
so commands that only need the root start fast)."""

from __future__ import annotations

from pathlib import Path

from labgen.errors import LabgenError

LABS_DIR = "labs"


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that has a ``labs/`` directory."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / LABS_DIR).is_dir():
            return candidate
    raise LabgenError(
        f"no {LABS_DIR}/ directory at or above {start}; run `labgen init` first or pass --root"
    )
