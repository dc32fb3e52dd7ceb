"""Invalid specs as data: tests/cases/invalid/<case>/{lab.yaml,expected-error.txt}."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import INVALID
from labgen.errors import SpecError
from labgen.plan import build_plan
from labgen.spec import LabSpec, parse_lab

CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def errors_of(case: Path) -> str:
    text = (case / "lab.yaml").read_text()
    try:
        build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")
    except SpecError as exc:
        return "\n".join(str(d) for d in exc.diagnostics) + "\n"
    return ""


def test_every_part_of_the_spec_has_an_invalid_case() -> None:
    """Each field of `spec` (and `metadata`) is the subject of at least one case."""
    reported = set()
    for name in CASES:
        for line in (INVALID / name / "expected-error.txt").read_text().splitlines():
            path = line.split(" ")[1].rstrip(":")
            reported.add(".".join(path.replace("[", ".").split(".")[:2]))
    expected = {"metadata.name", *(f"spec.{field}" for field in LabSpec.model_fields)}
    assert expected <= reported, f"no invalid case for {sorted(expected - reported)}"


@pytest.mark.parametrize("name", CASES)
def test_invalid_spec_is_reported_with_position_and_path(name: str, update_golden: bool) -> None:
    case = INVALID / name
    actual = errors_of(case)
    assert actual, f"{name}: the spec was accepted"
    expected_file = case / "expected-error.txt"
    if update_golden:
        expected_file.write_text(actual)
    assert actual == expected_file.read_text()
    for line in actual.splitlines():
        assert line.startswith("lab.yaml:"), line
        location = line.split(" ", 1)[0]
        assert location.count(":") == 3, f"no line:col in {line!r}"
