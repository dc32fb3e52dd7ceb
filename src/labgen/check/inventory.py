"""Measure what the pinned Helm charts render (``labgen/data/charts.json``).

Every Helm source of the given labs' Applications is rendered with the real `helm template`
from a chart cache, exactly as `labgen check --chart-dir` renders it; per (chart, version)
the union over the values the labs give it is kept: cluster-scoped kinds, CRDs, kinds. A
kind's scope comes from the CRDs the charts render, CRD files given (``../shared/crds``) or
the Kubernetes API's own kinds; a kind whose scope is unknown is an error, not a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labgen.check.rules import BUILTIN_CLUSTER_KINDS, BUILTIN_GROUPS, api_group
from labgen.data.charts import ChartCrd, ChartInventory
from labgen.desired import app_sources, cached_chart, chart_name, template_source
from labgen.errors import LabgenError
from labgen.plan import build_plan
from labgen.render import argocd_objects
from labgen.spec import load_lab
from labgen.yamlio import dump_data, load_all_safe


def helm_renders(
    specs: Iterable[Path], chart_dirs: tuple[Path, ...]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(chart, version) -> every object its Helm sources in these labs render (each
    distinct set of values rendered once)."""
    renders: dict[tuple[str, str], list[dict[str, Any]]] = {}
    done: set[tuple[str, str, str]] = set()
    for spec in specs:
        plan = build_plan(load_lab(spec), str(spec))
        for app in argocd_objects(plan).children:
            for source in app_sources(app):
                chart = chart_name(source)
                if not chart:
                    continue
                version = str(source.get("targetRevision", ""))
                helm = source.get("helm") or {}
                key = (chart, version, dump_data({**helm, "app": app["metadata"]["name"]}))
                renders.setdefault((chart, version), [])
                if key in done:
                    continue
                done.add(key)
                path = cached_chart(chart_dirs, chart, version)
                if path is None:
                    raise LabgenError(
                        f"{chart} {version} is not in {', '.join(map(str, chart_dirs))}"
                    )
                objects = template_source(app, source, path, plan.kubernetes_version, chart)
                renders[(chart, version)] += objects
    return renders


def measure(
    specs: Iterable[Path], chart_dirs: tuple[Path, ...], crd_dirs: tuple[Path, ...]
) -> list[ChartInventory]:
    renders = helm_renders(specs, chart_dirs)
    scopes = _crd_scopes(crd_dirs)
    for objects in renders.values():
        for crd in objects:
            if crd.get("kind") == "CustomResourceDefinition":
                spec = crd["spec"]
                scopes[(str(spec["group"]), str(spec["names"]["kind"]))] = str(spec["scope"])
    unknown: set[str] = set()
    out = []
    for (chart, version), objects in sorted(renders.items()):
        cluster: set[tuple[str, str]] = set()
        for obj in objects:
            kind = (api_group(obj), str(obj.get("kind")))
            if kind in BUILTIN_CLUSTER_KINDS or scopes.get(kind) == "Cluster":
                cluster.add(kind)
            elif kind not in scopes and not _namespaced_builtin(kind[0]):
                unknown.add(f"{kind[1]} ({kind[0]}) rendered by {chart} {version}")
        crds = {
            ChartCrd(
                str(o["metadata"]["name"]),
                str(o["spec"]["group"]),
                str(o["spec"]["names"]["kind"]),
                str(o["spec"]["scope"]),
            )
            for o in objects
            if o.get("kind") == "CustomResourceDefinition"
        }
        kinds = {(str(o.get("apiVersion")), str(o.get("kind"))) for o in objects}
        out.append(
            ChartInventory(
                chart,
                version,
                tuple(sorted(cluster)),
                tuple(sorted(crds, key=lambda c: c.name)),
                tuple(sorted(kinds)),
            )
        )
    if unknown:
        raise LabgenError(
            "scope unknown (no CRD for it among the charts or the CRD directories): "
            + "; ".join(sorted(unknown))
        )
    return out


def _namespaced_builtin(group: str) -> bool:
    """A kind of a Kubernetes API group that is not cluster-scoped is namespaced."""
    return group in BUILTIN_GROUPS


def _crd_scopes(crd_dirs: tuple[Path, ...]) -> dict[tuple[str, str], str]:
    scopes: dict[tuple[str, str], str] = {}
    for directory in crd_dirs:
        for file in sorted(directory.rglob("*.yaml")):
            for doc in load_all_safe(file.read_text(), str(file)):
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    spec = doc["spec"]
                    scopes[(str(spec["group"]), str(spec["names"]["kind"]))] = str(spec["scope"])
    return scopes


def inventory_text(inventories: list[ChartInventory]) -> str:
    """The JSON file, deterministic."""
    data = {
        "$comment": "Generated by scripts/chart_inventory.py from the chart cache; do not edit.",
        "charts": [i.to_data() for i in inventories],
    }
    return json.dumps(data, indent=1) + "\n"


def lab_specs(repo: Path) -> list[Path]:
    """The labs the inventory is measured over: the shipped ones and the golden ones."""
    return [
        *sorted((repo / "labs").glob("*.yaml")),
        *sorted((repo / "tests/golden").glob("*/lab.yaml")),
    ]
