"""`labgen check` on a corpus of small trees: valid ones pass, each invalid one reports
exactly the findings in its expected.txt (regenerate with --update-golden, then review)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labgen.check import DEFAULT_PATHS, CheckOptions, check_tree
from labgen.check.model import Report
from labgen.data.rules import RULES

CASES = Path(__file__).resolve().parent / "cases" / "check"
VALID = sorted(p for p in (CASES / "valid").iterdir() if p.is_dir())
INVALID = sorted(p for p in (CASES / "invalid").iterdir() if p.is_dir())


def _run(case: Path, crd_schemas: Path) -> Report:
    return check_tree(
        case, [Path(p) for p in DEFAULT_PATHS if (case / p).is_dir()], CheckOptions((crd_schemas,))
    )


def _lines(report: Report, crd_schemas: Path) -> list[str]:
    lines = []
    for r in report.resources:
        lines += [
            f"{f'{r.file}:{e.line}' if e.line else r.where}: {r.label}: schema {e}"
            for e in r.errors
        ]
        lines += [f"{r.where}: {r.label}: {f.severity} {f.rule}: {f.message}" for f in r.findings]
    lines += [f"{f.severity} {f.rule}: {f.message}" for f in report.problems]
    return sorted(line.replace(str(crd_schemas), "<schemas>") for line in lines)


_RULE = re.compile(r"(?:^| )(?:error|warning) ([a-z]+/[a-z-]+):", re.MULTILINE)


def test_every_rule_has_an_invalid_case() -> None:
    found = {
        rule for case in INVALID for rule in _RULE.findall((case / "expected.txt").read_text())
    }
    assert found == set(RULES), f"rules without a case: {sorted(set(RULES) - found)}"


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_tree_passes(case: Path, crd_schemas: Path) -> None:
    report = _run(case, crd_schemas)
    assert _lines(report, crd_schemas) == []
    assert not report.failed


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_tree_reports_expected_findings(
    case: Path, crd_schemas: Path, update_golden: bool
) -> None:
    report = _run(case, crd_schemas)
    lines = _lines(report, crd_schemas)
    expected = case / "expected.txt"
    if update_golden:
        expected.write_text("".join(f"{line}\n" for line in lines))
    assert lines, "an invalid case must produce findings"
    assert lines == expected.read_text().splitlines()
