"""``network/unreachable`` across a lab: every Service a lab's Applications reference is
reachable from its declared clients under the lab's rendered NetworkPolicies (the
evaluator is :mod:`labgen.check.netpol`, the rule :func:`labgen.check.rules.network_rules`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labgen.check.applications import Apps, Built, Key, add_findings, built_sources, resource_of
from labgen.check.labs import Labs
from labgen.check.model import Resource
from labgen.check.rules import network_rules


def check_network(
    root: Path, apps: Apps, built: Built, resources: dict[Key, Resource], labs: Labs
) -> None:
    """``network/unreachable`` over the objects of each lab's Applications together."""
    by_lab: dict[str | None, list[tuple[Path, dict[str, Any]]]] = {}
    for origin, app in apps:
        objects = by_lab.setdefault(labs.of(root / origin).name, [])
        for directory in built_sources(root, app, built):
            objects += [(directory, obj) for obj in built[directory]]
    for objects in by_lab.values():
        where = {id(obj): directory for directory, obj in objects}
        for obj, finding in network_rules([obj for _, obj in objects]):
            add_findings(resource_of(root, where[id(obj)], obj, resources), obj, [finding])
