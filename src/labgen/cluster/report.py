"""How bootstrap and status results read: rich tables and plain lines, printed by labgen.cli."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from labgen.cluster.bootstrap import BootstrapResult
from labgen.cluster.status import AppState, LabStatus

_STYLES = {
    "Synced": "green",
    "Healthy": "green",
    "OutOfSync": "yellow",
    "Progressing": "cyan",
    "Suspended": "cyan",
    "Degraded": "red",
    "Missing": "red",
    "Unknown": "magenta",
    "Failed": "red",
    "Error": "red",
    "Succeeded": "green",
}


def bootstrap_lines(result: BootstrapResult) -> list[str]:
    install = result.install
    version = install.version or "unknown version"
    lines = [
        f"{install.flavor} {version} in namespace {install.namespace} "
        f"(version from {install.version_source}); Kubernetes {install.kubernetes_version}"
    ]
    suffix = " (server dry run: nothing was written)" if result.dry_run else ""
    lines.extend(f"{a.action:>10} {a.object}{suffix}" for a in result.applied)
    return lines


def status_table(status: LabStatus) -> Table:
    """The tree: root, then children by sync wave, each with what keeps it from converging."""
    table = Table(
        title=f"lab {status.lab}: Applications in namespace {status.namespace}",
        title_justify="left",
        title_style="bold",
    )
    for column in ("wave", "application", "sync", "health", "last operation", "message"):
        table.add_column(column, overflow="fold")
    _add(table, status.root, "", "")
    for index, app in enumerate(status.children):
        last = index == len(status.children) - 1
        _add(table, app, "└─ " if last else "├─ ", "   " if last else "│  ")
    return table


def _add(table: Table, app: AppState, branch: str, stem: str) -> None:
    message = app.message if app.expected else f"not in the rendered tree; {app.message}"
    table.add_row(
        "" if app.wave is None else str(app.wave),
        Text(branch) + Text(app.name, style="bold"),
        _styled(app.sync),
        _styled(app.health),
        _styled(app.phase),
        message.strip("; "),
    )
    for condition in app.conditions:
        table.add_row("", Text(f"{stem}   ! {condition}", style="red"), "", "", "", "")
    for resource in app.out_of_sync:
        table.add_row("", Text(f"{stem}   OutOfSync {resource}", style="yellow"), "", "", "", "")


def _styled(value: str) -> Text:
    return Text(value, style=_STYLES.get(value, ""))


def summary(status: LabStatus) -> str:
    total = len(status.apps)
    if status.converged:
        return f"lab {status.lab}: converged, all {total} Applications Synced and Healthy"
    done = total - len(status.pending)
    return f"lab {status.lab}: not converged, {done}/{total} Synced and Healthy"


def progress_line(status: LabStatus, elapsed: float) -> str:
    """One line per poll for logs: what is converged and what is still waited for."""
    waiting = ", ".join(f"{a.name} ({a.summary})" for a in status.pending)
    total = len(status.apps)
    head = f"[{elapsed:5.0f}s] {total - len(status.pending)}/{total} converged"
    return f"{head}; waiting for {waiting}" if waiting else head


def progress_caption(status: LabStatus, elapsed: float, timeout: float) -> str:
    """The short line under the live table on a terminal."""
    total = len(status.apps)
    done = total - len(status.pending)
    return f"waiting for {total - done} of {total} Applications ({elapsed:.0f}s of {timeout:g}s)"
