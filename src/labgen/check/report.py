"""Render a check Report as human text or JSON (the CLI prints what these return)."""

from __future__ import annotations

import json
from itertools import groupby

from labgen.check.model import Report


def summary(report: Report) -> str:
    return (
        f"{len(report.resources)} resources: {report.count('valid')} valid, "
        f"{report.count('invalid')} invalid, {report.count('skipped')} skipped; "
        f"{report.findings} rule findings"
    )


def as_text(report: Report) -> str:
    lines: list[str] = []
    bad = [r for r in report.resources if r.errors or r.findings]
    for origin, group in groupby(sorted(bad, key=lambda r: r.origin), key=lambda r: r.origin):
        lines.append(f"{origin}:")
        for resource in group:
            lines.append(f"  {resource.label}")
            lines += [f"    schema: {error}" for error in resource.errors]
            lines += [
                f"    {f.severity} {f.rule}: {f.message} (fix: {f.hint})" for f in resource.findings
            ]
    lines += [f"{f.severity} {f.rule}: {f.message} (fix: {f.hint})" for f in report.problems]
    if report.not_rendered:
        lines.append("not rendered here (validated as Application sources only):")
        lines += [f"  {source}" for source in sorted(set(report.not_rendered))]
    if report.skipped_kinds:
        lines.append(f"skipped kinds: {', '.join(sorted(report.skipped_kinds))}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    data = {
        "summary": {
            "resources": len(report.resources),
            "valid": report.count("valid"),
            "invalid": report.count("invalid"),
            "skipped": report.count("skipped"),
            "findings": report.findings,
        },
        "resources": [
            {
                "file": r.origin,
                "apiVersion": r.api_version,
                "kind": r.kind,
                "namespace": r.namespace,
                "name": r.name,
                "status": r.status,
                "errors": [{"path": e.path, "msg": e.message} for e in r.errors],
                "findings": [vars(f) for f in r.findings],
            }
            for r in report.resources
        ],
        "problems": [vars(f) for f in report.problems],
        "notRendered": sorted(set(report.not_rendered)),
        "skippedKinds": sorted(report.skipped_kinds),
    }
    return json.dumps(data, indent=2) + "\n"
