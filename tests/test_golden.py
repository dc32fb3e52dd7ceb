"""Golden trees: tests/golden/<case>/{lab.yaml,expected/} compared path for path.

``expected/`` holds what the lab owns (overlays/<lab>/, apps/<lab>/); the shared catalog
is checked by `labgen render --check` on the repository. Update with --update-golden.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import GOLDEN
from labgen.yamlio import load_document
from support import render_into, tree_diff, tree_files

CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "lab.yaml").is_file())


def render_case(case: Path, root: Path) -> str:
    name = load_document((case / "lab.yaml").read_text(), "lab.yaml").data["metadata"]["name"]
    (root / "labs").mkdir(parents=True)
    shutil.copy(case / "lab.yaml", root / "labs" / f"{name}.yaml")
    render_into(root)
    return str(name)


@pytest.mark.parametrize("name", CASES)
def test_golden_tree(name: str, tmp_path: Path, update_golden: bool) -> None:
    case = GOLDEN / name
    lab = render_case(case, tmp_path)
    actual = {
        **{f"overlays/{lab}/{p}": c for p, c in tree_files(tmp_path / "overlays" / lab).items()},
        **{f"apps/{lab}/{p}": c for p, c in tree_files(tmp_path / "apps" / lab).items()},
    }
    expected_dir = case / "expected"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, content in actual.items():
            (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / path).write_text(content)
    diff = tree_diff(tree_files(expected_dir), actual)
    assert not diff, f"render differs from tests/golden/{name}/expected:\n{diff}"


def test_at_least_four_golden_labs() -> None:
    assert len(CASES) >= 4
