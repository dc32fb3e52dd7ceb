"""`labgen diff` through the real CLI: exit codes (0 no change, 1 changes, 2 errors), the
default base (merge base with main) against the working tree, outputs and parts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from support import run_cli as run
from test_golden_diff import commit_all, git

CHART_CASE = REPO / "tests" / "cases" / "check" / "valid" / "helm-chart-cache"
CHART_APP = "apps/demo/children/application-chart.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small committed tree (an Application with a Helm chart in charts/) on main, and a
    feature branch checked out."""
    root = tmp_path / "repo"
    shutil.copytree(CHART_CASE, root)
    (root / "labs").mkdir()  # what `find_root` looks for
    (root / "labs" / ".keep").write_text("")
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def edit_values(root: Path) -> None:
    path = root / CHART_APP
    path.write_text(path.read_text().replace("replicas: 2", "replicas: 5"))


def test_no_change_exits_0(repo: Path) -> None:
    result = run("diff", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "merge base of HEAD and main" in result.stdout
    assert "0 modified" in result.stdout


def test_working_tree_change_exits_1_with_the_object_diff(repo: Path) -> None:
    edit_values(repo)
    result = run("diff", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert "-> working tree" in result.stdout
    assert "modified Deployment: web/web-chart" in result.stdout
    assert "+  replicas: 5" in result.stdout


def test_json_output(repo: Path) -> None:
    edit_values(repo)
    commit_all(repo, "five replicas")
    result = run("diff", "--base", "main", "--head", "feature", "--output", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["changed"] is True
    assert data["head"]["label"] == "feature"
    chart = next(a for a in data["applications"] if a["name"] == "demo-chart")
    assert chart["status"] == "modified"
    assert [o["kind"] for o in chart["objects"]] == ["Deployment"]


def test_ignore_hides_a_field(repo: Path) -> None:
    edit_values(repo)
    result = run(
        "diff", "--ignore", "Deployment:spec.replicas",
        "--ignore", "Application:spec.source.helm.valuesObject.replicas", cwd=repo,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_output_dir_writes_parts(repo: Path, tmp_path: Path) -> None:
    edit_values(repo)
    out = tmp_path / "comments"
    out.mkdir()
    (out / "part-9.md").write_text("stale")
    result = run("diff", "--output-dir", str(out), "--max-size", "1000", cwd=repo)
    assert result.returncode == 1, result.stderr
    parts = sorted(out.glob("part-*.md"))
    assert len(parts) >= 2
    assert not (out / "part-9.md").exists()
    texts = [p.read_text() for p in parts]
    assert all(len(t) <= 1000 for t in texts)
    assert f"(part 1/{len(parts)})" in texts[0]
    assert "Deployment: web/web-chart" in "".join(texts)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "no-such-branch"), "unknown revision 'no-such-branch'"),
        (("--head", "v9.9.9"), "unknown revision 'v9.9.9'"),
        (("--ignore", "spec..replicas"), "--ignore 'spec..replicas'"),
        (("--max-size", "10"), "--max-size must be at least"),
    ],
)
def test_errors_exit_2_without_traceback(repo: Path, args: tuple[str, ...], message: str) -> None:
    extra = ("--output", "markdown") if "--max-size" in args else ()
    result = run("diff", *args, *extra, cwd=repo)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_not_a_git_repository_exits_2(tmp_path: Path) -> None:
    (tmp_path / "labs").mkdir()
    result = run("diff", cwd=tmp_path)
    assert result.returncode == 2
    assert "not in a git repository" in result.stderr


def test_no_default_branch_exits_2(repo: Path) -> None:
    git(repo, "branch", "-m", "main", "trunk")
    result = run("diff", cwd=repo)
    assert result.returncode == 2
    assert "no default branch" in result.stderr


def test_bad_output_is_a_usage_error(repo: Path) -> None:
    result = run("diff", "--output", "html", cwd=repo)
    assert result.returncode == 2


def test_a_second_diff_reuses_every_build_and_render(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Builds and chart renders are kept by what they read (labgen.buildcache): the same
    comparison again runs no tool, and says the same; a check of the working tree fills
    the same entries (same digests) that the diff's head side then reuses."""
    monkeypatch.setenv("LABGEN_CACHE_DIR", str(tmp_path / "cache"))
    edit_values(repo)
    first = run("--verbose", "diff", cwd=repo)
    assert "+ kubectl kustomize" in first.stderr, first.stderr
    assert "+ helm template" in first.stderr, first.stderr
    again = run("--verbose", "diff", cwd=repo)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    assert "+ kubectl" not in again.stderr, again.stderr
    assert "+ helm" not in again.stderr, again.stderr
    assert "= kubectl kustomize" in again.stderr
    assert "= helm template" in again.stderr
    fresh = run("--verbose", "diff", "--no-cache", cwd=repo)
    assert fresh.stdout == first.stdout
    assert "+ kubectl kustomize" in fresh.stderr
