"""Property: any mutation of a valid spec either renders or fails with a LabgenError;
never an unhandled exception, and nothing is written when it fails."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from labgen.errors import LabgenError
from labgen.repo import render_repo
from labgen.write import write_tree
from labgen.yamlio import dump_data, load_document

BASES = {
    p.stem: load_document(p.read_text(), p.name).data
    for p in sorted((REPO / "labs").glob("*.yaml"))
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
def mutated_specs(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["delete", "replace", "add"]))
        data = _mutate(data, path, op, draw(VALUES), draw(st.text(min_size=1, max_size=10)))
    text = dump_data(data) if data is not None else ""
    return name, text


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_never_crash_or_write_on_error(case: tuple[str, str]) -> None:
    name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "labs").mkdir()
        (root / "labs" / f"{name}.yaml").write_text(text)
        try:
            rendered = render_repo(root, [])
            write_tree(root, rendered.tree, rendered.scopes)
        except LabgenError:
            assert sorted(p.name for p in root.iterdir()) == ["labs"]
