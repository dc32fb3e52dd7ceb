"""`labgen status`: the lab's Argo CD Applications as the cluster sees them.

Like ``argocd --core``, this reads the Application custom resources through the Kubernetes
API (there is no Argo CD API server session): every Application in the lab's Argo CD
namespace labelled ``labgen.dev/lab=<lab>``, matched against the Applications the rendered
tree expects. An Application is converged when it is Synced and Healthy and no sync
operation is running; the lab is converged when every expected Application is, and no
Application of the lab is left that the tree no longer has.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from labgen.cluster.client import APPLICATION, Cluster
from labgen.components.base import K8sObject
from labgen.plan.model import LabPlan
from labgen.render import lab_apps
from labgen.render.argocd import LAB_LABEL, SYNC_WAVE, app_name

MISSING = "Missing"
RUNNING_PHASES = frozenset({"Running", "Terminating"})


@dataclass(frozen=True)
class Resource:
    """One managed object Argo CD reports out of sync."""

    kind: str
    namespace: str
    name: str
    health: str
    prune: bool

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        notes = [n for n in (self.health, "to prune" if self.prune else "") if n]
        return f"{self.kind} {where}{self.name}" + (f" ({', '.join(notes)})" if notes else "")


@dataclass(frozen=True)
class AppState:
    name: str
    wave: int | None
    sync: str
    health: str
    phase: str
    message: str
    out_of_sync: tuple[Resource, ...] = ()
    conditions: tuple[str, ...] = ()
    expected: bool = True

    @property
    def converged(self) -> bool:
        return (
            self.expected
            and self.sync == "Synced"
            and self.health == "Healthy"
            and self.phase not in RUNNING_PHASES
        )

    @property
    def summary(self) -> str:
        if not self.expected:
            return "not in the rendered tree"
        running = f", {self.phase}" if self.phase in RUNNING_PHASES else ""
        return f"{self.sync}/{self.health}{running}"


@dataclass(frozen=True)
class LabStatus:
    lab: str
    namespace: str
    root: AppState
    children: tuple[AppState, ...]

    @property
    def apps(self) -> tuple[AppState, ...]:
        return (self.root, *self.children)

    @property
    def converged(self) -> bool:
        return all(app.converged for app in self.apps)

    @property
    def pending(self) -> tuple[AppState, ...]:
        return tuple(app for app in self.apps if not app.converged)


def expected_apps(plan: LabPlan) -> dict[str, int | None]:
    """Application name -> sync wave for the root and every child the tree renders."""
    apps: dict[str, int | None] = {app_name(plan, "root"): None}
    apps.update({app_name(plan, a.component): a.wave for a in lab_apps(plan)})
    return apps


def read_status(cluster: Cluster, plan: LabPlan) -> LabStatus:
    namespace = plan.gitops.argocd_namespace
    live = cluster.list(APPLICATION, namespace, f"{LAB_LABEL}={plan.name}")
    return lab_status(plan, live)


def lab_status(plan: LabPlan, live: list[K8sObject]) -> LabStatus:
    """Match the live Applications to the expected ones (pure: for tests and reuse)."""
    expected = expected_apps(plan)
    by_name = {item["metadata"]["name"]: item for item in live}
    states = {
        name: _state(by_name[name], wave) if name in by_name else _missing(name, wave)
        for name, wave in expected.items()
    }
    for name, item in by_name.items():
        if name not in expected:
            states[name] = _state(item, None, expected=False)
    root_name = app_name(plan, "root")
    children = sorted(
        (s for n, s in states.items() if n != root_name),
        key=lambda s: (s.wave is None, s.wave or 0, s.name),
    )
    return LabStatus(plan.name, plan.gitops.argocd_namespace, states[root_name], tuple(children))


def _missing(name: str, wave: int | None) -> AppState:
    return AppState(name, wave, MISSING, MISSING, "", "not in the cluster")


def _state(item: K8sObject, wave: int | None, *, expected: bool = True) -> AppState:
    status = item.get("status") or {}
    annotation = item["metadata"].get("annotations", {}).get(SYNC_WAVE)
    if annotation is not None and annotation.lstrip("-").isdigit():
        wave = int(annotation)
    operation = status.get("operationState") or {}
    resources = tuple(
        Resource(
            str(r.get("kind", "")),
            str(r.get("namespace", "")),
            str(r.get("name", "")),
            str((r.get("health") or {}).get("status", "")),
            bool(r.get("requiresPruning", False)),
        )
        for r in status.get("resources") or []
        if r.get("status") == "OutOfSync"
    )
    conditions = tuple(
        f"{c.get('type', '?')}: {c.get('message', '')}" for c in status.get("conditions") or []
    )
    return AppState(
        name=item["metadata"]["name"],
        wave=wave,
        sync=str((status.get("sync") or {}).get("status") or "Unknown"),
        health=str((status.get("health") or {}).get("status") or "Unknown"),
        phase=str(operation.get("phase", "")),
        message=" ".join(str(operation.get("message", "")).split()),
        out_of_sync=resources,
        conditions=conditions,
        expected=expected,
    )


def wait_for(
    read: Callable[[], LabStatus],
    *,
    timeout: float,
    interval: float,
    on_poll: Callable[[LabStatus, float], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> LabStatus:
    """Poll until the lab converges or ``timeout`` seconds pass; the last status read."""
    start = clock()
    while True:
        status = read()
        elapsed = clock() - start
        on_poll(status, elapsed)
        if status.converged or elapsed >= timeout:
            return status
        sleep(max(0.0, min(interval, timeout - elapsed)))
