"""Writer safety: ownership, stale files, drift detection, interrupted renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labgen import write
from labgen.errors import WriteError
from labgen.render.tree import Tree
from labgen.write import MANIFEST, check_tree, recover, write_tree


def _tree(files: dict[str, str], owner: str = "lab:a") -> Tree:
    tree = Tree()
    for path, content in files.items():
        tree.add(path, content, owner)
    return tree


def test_creates_then_reports_unchanged(tmp_path: Path) -> None:
    tree = _tree({"apps/a/x.yaml": "x: 1\n", "overlays/a/y/k.yaml": "k: 1\n"})
    first = write_tree(tmp_path, tree, {"lab:a"})
    assert [r.action for r in first.results] == ["created", "created"]
    second = write_tree(tmp_path, tree, {"lab:a"})
    assert {r.action for r in second.results} == {"unchanged"}
    assert check_tree(tmp_path, tree, {"lab:a"}) == []


def test_never_overwrites_a_file_it_does_not_own(tmp_path: Path) -> None:
    (tmp_path / "apps" / "a").mkdir(parents=True)
    mine = tmp_path / "apps" / "a" / "x.yaml"
    mine.write_text("handwritten: true\n")
    tree = _tree({"apps/a/x.yaml": "x: 1\n", "apps/a/z.yaml": "z: 1\n"})
    with pytest.raises(WriteError, match="does not own"):
        write_tree(tmp_path, tree, {"lab:a"})
    assert mine.read_text() == "handwritten: true\n"
    assert not (tmp_path / "apps" / "a" / "z.yaml").exists(), "nothing is written on refusal"


def test_deletes_only_owned_stale_files(tmp_path: Path) -> None:
    write_tree(tmp_path, _tree({"apps/a/x.yaml": "x\n", "apps/a/old.yaml": "old\n"}), {"lab:a"})
    (tmp_path / "apps" / "a" / "notes.md").write_text("mine\n")
    report = write_tree(tmp_path, _tree({"apps/a/x.yaml": "x\n"}), {"lab:a"})
    assert [(r.path, r.action) for r in report.changed] == [("apps/a/old.yaml", "deleted")]
    assert not (tmp_path / "apps" / "a" / "old.yaml").exists()
    assert (tmp_path / "apps" / "a" / "notes.md").read_text() == "mine\n"


def test_other_owners_are_left_alone(tmp_path: Path) -> None:
    write_tree(tmp_path, _tree({"apps/b/x.yaml": "b\n"}, owner="lab:b"), {"lab:b"})
    write_tree(tmp_path, _tree({"apps/a/x.yaml": "a\n"}), {"lab:a"})
    assert (tmp_path / "apps" / "b" / "x.yaml").read_text() == "b\n"
    owners = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert owners["apps/b/x.yaml"]["owner"] == "lab:b"


def test_check_reports_hand_edit_stale_and_unexpected(tmp_path: Path) -> None:
    tree = _tree({"apps/a/x.yaml": "x: 1\n", "apps/a/y.yaml": "y: 1\n"})
    write_tree(tmp_path, tree, {"lab:a"})
    (tmp_path / "apps" / "a" / "x.yaml").write_text("x: 2\n")
    (tmp_path / "apps" / "a" / "extra.yaml").write_text("e: 1\n")
    smaller = _tree({"apps/a/x.yaml": "x: 1\n"})
    problems = {(d.path, d.problem) for d in check_tree(tmp_path, smaller, {"lab:a"})}
    assert ("apps/a/x.yaml", "modified") in problems
    assert ("apps/a/y.yaml", "stale") in problems
    assert ("apps/a/extra.yaml", "unexpected") in problems


def test_interrupted_staging_leaves_previous_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, _tree({"apps/a/x.yaml": "old x\n", "apps/a/y.yaml": "old y\n"}), {"lab:a"})
    before = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    real = write._stage
    calls = {"n": 0}

    def dying(path: Path, content: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(path, content)

    monkeypatch.setattr(write, "_stage", dying)
    with pytest.raises(KeyboardInterrupt):
        write_tree(
            tmp_path, _tree({"apps/a/x.yaml": "new x\n", "apps/a/y.yaml": "new y\n"}), {"lab:a"}
        )
    after = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_interrupted_renames_are_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, _tree({"apps/a/x.yaml": "old x\n", "apps/a/y.yaml": "old y\n"}), {"lab:a"})
    new = _tree({"apps/a/x.yaml": "new x\n", "apps/a/y.yaml": "new y\n"})

    def crash(root: Path, journal: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_apply_journal", crash)
    with pytest.raises(KeyboardInterrupt):
        write_tree(tmp_path, new, {"lab:a"})
    assert (tmp_path / write.JOURNAL).exists()
    monkeypatch.undo()
    assert recover(tmp_path)
    assert (tmp_path / "apps" / "a" / "x.yaml").read_text() == "new x\n"
    assert (tmp_path / "apps" / "a" / "y.yaml").read_text() == "new y\n"
    assert check_tree(tmp_path, new, {"lab:a"}) == []


def test_a_write_failing_while_staging_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, _tree({"apps/a/x.yaml": "x\n"}), {"lab:a"})
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    staged: list[Path] = []
    real_stage = write._stage

    def stage(path: Path, content: str) -> None:
        if staged:  # the second file: a full disk
            raise OSError(28, "No space left on device")
        real_stage(path, content)
        staged.append(path)

    monkeypatch.setattr(write, "_stage", stage)
    tree = _tree({"apps/a/x.yaml": "x2\n", "overlays/a/new/k.yaml": "k\n"})
    with pytest.raises(WriteError, match="No space left on device"):
        write_tree(tmp_path, tree, {"lab:a"})
    assert staged, "the first file was staged before the failure"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "apps" / "a" / "x.yaml").read_text() == "x\n"
