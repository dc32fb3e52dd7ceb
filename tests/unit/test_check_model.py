"""Pieces of `labgen check`: document line mapping and the machine-readable reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from labgen.check.files import documents_with_lines
from labgen.check.model import Finding, Report, Resource
from labgen.check.report import as_github, as_junit
from labgen.check.rules import cycles
from labgen.data.rules import RULES


def test_documents_map_to_the_line_their_content_starts_on() -> None:
    text = (
        "# header\n"  # 1
        "apiVersion: v1\n"  # 2
        "kind: A\n"  # 3
        "---\n"  # 4
        "\n"  # 5
        "# comment\n"  # 6
        "apiVersion: v1\n"  # 7
        "kind: B\n"  # 8
        "--- # trailing\n"  # 9
        "apiVersion: v1\n"  # 10
        "kind: C\n"  # 11
    )
    located = documents_with_lines(text, "f.yaml")
    assert [(doc["kind"], line) for doc, line in located] == [("A", 2), ("B", 7), ("C", 10)]


def _report() -> Report:
    bad = Resource(
        "overlays/x", "apps/v1", "Deployment", "ns", "web", file="overlays/x/d.yaml", line=3
    )
    bad.findings.append(
        Finding("hygiene/image-pinned", "error", "image 'a' is not pinned", "pin it")
    )
    good = Resource("overlays/x", "v1", "Service", "ns", "web")
    report = Report(resources=[bad, good])
    report.problems.append(Finding("argocd/orphan", "warning", "overlays/y is unused", "delete it"))
    return report


def test_github_annotations_point_at_file_and_line() -> None:
    lines = as_github(_report()).splitlines()
    assert lines[0] == (
        "::error file=overlays/x/d.yaml,line=3,title=hygiene/image-pinned::"
        "Deployment ns/web (apps/v1): image 'a' is not pinned"
    )
    assert lines[1] == "::warning title=argocd/orphan::overlays/y is unused"


def test_junit_counts_failures() -> None:
    suite = ET.fromstring(as_junit(_report()).split("\n", 1)[1])
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    assert len(suite.findall("testcase/failure")) == 1


def test_readme_documents_every_rule() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [rule for rule in RULES if f"`{rule}`" not in readme]
    assert not missing, f"README's rules table lacks {missing}"


def test_cycles_are_found_once_each() -> None:
    edges = {"root": {"a", "b"}, "a": {"c"}, "c": {"a"}, "b": {"b"}, "d": set()}
    assert sorted(cycles(edges)) == [["a", "c"], ["b"]]
    assert cycles({"root": {"a"}, "a": {"b"}, "b": set()}) == []
