"""`labgen check` on plain files (chunked, in worker processes) and the attribution of
built objects to the committed files they come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from labgen.check import CheckOptions, check_tree, files
from labgen.check.report import summary
from labgen.crds import convert
from labgen.yamlio import YamlSyntaxError, load_all_safe
from support import crd

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  namespace: demo
spec:
  ports:
  - port: 80
"""
BAD_SERVICE = SERVICE.replace("  - port: 80\n", "  - port: 80\n    colour: blue\n")


def _stream(documents: list[str]) -> str:
    return "---\n".join(documents)


def _starts(documents: list[str]) -> list[int]:
    """The line each document starts on in `_stream(documents)`."""
    starts, line = [], 1
    for document in documents:
        starts.append(line)
        line += document.count("\n") + 1
    return starts


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of ~1 KiB, so a small file goes through the worker processes."""
    monkeypatch.setattr(files, "CHUNK_BYTES", 1024)


@pytest.mark.usefixtures("small_chunks")
def test_a_chunked_file_reports_every_object_at_its_line(tmp_path: Path) -> None:
    documents = [SERVICE.format(i=i) for i in range(60)]
    documents[47] = BAD_SERVICE.format(i=47)
    path = tmp_path / "fleet.yaml"
    path.write_text(_stream(documents))
    assert len(list(files._chunks(path.read_bytes()))) > 5
    report = check_tree(tmp_path, [path], CheckOptions(()))
    assert [r.name for r in report.resources] == [f"svc-{i}" for i in range(60)]
    starts = _starts(documents)
    assert [r.line for r in report.resources] == starts
    (bad,) = [r for r in report.resources if r.status == "invalid"]
    assert (bad.file, bad.line, bad.name) == ("fleet.yaml", starts[47], "svc-47")
    # the schema error itself points at the unknown field's line
    assert [e.line for e in bad.errors] == [starts[47] + 8]


@pytest.mark.usefixtures("small_chunks")
def test_a_syntax_error_in_a_later_chunk_names_its_line(tmp_path: Path) -> None:
    documents = [SERVICE.format(i=i) for i in range(60)]
    documents[52] = documents[52].replace("  namespace: demo\n", "  namespace: [demo\n")
    path = tmp_path / "fleet.yaml"
    path.write_text(_stream(documents))
    report = check_tree(tmp_path, [path], CheckOptions(()))
    (problem,) = report.problems
    assert problem.rule == "build/kustomize"
    # the same place as parsing the whole file in one piece
    with pytest.raises(YamlSyntaxError) as whole:
        list(load_all_safe(path.read_text(), "fleet.yaml"))
    assert problem.message == f"fleet.yaml: {whole.value}"
    assert f"fleet.yaml:{_starts(documents)[52] + 5}:" in problem.message
    assert not report.resources


@pytest.mark.usefixtures("small_chunks")
def test_bytes_that_are_not_utf8_in_a_later_chunk_name_their_line(tmp_path: Path) -> None:
    documents = [SERVICE.format(i=i) for i in range(60)]
    path = tmp_path / "fleet.yaml"
    path.write_bytes(_stream(documents).replace("svc-52", "svc-\xff").encode("latin-1"))
    report = check_tree(tmp_path, [path], CheckOptions(()))
    (problem,) = report.problems
    assert (
        problem.message == f"fleet.yaml: fleet.yaml:{_starts(documents)[52] + 3}:1: not UTF-8 text"
    )
    assert not report.resources


def test_the_yaml_1_1_guard_holds_per_chunk(tmp_path: Path, small_chunks: None) -> None:
    """A YAML 1.1 boolean in one chunk is read as 1.1 reads it (and fails the schema)."""
    documents = [SERVICE.format(i=i) for i in range(40)]
    documents[33] = documents[33].replace("  name: svc-33\n", "  name: svc-33\n  labels: {a: on}\n")
    path = tmp_path / "fleet.yaml"
    path.write_text(_stream(documents))
    report = check_tree(tmp_path, [path], CheckOptions(()))
    (bad,) = [r for r in report.resources if r.status == "invalid"]
    assert bad.name == "svc-33"
    assert str(bad.errors[0]).startswith("metadata.labels.a: true is not of type")


def test_an_object_without_a_schema_is_not_counted_valid(tmp_path: Path) -> None:
    path = tmp_path / "widget.yaml"
    path.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    report = check_tree(tmp_path, [path], CheckOptions(()))
    assert report.failed
    assert report.count("valid") == 0
    assert report.count("unknown") == 1
    assert "0 valid, 0 invalid, 1 without a schema, 0 skipped" in summary(report)


def _kustomization(directory: Path, *resources: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"- {r}\n" for r in resources)
    (directory / "kustomization.yaml").write_text(f"resources:\n{lines}")


def test_objects_are_attributed_to_their_own_kustomization_closure(tmp_path: Path) -> None:
    """Two builds with an identical object: each finding points at its own file, and an
    overlay's object at the base file it comes from."""
    bad = BAD_SERVICE.format(i=0)
    for lab in ("one", "two"):
        _kustomization(tmp_path / "apps" / lab, "service.yaml")
        (tmp_path / "apps" / lab / "service.yaml").write_text("# header\n" * 3 + bad)
    _kustomization(tmp_path / "base", "service.yaml")
    (tmp_path / "base" / "service.yaml").write_text(bad)
    _kustomization(tmp_path / "overlay", "../base")
    report = check_tree(tmp_path, [Path(".")], CheckOptions(()))
    where = sorted((r.origin, r.file, r.line) for r in report.resources)
    assert where == [
        ("apps/one", "apps/one/service.yaml", 4),
        ("apps/two", "apps/two/service.yaml", 4),
        ("base", "base/service.yaml", 1),
        ("overlay", "base/service.yaml", 1),
    ]


def test_a_schema_location_adds_to_the_shipped_schemas(tmp_path: Path) -> None:
    """A user's own CRD (imported with `labgen schemas import`) and a pinned release's
    custom resource validate in one run."""
    widget = crd(
        {
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
        }
    )
    own = tmp_path / "own"
    for converted in convert(widget):
        (own / converted.relative_path).parent.mkdir(parents=True, exist_ok=True)
        (own / converted.relative_path).write_text(converted.text())
    path = tmp_path / "tree.yaml"
    path.write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: demo}\n"
        "spec: {size: 3}\n---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata: {name: m, namespace: demo}\nspec: {selector: {}, endpoints: [{port: http}]}\n"
    )
    report = check_tree(tmp_path, [path], CheckOptions((own,)))
    assert [(r.kind, r.status) for r in report.resources] == [
        ("Widget", "valid"),
        ("ServiceMonitor", "valid"),
    ]
    bad = check_tree(tmp_path, [path], CheckOptions(()))
    assert [(r.kind, r.status) for r in bad.resources] == [
        ("Widget", "unknown"),
        ("ServiceMonitor", "valid"),
    ]
