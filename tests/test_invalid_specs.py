"""Invalid specs as data: tests/cases/invalid/<case>/{lab.yaml,expected-error.txt}."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import INVALID
from labgen.errors import SpecError
from labgen.plan import build_plan
from labgen.spec import parse_lab

CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def errors_of(case: Path) -> str:
    text = (case / "lab.yaml").read_text()
    try:
        build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")
    except SpecError as exc:
        return "\n".join(str(d) for d in exc.diagnostics) + "\n"
    return ""


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15


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
