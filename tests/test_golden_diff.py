"""Golden diffs: tests/golden-diff/<scenario>/{scenario.yaml,expected/part-N.md}.

Each scenario starts from a real lab (tests/golden/<lab>/lab.yaml, rendered with labgen)
or a committed tree, committed in a scratch git repository; the scenario's edits are
applied, the lab re-rendered and committed, and `labgen diff` (the real kustomize and
helm, git only) compares the two commits. The Markdown parts must equal expected/;
update them with --update-golden.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GOLDEN, REPO
from labgen.diff import DiffOptions, diff_repo
from labgen.diff.model import DiffResult
from labgen.diff.split import DEFAULT_MAX_SIZE, markdown_parts
from support import render_into

SCENARIOS = Path(__file__).resolve().parent / "golden-diff"
CASES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())
# Fixed identity and dates: commits are reproducible, nothing depends on the clock.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "labgen tests",
    "GIT_AUTHOR_EMAIL": "tests@labgen.invalid",
    "GIT_COMMITTER_NAME": "labgen tests",
    "GIT_COMMITTER_EMAIL": "tests@labgen.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return proc.stdout.strip()


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


@dataclass(frozen=True)
class Scenario:
    name: str
    lab: str | None
    tree: str | None
    base_edits: list[dict[str, Any]]
    edits: list[dict[str, Any]]
    max_size: int
    changed: bool
    expect: list[str]

    @classmethod
    def load(cls, name: str) -> Scenario:
        data = yaml.safe_load((SCENARIOS / name / "scenario.yaml").read_text())
        return cls(
            name,
            data["base"].get("lab"),
            data["base"].get("tree"),
            data.get("baseEdits", []),
            data["edits"],
            data.get("maxSize", DEFAULT_MAX_SIZE),
            data["changed"],
            data.get("expect", []),
        )


@pytest.fixture(scope="module")
def base_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One scratch repository per base (a rendered lab, or a tree), created on first use;
    scenarios branch off its ``main``."""
    return {}


def base_repo(repos: dict[str, Path], scenario: Scenario, top: Path) -> Path:
    key = scenario.lab or str(scenario.tree)
    if key not in repos:
        repo = top / re.sub(r"[^A-Za-z0-9]+", "-", key)
        if scenario.lab:
            (repo / "labs").mkdir(parents=True)
            shutil.copy(GOLDEN / scenario.lab / "lab.yaml", repo / "labs" / f"{scenario.lab}.yaml")
            render_into(repo)
        else:
            shutil.copytree(REPO / str(scenario.tree), repo)
        git(repo, "init", "-q", "-b", "main")
        commit_all(repo, "base")
        repos[key] = repo
    return repos[key]


def apply(repo: Path, edits: list[dict[str, Any]]) -> None:
    for edit in edits:
        path = repo / edit["file"]
        text = path.read_text()
        for replacement in edit["replace"]:
            assert text.count(replacement["old"]) == 1, f"{edit['file']}: {replacement['old']!r}"
            text = text.replace(replacement["old"], replacement["new"])
        path.write_text(text)


def run_scenario(scenario: Scenario, repo: Path) -> DiffResult:
    git(repo, "checkout", "-q", "-f", "-B", scenario.name, "main")
    git(repo, "clean", "-q", "-f", "-d")
    for step, edits in (("base", scenario.base_edits), ("head", scenario.edits)):
        if not edits:
            continue
        apply(repo, edits)
        if scenario.lab:
            render_into(repo)
        commit_all(repo, step)
        if step == "base":
            git(repo, "branch", "-f", f"{scenario.name}-base")
    base = f"{scenario.name}-base" if scenario.base_edits else "main"
    return diff_repo(repo, DiffOptions(base=base, head=scenario.name))


def normalized(result: DiffResult, text: str) -> str:
    """Commit ids depend on the renderer's output; the goldens should not."""
    for side in (result.base, result.head):
        if side.commit:
            text = text.replace(side.short, "0" * len(side.short))
    return text


@pytest.mark.parametrize("name", CASES)
def test_golden_diff(
    name: str,
    base_repos: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    update_golden: bool,
) -> None:
    scenario = Scenario.load(name)
    repo = base_repo(base_repos, scenario, tmp_path_factory.getbasetemp() / "diff-bases")
    result = run_scenario(scenario, repo)
    parts = [normalized(result, p) for p in markdown_parts(result, scenario.max_size)]
    expected_dir = SCENARIOS / name / "expected"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir()
        for number, text in enumerate(parts, 1):
            (expected_dir / f"part-{number}.md").write_text(text)
    expected = sorted(expected_dir.glob("part-*.md"), key=lambda p: int(p.stem.split("-")[1]))
    assert [p.read_text() for p in expected] == parts, (
        f"labgen diff output differs from tests/golden-diff/{name}/expected "
        "(rerun with --update-golden and review the change)"
    )
    assert result.changed is scenario.changed
    assert all(len(p) <= scenario.max_size for p in parts)
    joined = "\n".join(parts)
    for text in scenario.expect:
        assert text in joined, f"{name}: {text!r} not in the report"


def test_scenarios_cover_no_change_parts_and_both_kinds_of_base() -> None:
    scenarios = [Scenario.load(name) for name in CASES]
    assert {s.changed for s in scenarios} == {True, False}
    assert any(s.max_size < DEFAULT_MAX_SIZE for s in scenarios), "no report split into parts"
    assert {s.lab is not None for s in scenarios} == {True, False}, "rendered labs and trees"
