"""Golden trees: tests/golden/<case>/{lab.yaml,expected/} compared path for path.

``expected/`` holds what the lab owns (overlays/<lab>/, apps/<lab>/); the shared catalog
is checked by `labgen render --check` on the repository. Update with --update-golden.
"""

from __future__ import annotations

import shutil
from typing import get_args

import pytest

from conftest import GOLDEN, RenderedRepo
from labgen.data.platforms import Provisioner
from labgen.data.servers import Server
from labgen.data.types import Platform, Provider
from labgen.yamlio import load_document
from support import tree_diff, tree_files

CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "lab.yaml").is_file())


def lab_name(case: str) -> str:
    text = (GOLDEN / case / "lab.yaml").read_text()
    return str(load_document(text, "lab.yaml").data["metadata"]["name"])


@pytest.mark.parametrize("name", CASES)
def test_golden_tree(name: str, golden_render: RenderedRepo, update_golden: bool) -> None:
    actual = golden_render.lab_files(lab_name(name))
    expected_dir = GOLDEN / name / "expected"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, content in actual.items():
            (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / path).write_text(content)
    diff = tree_diff(tree_files(expected_dir), actual)
    assert not diff, f"render differs from tests/golden/{name}/expected:\n{diff}"


def test_golden_labs_cover_every_platform_provider_server_and_provisioner(
    golden_render: RenderedRepo,
) -> None:
    plans = golden_render.rendered.plans
    assert {p.platform.name for p in plans} == set(get_args(Platform))
    assert {p.provider for p in plans} == set(get_args(Provider))
    assert {m.server for p in plans for m in p.models} == set(get_args(Server))
    assert {pool.provisioner for p in plans for pool in p.pools} == set(get_args(Provisioner))
