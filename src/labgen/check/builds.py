"""Building what `labgen check` validates: kustomize problems, and the Helm sources of
Applications rendered from a chart cache and validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labgen.buildcache import BuildStore
from labgen.check.applications import app_key, chart_key
from labgen.check.files import check_object
from labgen.check.labs import Labs
from labgen.check.model import Finding, Report, Resource
from labgen.check.options import CheckOptions
from labgen.data.charts import chart_waiver
from labgen.desired import SourceError, app_sources, chart_name, is_application, render_chart
from labgen.schemas import SchemaSet


def build_problem(root: Path, origin: str, exc: Exception) -> Finding:
    """A build that failed, with kustomize's own message (paths relative to ``root``)."""
    detail = str(exc).splitlines()[-1].replace(f"{root.resolve()}/", "")
    return Finding("build/kustomize", "error", f"{origin}: {detail}", "fix the kustomization")


def render_charts(
    root: Path,
    built: dict[Path, list[dict[str, Any]]],
    report: Report,
    labs: Labs,
    options: CheckOptions,
    schema_sets: dict[str, SchemaSet],
    store: BuildStore | None = None,
) -> None:
    """Helm sources whose chart is in a chart cache, rendered with the real `helm template`
    as Argo CD would (release name, destination namespace, values, CRDs included)."""
    chart_dirs = options.chart_dirs or ((root / "charts",) if (root / "charts").is_dir() else ())
    if not chart_dirs:
        return
    apps = {
        app_key(obj): (directory, obj)
        for directory, objects in list(built.items())
        for obj in objects
        if is_application(obj)
    }
    for directory, app in apps.values():
        for source in app_sources(app):
            chart = chart_name(source)
            if not chart:
                continue
            key = chart_key(app, source)
            kube = labs.of(directory).kubernetes_version or options.kubernetes_version
            try:
                objects = render_chart(app, source, chart_dirs, kube, str(key), store)
            except SourceError as exc:
                report.problems.append(
                    Finding(
                        "build/helm",
                        "error",
                        f"{key}: {exc}",
                        "fix the Application's Helm values (or the chart)",
                    )
                )
                continue
            if objects is None:
                report.problems.append(
                    Finding(
                        "build/helm",
                        "error",
                        f"{key}: chart {chart} {source.get('targetRevision', '')} is not in the "
                        f"chart cache ({', '.join(map(str, chart_dirs))}): it cannot be rendered "
                        "or validated",
                        "add the chart to the cache (`helm pull`) or pin a version it has",
                    )
                )
                continue
            built[key] = objects
            schemas = schema_sets.setdefault(kube, SchemaSet(kube, options.schema_dirs))
            for obj in objects:
                resource = check_object(str(key), obj, schemas, options.skip_kinds, report)
                _waive_chart_findings(chart, resource, report)
                report.resources.append(resource)


def _waive_chart_findings(chart: str, resource: Resource, report: Report) -> None:
    """Findings on an upstream chart's object that no value of the chart fixes are waived
    per chart (``labgen.data.charts.CHART_WAIVERS``) and counted in the report."""
    kept = []
    for finding in resource.findings:
        waiver = chart_waiver(chart, finding.rule, resource.kind)
        if waiver is None:
            kept.append(finding)
            continue
        key = (f"chart {chart}", finding.rule, waiver.reason)
        report.waived[key] = report.waived.get(key, 0) + 1
    resource.findings = kept
