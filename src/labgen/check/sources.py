"""Argo CD Application sources: the source list, Helm charts in a chart cache, and
rendering a Helm source with the pinned `helm template` the way Argo CD does.

Shared by `labgen check` (validates what a chart renders) and `labgen diff` (compares it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labgen.tools import helm_template
from labgen.yamlio import dump_data, load_all_safe


def app_sources(app: dict[str, Any]) -> list[dict[str, Any]]:
    """``spec.sources``, or ``spec.source`` as a list of one."""
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return [s for s in sources if isinstance(s, dict)]


def chart_name(source: dict[str, Any]) -> str:
    """The Helm chart a source installs ('' for a path source): ``chart``, or the last
    segment of an OCI repository URL (Argo CD's native OCI sources)."""
    repo = str(source.get("repoURL", ""))
    if source.get("chart"):
        return str(source["chart"])
    return repo.rsplit("/", 1)[-1] if repo.startswith("oci://") else ""


def cached_chart(chart_dirs: Iterable[Path], chart: str, version: str) -> Path | None:
    """The chart in a cache: ``<chart>-<version>.tgz`` (as ``helm pull`` saves it), an
    unpacked ``<chart>-<version>/``, or a vendored ``<chart>/`` of that version."""
    for directory in chart_dirs:
        for candidate in (directory / f"{chart}-{version}.tgz", directory / f"{chart}-{version}"):
            if candidate.exists():
                return candidate
        vendored = directory / chart / "Chart.yaml"
        if vendored.is_file():
            meta = next(iter(load_all_safe(vendored.read_text(), str(vendored))), None)
            if isinstance(meta, dict) and str(meta.get("version")) == version:
                return vendored.parent
    return None


CLUSTER_API_VERSIONS = ("apiregistration.k8s.io/v1",)
"""API versions every supported cluster serves that Helm's built-in capabilities lack (the
aggregator's): Argo CD passes the cluster's API versions to `helm template`, so a chart
testing ``.Capabilities.APIVersions.Has "apiregistration.k8s.io/v1"`` (prometheus-adapter)
renders ``apiregistration.k8s.io/v1`` there, not the ``v1beta1`` Kubernetes 1.22 removed."""


def template_source(
    app: dict[str, Any], source: dict[str, Any], chart: Path, kube_version: str, origin: str
) -> list[dict[str, Any]]:
    """The objects a Helm source renders: release name (default: the Application's name),
    destination namespace, ``valuesObject`` / ``values`` / ``parameters``, CRDs included.
    Raises ToolError (helm failed) or YamlSyntaxError (unreadable output)."""
    spec = app.get("spec") or {}
    helm = source.get("helm") or {}
    values = helm.get("valuesObject")
    text = dump_data(values) if values is not None else helm.get("values")
    parameters = [f"{p.get('name')}={p.get('value')}" for p in helm.get("parameters", [])]
    output = helm_template(
        chart,
        str(helm.get("releaseName") or (app.get("metadata") or {}).get("name")),
        str((spec.get("destination") or {}).get("namespace") or "default"),
        kube_version,
        text,
        tuple(parameters),
        CLUSTER_API_VERSIONS,
    )
    return [d for d in load_all_safe(output, origin) if isinstance(d, dict)]
