"""What the Argo CD rules know of an Application: its identity, sync wave, cluster, and
the builds of its sources; findings added to the objects they are about."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labgen.check.discover import display
from labgen.check.model import Finding, Resource
from labgen.check.rules import skipped_rules
from labgen.desired import app_sources, chart_name
from labgen.render.argocd import LAB_LABEL, SINGLE_NODE_LABEL

Key = tuple[str, str, Any, Any]
"""A checked object: (origin, kind, namespace, name)."""
Built = dict[Path, list[dict[str, Any]]]
"""The objects of every build: kustomization directories, plain files, rendered charts."""
Apps = list[tuple[str, dict[str, Any]]]
"""Applications with the origin they were built from."""


def app_key(app: dict[str, Any]) -> tuple[str, str]:
    """An Application's (namespace, name): what Argo CD knows it by."""
    meta = app.get("metadata") or {}
    return (str(meta.get("namespace")), str(meta.get("name")))


def sync_wave(obj: dict[str, Any]) -> int:
    """An object's ``argocd.argoproj.io/sync-wave`` (0 when unset or not a number)."""
    wave = ((obj.get("metadata") or {}).get("annotations") or {}).get(
        "argocd.argoproj.io/sync-wave", "0"
    )
    return int(wave) if re.fullmatch(r"-?\d+", str(wave)) else 0


IN_CLUSTER = "https://kubernetes.default.svc"


def cluster_of(app: dict[str, Any]) -> tuple[str, str]:
    """Argo CD instance (its namespace) and destination cluster of an Application. A
    single-node lab's Application deploying in-cluster reaches the lab's own machine,
    where its setup installed an Argo CD of its own: a cluster no other lab shares."""
    meta = app.get("metadata") or {}
    destination = (app.get("spec") or {}).get("destination") or {}
    cluster = str(destination.get("server") or destination.get("name"))
    labels = meta.get("labels") or {}
    if cluster == IN_CLUSTER and labels.get(SINGLE_NODE_LABEL) == "true":
        cluster = f"the machine of single-node lab {labels.get(LAB_LABEL)}"
    return str(meta.get("namespace")), cluster


def chart_key(app: dict[str, Any], source: dict[str, Any]) -> Path:
    """Where a rendered chart is filed among the builds (shown as the objects' origin)."""
    name = app["metadata"].get("name")
    return Path("helm") / f"{chart_name(source)}-{source.get('targetRevision', '')}" / str(name)


def built_sources(root: Path, app: dict[str, Any], built: Built) -> list[Path]:
    """The directories of this repository an Application's sources point at, as built."""
    out = []
    for source in app_sources(app):
        if chart_key(app, source) in built:
            out.append(chart_key(app, source))
        elif source.get("path") and not source.get("chart"):
            directory = (root / str(source["path"])).resolve()
            if directory in built:
                out.append(directory)
    return out


def resource_of(
    root: Path, directory: Path, obj: dict[str, Any], resources: dict[Key, Resource]
) -> Resource | None:
    """The checked object ``obj`` of the build of ``directory``, if it was checked."""
    meta = obj.get("metadata") or {}
    key = (display(root, directory), str(obj.get("kind")), meta.get("namespace"), meta.get("name"))
    return resources.get(key)


def add_findings(
    resource: Resource | None, obj: dict[str, Any], findings: Iterable[Finding]
) -> None:
    """Findings on a checked object, but for the rules its annotation opts out of."""
    if resource is not None:
        opted_out = skipped_rules(obj)
        resource.findings += [f for f in findings if f.rule not in opted_out]
