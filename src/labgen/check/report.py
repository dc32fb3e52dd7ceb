"""Render a check Report as human text or JSON (the CLI prints what these return)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from itertools import groupby

from labgen.check.model import Finding, Report, Resource


def summary(report: Report) -> str:
    return (
        f"{len(report.resources)} resources: {report.count('valid')} valid, "
        f"{report.count('invalid')} invalid, {report.count('unknown')} without a schema, "
        f"{report.count('skipped')} skipped; "
        f"{report.findings} rule findings"
    )


def as_text(report: Report) -> str:
    lines: list[str] = []
    bad = [r for r in report.resources if r.errors or r.findings]
    for origin, group in groupby(sorted(bad, key=lambda r: r.origin), key=lambda r: r.origin):
        lines.append(f"{origin}:")
        for resource in group:
            lines.append(f"  {resource.label}" + (f" at {resource.where}" if resource.file else ""))
            lines += [
                f"    schema: {error}" + (f" (line {error.line})" if error.line else "")
                for error in resource.errors
            ]
            lines += [
                f"    {f.severity} {f.rule}: {f.message} (fix: {f.hint})" for f in resource.findings
            ]
    lines += [f"{f.severity} {f.rule}: {f.message} (fix: {f.hint})" for f in report.problems]
    if report.not_rendered:
        lines.append("not rendered here (validated as Application sources only):")
        lines += [f"  {source}" for source in sorted(set(report.not_rendered))]
    if report.skipped_kinds:
        lines.append(f"skipped kinds: {', '.join(sorted(report.skipped_kinds))}")
    for (lab, rule, reason), count in sorted(report.waived.items()):
        lines.append(f"waived by {lab}: {rule} x{count} ({reason})")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    data = {
        "summary": {
            "resources": len(report.resources),
            "valid": report.count("valid"),
            "invalid": report.count("invalid"),
            "withoutSchema": report.count("unknown"),
            "skipped": report.count("skipped"),
            "findings": report.findings,
        },
        "resources": [
            {
                "file": r.file or r.origin,
                "line": r.line,
                "build": r.origin,
                "apiVersion": r.api_version,
                "kind": r.kind,
                "namespace": r.namespace,
                "name": r.name,
                "status": r.status,
                "errors": [{"path": e.path, "msg": e.message, "line": e.line} for e in r.errors],
                "findings": [vars(f) for f in r.findings],
            }
            for r in report.resources
        ],
        "problems": [vars(f) for f in report.problems],
        "notRendered": sorted(set(report.not_rendered)),
        "skippedKinds": sorted(report.skipped_kinds),
    }
    return json.dumps(data, indent=2) + "\n"


def as_junit(report: Report) -> str:
    """JUnit XML: one test case per resource (and per tree-level problem)."""
    suite = ET.Element(
        "testsuite",
        name="labgen check",
        tests=str(len(report.resources) + len(report.problems)),
        failures=str(
            sum(1 for r in report.resources if r.errors or _errors(r.findings))
            + len(_errors(report.problems))
        ),
        skipped=str(report.count("skipped")),
    )
    for resource in report.resources:
        case = ET.SubElement(suite, "testcase", classname=resource.origin, name=resource.label)
        messages = [f"schema {e}" for e in resource.errors]
        messages += [f"{f.rule}: {f.message}" for f in _errors(resource.findings)]
        if messages:
            ET.SubElement(case, "failure", message=messages[0]).text = "\n".join(messages)
        elif resource.status == "skipped":
            ET.SubElement(case, "skipped", message="kind skipped by --skip")
    for problem in report.problems:
        case = ET.SubElement(suite, "testcase", classname="tree", name=problem.rule)
        if problem.severity == "error":
            ET.SubElement(case, "failure", message=problem.message).text = problem.hint
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def as_github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per error or warning."""
    lines = []
    for resource in report.resources:
        for error in resource.errors:
            lines.append(
                _annotation("error", resource, "schema", f"{resource.label}: {error}", error.line)
            )
        for f in resource.findings:
            lines.append(
                _annotation(f.severity, resource, f.rule, f"{resource.label}: {f.message}")
            )
    for f in report.problems:
        lines.append(_annotation(f.severity, None, f.rule, f.message))
    lines.append(f"::notice title=labgen check::{_escape(summary(report))}")
    return "\n".join(lines) + "\n"


def _annotation(
    severity: str,
    resource: Resource | None,
    title: str,
    message: str,
    line: int | None = None,
) -> str:
    where = ""
    if resource is not None:
        where = f"file={_escape(resource.file or resource.origin, True)},"
        if line or resource.line:
            where += f"line={line or resource.line},"
    return f"::{severity} {where}title={_escape(title, True)}::{_escape(message)}"


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
