"""Builds remembered by what they read (``labgen.buildcache``): which inputs key a build,
what is never kept, and `labgen check` reusing builds with the real kubectl and helm."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from test_desired import application

from labgen.buildcache import MAX_AGE_DAYS, BuildInputs, BuildStore, DiskFiles
from labgen.check import CheckOptions, check_tree
from labgen.desired import build_kustomizations, render_chart
from labgen.tools import trace_commands

BASE = """resources:
- deployment.yaml
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: example.com/web:1.0.0
"""
COMPONENT = """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
- pairs: {tier: front}
"""
OVERLAY = """resources:
- ../../base
components:
- ../../components/tier
namespace: team
patches:
- path: replicas.yaml
"""
REPLICAS = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {n}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    files = {
        "base/kustomization.yaml": BASE,
        "base/deployment.yaml": DEPLOYMENT,
        "components/tier/kustomization.yaml": COMPONENT,
        "overlays/dev/kustomization.yaml": OVERLAY,
        "overlays/dev/replicas.yaml": REPLICAS.format(n=2),
        "overlays/other/kustomization.yaml": BASE,
        "overlays/other/deployment.yaml": DEPLOYMENT,
        "README.md": "not read by any build\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def digest(root: Path, directory: str) -> str | None:
    return BuildInputs(DiskFiles(root)).digest(directory)


@pytest.mark.parametrize(
    "changed",
    [
        "overlays/dev/kustomization.yaml",
        "overlays/dev/replicas.yaml",
        "base/deployment.yaml",  # a base it names
        "components/tier/kustomization.yaml",  # a component it names
        "overlays/dev/new-file.yaml",  # any file under its own directory
    ],
)
def test_any_input_changes_the_key(tree: Path, changed: str) -> None:
    before = digest(tree, "overlays/dev")
    path = tree / changed
    path.write_text((path.read_text() if path.exists() else "") + "# edited\n")
    assert digest(tree, "overlays/dev") != before


def test_files_no_build_reads_leave_the_key(tree: Path) -> None:
    before = digest(tree, "overlays/dev")
    (tree / "README.md").write_text("edited\n")
    (tree / "overlays/other/deployment.yaml").write_text(DEPLOYMENT + "# edited\n")
    assert digest(tree, "overlays/dev") == before


@pytest.mark.parametrize(
    "reference",
    [
        "https://github.com/example/repo//base?ref=v1",  # a remote base
        "github.com/example/repo/base",
        "../../../outside",  # outside the tree
    ],
)
def test_a_build_reading_what_the_tree_lacks_has_no_key(tree: Path, reference: str) -> None:
    (tree / "overlays/dev/kustomization.yaml").write_text(f"resources:\n- {reference}\n")
    assert digest(tree, "overlays/dev") is None


def test_absolute_paths_count_only_when_they_name_something(tree: Path) -> None:
    """An absolute base or file is outside every view: no key. A string that merely starts
    with a slash (a JSON patch's field path) names nothing and keeps the key."""
    kustomization = tree / "overlays/dev/kustomization.yaml"
    kustomization.write_text(OVERLAY + "labels:\n- pairs: {note: /spec/replicas}\n")
    assert digest(tree, "overlays/dev") is not None
    kustomization.write_text(f"resources:\n- {tree / 'base'}\n")
    assert digest(tree, "overlays/dev") is None


def test_a_symlinked_directory_has_no_key(tree: Path) -> None:
    (tree / "overlays/dev/linked").symlink_to(tree / "base", target_is_directory=True)
    assert digest(tree, "overlays/dev") is None


@pytest.fixture
def commands() -> Iterator[list[str]]:
    """The tools labgen runs (their program names), recorded."""
    ran: list[str] = []

    def record(args: Sequence[str], *, reused: bool = False) -> None:
        if not reused:
            ran.append(Path(args[0]).name)

    trace_commands(record)
    yield ran
    trace_commands(None)


def test_a_build_is_reused_until_an_input_changes(
    tree: Path, tmp_path_factory: pytest.TempPathFactory, commands: list[str]
) -> None:
    store = BuildStore(tmp_path_factory.mktemp("cache"))
    dev = tree / "overlays/dev"
    first = build_kustomizations([dev], tree, store=store)[dev]
    assert commands == ["kubectl"]
    assert build_kustomizations([dev], tree, store=store)[dev] == first
    assert commands == ["kubectl"]
    assert store.hits == 1
    (tree / "overlays/dev/replicas.yaml").write_text(REPLICAS.format(n=3))
    (changed,) = build_kustomizations([dev], tree, store=store)[dev]  # type: ignore[misc]
    assert commands == ["kubectl", "kubectl"]
    assert changed["spec"]["replicas"] == 3
    assert changed["metadata"]["labels"] == {"tier": "front"}


def test_a_failed_build_is_not_kept(
    tree: Path, tmp_path_factory: pytest.TempPathFactory, commands: list[str]
) -> None:
    store = BuildStore(tmp_path_factory.mktemp("cache"))
    (tree / "overlays/dev/replicas.yaml").unlink()
    dev = tree / "overlays/dev"
    for _ in range(2):
        assert "replicas.yaml" in str(build_kustomizations([dev], tree, store=store)[dev])
    assert commands == ["kubectl", "kubectl"]


def test_documents_json_cannot_hold_are_not_kept(tmp_path: Path) -> None:
    import datetime

    store = BuildStore(tmp_path)
    store.put("kubectl", "a", [{"at": datetime.date(2026, 1, 1)}])  # an unquoted timestamp
    store.put("kubectl", "b", [{1: "an integer key"}])
    store.put("kubectl", "c", [{"kind": "ConfigMap"}])
    assert store.get("kubectl", "a") is None
    assert store.get("kubectl", "b") is None
    assert store.get("kubectl", "c") == [{"kind": "ConfigMap"}]


def test_prune_removes_what_no_run_read_for_a_month(tmp_path: Path) -> None:
    store = BuildStore(tmp_path)
    store.put("kubectl", "old", [])
    store.put("kubectl", "new", [])
    old = store._path("kubectl", "old")
    month_ago = time.time() - (MAX_AGE_DAYS + 1) * 86400
    os.utime(old, (month_ago, month_ago))
    assert store.prune() == 1
    assert not old.exists()
    assert store.get("kubectl", "new") == []
    store.put("kubectl", "old", [])
    os.utime(store._path("kubectl", "old"), (month_ago, month_ago))
    assert store.prune() == 0  # once a day


def test_a_chart_render_is_reused_until_its_values_change(
    tmp_path: Path, commands: list[str]
) -> None:
    from test_desired import CHART, TEMPLATE

    charts = tmp_path / "charts"
    (charts / "demo" / "templates").mkdir(parents=True)
    (charts / "demo" / "Chart.yaml").write_text(CHART)
    (charts / "demo" / "templates" / "cm.yaml").write_text(TEMPLATE)
    store = BuildStore(tmp_path / "cache")
    app = application({"greeting": "hello"})
    first = render_chart(app, app["spec"]["source"], [charts], "1.33", "demo", store)
    assert render_chart(app, app["spec"]["source"], [charts], "1.33", "demo", store) == first
    assert commands == ["helm"]
    other = application({"greeting": "bye"})
    (configmap,) = render_chart(other, other["spec"]["source"], [charts], "1.33", "d", store) or []
    assert configmap["data"] == {"greeting": "bye"}
    assert commands == ["helm", "helm"]
    (charts / "demo" / "templates" / "cm.yaml").write_text(TEMPLATE.replace("greeting:", "say:"))
    (configmap,) = render_chart(app, app["spec"]["source"], [charts], "1.33", "demo", store) or []
    assert configmap["data"] == {"say": "hello"}
    assert commands == ["helm"] * 3


def test_check_reuses_builds_and_sees_a_hand_edit(
    tree: Path, tmp_path_factory: pytest.TempPathFactory, commands: list[str]
) -> None:
    options = CheckOptions((), build_cache=tmp_path_factory.mktemp("cache"))
    paths = [Path("overlays")]
    first = check_tree(tree, paths, options)
    built = len(commands)
    assert built == 2  # overlays/dev and overlays/other
    again = check_tree(tree, paths, options)
    assert len(commands) == built
    assert [(r.origin, r.kind, r.name, r.status) for r in again.resources] == [
        (r.origin, r.kind, r.name, r.status) for r in first.resources
    ]
    assert first.count("invalid") == 0
    (tree / "overlays/dev/replicas.yaml").write_text(REPLICAS.format(n=2) + "  paused: 7\n")
    edited = check_tree(tree, paths, options)
    assert len(commands) == built + 1
    (invalid,) = (r for r in edited.resources if r.status == "invalid")
    assert (invalid.origin, invalid.name) == ("overlays/dev", "web")
