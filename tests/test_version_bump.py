"""A vLLM version bump is a small, reviewable diff (issue 17): render the shipped labs with
the pinned release and with the next patch release, then compare the two trees and what
the real `kubectl kustomize` builds from them."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from labgen.data.releases import RELEASES
from labgen.data.serving import VLLM, generation
from labgen.diff.match import compare_objects, index
from labgen.diff.model import AppDiff
from labgen.diff.report import _text_app
from labgen.diff.summary import summarize
from labgen.render import clear_caches
from labgen.repo import render_repo
from labgen.tools import kustomize_build
from labgen.write import write_tree

PINNED = RELEASES["vllm"].version
BUMPED = "v0.30.1"
"""A patch release of the same generation: nothing the version keys (flags, metric names)
changes, so the built objects may differ in the image tag alone."""
MAX_CHANGED_PATHS = 10
CHANGED = {
    "catalog/serving/images/kustomization.yaml",
    "catalog/serving/job-names/kustomization.yaml",
    ".labgen/manifest.json",
}


def _render(root: Path) -> dict[str, str]:
    clear_caches()
    rendered = render_repo(root, [])
    write_tree(root, rendered.tree, rendered.scopes)
    clear_caches()
    return _files(root)


def _without_version(text: str) -> str:
    """A build with the image tag normalised, and the image key the ``job-names`` Component
    appends to the names of the Jobs that run the image (a new image is a new Job, as an
    immutable pod template requires; the files keep their names and contents)."""
    text = text.replace(f":{PINNED}", f":{BUMPED}")
    return re.sub(r"^(  name: .*)-[0-9a-f]{5}$", r"\1-<key>", text, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    roots = []
    for name, version in (("pinned", PINNED), ("bumped", BUMPED)):
        root = tmp_path_factory.mktemp(name)
        (root / "labs").mkdir()
        for spec in sorted((REPO / "labs").glob("*.yaml")):
            shutil.copy(spec, root / "labs" / spec.name)
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(RELEASES, "vllm", dataclasses.replace(RELEASES["vllm"], version=version))
            _render(root)
        roots.append(root)
    clear_caches()
    return roots[0], roots[1]


def test_the_bump_stays_in_one_generation() -> None:
    assert PINNED != BUMPED
    assert generation(VLLM, PINNED) == generation(VLLM, BUMPED)


def test_a_version_bump_changes_few_paths_and_renames_none(trees: tuple[Path, Path]) -> None:
    before, after = (_files(root) for root in trees)
    assert set(before) == set(after), "a version bump must not add, delete or rename files"
    changed = sorted(p for p in before if before[p] != after[p])
    assert len(changed) <= MAX_CHANGED_PATHS, changed
    assert set(changed) == CHANGED


def test_the_ownership_manifest_rewrites_only_the_changed_entries(
    trees: tuple[Path, Path],
) -> None:
    before, after = (
        json.loads((root / ".labgen/manifest.json").read_text())["files"] for root in trees
    )
    assert set(before) == set(after)
    rewritten = {path for path in before if before[path] != after[path]}
    assert rewritten == CHANGED - {".labgen/manifest.json"}
    for path in rewritten:
        assert before[path]["owner"] == after[path]["owner"]


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text()
        for top in ("catalog", "overlays", "apps", "schemas", ".labgen")
        for p in sorted((root / top).rglob("*"))
        if p.is_file()
    }


def test_built_objects_change_only_in_the_image_tag(trees: tuple[Path, Path]) -> None:
    """Every lab directory a bump could reach (its files changed, or it builds on the serving
    catalog) and one catalog entry point per server, built before and after."""
    before, after = trees
    files = _files(before)
    changed_dirs = {
        str(Path(p).parent) for p in files if files[p] != (after / p).read_text() and "/" in p
    }
    dirs = sorted(
        str(k.parent.relative_to(before))
        for top in ("overlays", "apps")
        for k in (before / top).glob("*/*/kustomization.yaml")
        if str(k.parent.relative_to(before)) in changed_dirs or "catalog/serving" in k.read_text()
    )
    dirs += ["catalog/serving/vllm/qwen3-8b/l4-x1", "catalog/serving/kserve/qwen3-8b/h100-80gb-x2"]
    assert any(d.startswith("overlays/") for d in dirs)
    changed_builds, renamed_jobs = 0, 0
    for directory in dirs:
        old, new = kustomize_build(before / directory), kustomize_build(after / directory)
        assert _without_version(old) == _without_version(new), directory
        changed_builds += old != new
        renamed_jobs += len(_job_names(old) - _job_names(new))
        # every Job running the bumped image is a new Job: none keeps its name
        for name in _job_names(old) & _job_names(new):
            assert "vllm-openai" not in _job(old, name), f"{directory}: Job {name} kept its name"
    assert changed_builds >= 2  # the bump reached the built objects
    assert renamed_jobs >= 26  # the 25 matrix batches and the eks-pd download Job


def _job_names(build: str) -> set[str]:
    return {d["metadata"]["name"] for d in yaml.safe_load_all(build) if d and d["kind"] == "Job"}


def _job(build: str, name: str) -> str:
    (job,) = [
        d
        for d in yaml.safe_load_all(build)
        if d and d["kind"] == "Job" and d["metadata"]["name"] == name
    ]
    return yaml.safe_dump(job)


def test_labgen_diff_shows_the_bump_once_per_application(trees: tuple[Path, Path]) -> None:
    """The matrices Application of h100-llmd: 25 batch Jobs, each with a new image and a new
    name key, read as two shared changes."""
    before, after = trees
    directory = "overlays/h100-llmd/matrices"
    old, new = (
        [d for d in yaml.safe_load_all(kustomize_build(root / directory)) if d] for root in trees
    )
    changes = tuple(compare_objects(index(old), index(new)))
    app = AppDiff(
        "Application", "argocd", "h100-llmd-matrices", "h100-llmd", "modified", (), changes,
        object_count=len(new),
    )  # fmt: skip
    assert _key(before) != _key(after)
    assert summarize(app).lines() == [
        f"image docker.io/vllm/vllm-openai {PINNED} -> {BUMPED} in 25 objects",
        f"renamed: name suffix -{_key(before)} -> -{_key(after)} in 25 objects",
        "nothing else changes in 25 of them",
    ]
    image = f"image docker.io/vllm/vllm-openai {PINNED} -> {BUMPED}"
    assert _text_app(app)[1] == f"  shared: {image} in 25 objects"


def _key(root: Path) -> str:
    text = (root / "catalog/serving/job-names/kustomization.yaml").read_text()
    match = re.search(r"suffix=([0-9a-f]{5})", text)
    assert match is not None
    return match.group(1)
