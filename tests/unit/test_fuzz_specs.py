"""Properties of mutated specs.

In memory: any mutation of a valid spec either renders or fails with a LabgenError (never
an unhandled exception), and every spec diagnostic has a line and a column.

On disk, through the real `labgen render` over a repository holding a previous render:
when a run fails (a spec error in any of the labs, even after other labs planned, or a
write that fails part-way through staging), the repository is left exactly as it was.

Example counts come from the Hypothesis profile (tests/conftest.py): small for
`make test`, large for `make test-all`.
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import GOLDEN, REPO, RenderedRepo
from labgen import cli, write
from labgen.errors import LabgenError, SpecError
from labgen.repo import render_repo
from labgen.yamlio import dump_data, load_document


def _load(path: Path) -> tuple[str, Any]:
    data = load_document(path.read_text(), path.name).data
    return str(data["metadata"]["name"]), data


SHIPPED = dict(_load(p) for p in sorted((REPO / "labs").glob("*.yaml")))
SHIPPED_TEXT = {name: (REPO / "labs" / f"{name}.yaml").read_text() for name in SHIPPED}
# Golden labs widen what is mutated (every platform, provider and server kind).
BASES = {
    **{f"labs/{name}": (name, data) for name, data in SHIPPED.items()},
    **{f"golden/{p.parent.name}": _load(p) for p in sorted(GOLDEN.glob("*/lab.yaml"))},
}

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(allow_nan=False, width=32),
    st.sampled_from(
        [
            "",
            "L4",
            "H200-141GB",
            "single:1g.10gb",
            "mixed",
            "none",
            "1.33",
            "us-east-2a",
            "openshift",
            "kubernetes",
            "aws",
            "gcp",
            "kind",
            "x" * 70,
        ]
    ),
    st.text(max_size=12),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _mutate(data: Any, path: tuple[Any, ...], op: str, value: Any, key: str) -> Any:
    if not path:
        return value if op == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = value
    elif op == "add" and isinstance(parent[last], dict):
        parent[last][key] = value
    elif op == "add" and isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = value
    return data


@st.composite
def mutations(draw: st.DrawFn, data: Any) -> str:
    """The spec text of 1-3 random mutations of ``data``."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        op = draw(st.sampled_from(["delete", "replace", "add"]))
        data = _mutate(data, path, op, draw(VALUES), draw(st.text(min_size=1, max_size=10)))
    return dump_data(data) if data is not None else ""


@st.composite
def mutated_specs(draw: st.DrawFn) -> tuple[str, str]:
    """(lab file name, mutated spec text) from any shipped or golden lab."""
    base = draw(st.sampled_from(sorted(BASES)))
    name, data = BASES[base]
    return name, draw(mutations(data))


@pytest.fixture(scope="module")
def scratch_labs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "labs").mkdir()
    return root


@given(case=mutated_specs())
def test_mutated_specs_render_or_fail_with_positions(
    scratch_labs: Path, case: tuple[str, str]
) -> None:
    name, text = case
    for old in (scratch_labs / "labs").iterdir():
        old.unlink()
    (scratch_labs / "labs" / f"{name}.yaml").write_text(text)
    try:
        render_repo(scratch_labs, [])
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            assert diagnostic.line >= 1, str(diagnostic)
            assert diagnostic.col >= 1, str(diagnostic)
            assert diagnostic.file == f"labs/{name}.yaml", str(diagnostic)
    except LabgenError:
        pass
    assert [p.relative_to(scratch_labs).as_posix() for p in scratch_labs.rglob("*")] == [
        "labs",
        f"labs/{name}.yaml",
    ]


def _disk(root: Path) -> dict[str, tuple[int, int, int] | None]:
    """Every directory, and every file with its (inode, mtime, size), outside labs/. Any
    write, replace, creation or deletion of a file or directory changes this (directory
    mtimes are left out: creating and removing a staged file touches them)."""
    state: dict[str, tuple[int, int, int] | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == root:
            dirnames.remove("labs")
        state.update({(here / d).relative_to(root).as_posix(): None for d in dirnames})
        for name in filenames:
            stat = (here / name).lstat()
            key = (here / name).relative_to(root).as_posix()
            state[key] = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return state


@pytest.fixture(scope="module")
def previous_render(shipped_repo: RenderedRepo) -> Iterator[Path]:
    """A copy of the rendered shipped labs that one test's examples share: every example
    leaves it as it found it."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(shipped_repo.root, root)
        yield root


class _DiskFull(OSError):
    pass


def golden_as(lab: str, case: str) -> str:
    """A valid spec for shipped lab ``lab`` that renders differently: golden ``case`` under
    the lab's name."""
    _, data = BASES[f"golden/{case}"]
    return str(dump_data({**data, "metadata": {**data["metadata"], "name": lab}}))


GOLDEN_CASES = sorted(b.removeprefix("golden/") for b in BASES if b.startswith("golden/"))


@st.composite
def runs(draw: st.DrawFn) -> tuple[dict[str, str], int | None]:
    """New specs for one or two of the shipped labs (random mutations, or another valid
    lab so that the render has files to write), and the staged file (if any) at which
    writing fails as a full disk would."""
    names = draw(st.lists(st.sampled_from(sorted(SHIPPED)), min_size=1, max_size=2, unique=True))
    specs = {}
    for name in names:
        other_lab = st.sampled_from(GOLDEN_CASES).map(functools.partial(golden_as, name))
        specs[name] = draw(mutations(SHIPPED[name]) | other_lab)
    return specs, draw(st.none() | st.integers(0, 30))


# Each example runs a real render over 2,300 files: a fifth of the profile's examples.
@settings(max_examples=max(10, settings().max_examples // 5))
@given(run=runs())
# A valid change whose write fails at the first and at a later staged file, and a valid
# change of one lab while the other lab has a spec error (the render fails after planning).
@example(run=({"h100-llmd": golden_as("h100-llmd", "obs-openshift")}, 0))
@example(run=({"eks-pd": golden_as("eks-pd", "eks-l40s")}, 7))
@example(
    run=(
        {
            "gke-l4": golden_as("gke-l4", "data-rag"),
            "kserve-llmisvc": SHIPPED_TEXT["kserve-llmisvc"].replace("platform:", "platfrm:"),
        },
        None,
    )
)
def test_failed_render_leaves_the_repository_untouched(
    previous_render: Path, run: tuple[dict[str, str], int | None]
) -> None:
    root = previous_render
    specs, fail_at = run
    originals = {name: (root / "labs" / f"{name}.yaml").read_text() for name in specs}
    staged: list[Path] = []
    real_stage = write._stage

    def stage(path: Path, content: str) -> None:
        if fail_at is not None and len(staged) == fail_at:
            raise _DiskFull(28, "No space left on device")
        real_stage(path, content)
        staged.append(path)

    before = _disk(root)
    for name, text in specs.items():
        (root / "labs" / f"{name}.yaml").write_text(text)
    try:
        with mock.patch.object(write, "_stage", stage):
            code = cli.main(["render", "--root", str(root)])
        assert code in (0, 1), f"exit {code}: an unexpected error, not a clear one"
        if code == 1:
            assert _disk(root) == before, "a failed render changed the repository"
    finally:
        for name, text in originals.items():
            (root / "labs" / f"{name}.yaml").write_text(text)
    if code == 0:
        assert cli.main(["render", "--root", str(root)]) == 0
