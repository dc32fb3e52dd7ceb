"""What the lab spec beside a checked directory says: Kubernetes version, platform CRD
groups, waived rules, GatewayClass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labgen.check.model import Report
from labgen.data.releases import platform_crd_groups
from labgen.errors import LabgenError
from labgen.stdin import STDIN


@dataclass(frozen=True)
class LabContext:
    """What the lab spec beside a checked directory says (nothing when there is none)."""

    name: str | None = None
    kubernetes_version: str | None = None
    platform_crd_groups: frozenset[str] = frozenset()
    waivers: tuple[tuple[str, str], ...] = ()
    """(rule, reason) pairs from the spec's ``check.disable``."""
    gateway_class: str | None = None
    """The GatewayClass every Gateway of the lab must use (``spec.gateway.className``)."""


def lab_directory(parts: Sequence[str]) -> str | None:
    """The lab a repository path (its parts) belongs to: ``overlays/<lab>/...`` and
    ``apps/<lab>/...``; None for anything else."""
    return parts[1] if len(parts) > 1 and parts[0] in ("overlays", "apps") else None


class Labs:
    """Lab contexts by directory (``overlays/<lab>/...``, ``apps/<lab>/...``), each spec
    loaded once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, LabContext] = {}

    def of(self, path: Path) -> LabContext:
        """The context of the lab a checked path belongs to (empty outside a lab's tree)."""
        if path == STDIN:
            return LabContext()
        try:
            parts = path.resolve().relative_to(self.root).parts
        except ValueError:
            return LabContext()
        name = lab_directory(parts)
        if name is None:
            return LabContext()
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> LabContext:
        # the spec models: only for trees beside specs
        from labgen.plan.endpoints import gateway_class_of, gateway_crd_groups
        from labgen.spec import load_lab

        spec = self.root / "labs" / f"{name}.yaml"
        if not spec.is_file():
            spec = spec.with_suffix(".yml")
        if not spec.is_file():
            return LabContext()
        try:
            lab = load_lab(spec).lab
        except LabgenError:
            return LabContext()  # `labgen validate` reports it
        cluster = lab.spec.cluster
        return LabContext(
            name,
            cluster.kubernetesVersion,
            platform_crd_groups(cluster.platform, cluster.provider)
            | gateway_crd_groups(gateway_class_of(lab)),
            tuple((w.rule, w.reason) for w in lab.spec.check.disable),
            gateway_class_of(lab),
        )


def apply_waivers(root: Path, report: Report, labs: Labs) -> None:
    """Drop findings a lab disabled (``spec.check.disable``), counting what was waived."""
    contexts: dict[str, LabContext] = {}
    for resource in report.resources:
        if resource.origin not in contexts:
            contexts[resource.origin] = labs.of(root / resource.origin)
        context = contexts[resource.origin]
        waived = dict(context.waivers)
        if not waived:
            continue
        kept = []
        for finding in resource.findings:
            if finding.rule in waived:
                key = (f"lab {context.name}", finding.rule, waived[finding.rule])
                report.waived[key] = report.waived.get(key, 0) + 1
            else:
                kept.append(finding)
        resource.findings = kept
