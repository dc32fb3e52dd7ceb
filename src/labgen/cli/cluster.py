"""``labgen bootstrap`` and ``labgen status``: the lab's Argo CD tree on a cluster, through
the Kubernetes API (the optional ``cluster`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group
from rich.text import Text

from labgen.cli.app import EXIT_FINDINGS, EXIT_USAGE, app, out
from labgen.cli.options import RootOption, repo_root
from labgen.cli.output import print_error, say, warn_text
from labgen.errors import LabgenError

if TYPE_CHECKING:
    from labgen.cluster.client import Cluster
    from labgen.cluster.status import LabStatus
    from labgen.plan import LabPlan


KubeconfigOption = Annotated[
    Path | None,
    typer.Option(
        "--kubeconfig",
        help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).",
        dir_okay=False,
    ),
]
ContextOption = Annotated[
    str | None, typer.Option("--context", help="kubeconfig context (default: the current one).")
]


@app.command()
def bootstrap(
    lab: Annotated[str, typer.Argument(help="Lab name or spec path.")],
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Use the server's dry run: validate, write nothing.")
    ] = False,
    force_conflicts: Annotated[
        bool,
        typer.Option(
            "--force-conflicts",
            help="Take over fields another field manager set to other values (server-side "
            "apply conflicts); labgen's values win.",
        ),
    ] = False,
    root: RootOption = None,
) -> None:
    """Apply the lab's bootstrap bundle (AppProject, root Application, Application health
    check) with server-side apply, after checking that Argo CD is installed. Idempotent.

    Exit 0 when applied (or validated with --dry-run), 2 on errors (as `status`)."""
    from labgen.repo import load_plans, select_labs

    try:  # without the optional kubernetes client, importing labgen.cluster says so
        from labgen.cluster.bootstrap import bootstrap as apply_bundle
        from labgen.cluster.client import connect
        from labgen.cluster.report import bootstrap_lines

        base = repo_root(root)
        (resolved,) = load_plans(base, select_labs(base, [lab]))
        with connect(kubeconfig, context) as cluster:
            _warn_insecure(cluster)
            result = apply_bundle(cluster, resolved, dry_run=dry_run, force=force_conflicts)
    except LabgenError as exc:
        print_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    for warning in result.warnings:
        warn_text(warning)
    for line in bootstrap_lines(result):
        say(line)
    if not dry_run:
        say(f"next: `labgen status {resolved.name} --wait` to watch the tree converge")


@app.command()
def status(
    lab: Annotated[str, typer.Argument(help="Lab name or spec path.")],
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Poll until every Application is Synced and Healthy.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="With --wait: give up after this many seconds.", min=0)
    ] = 600,
    interval: Annotated[float, typer.Option(help="With --wait: seconds between polls.", min=0)] = 5,
    root: RootOption = None,
) -> None:
    """Show the lab's Argo CD Applications (read through the Kubernetes API): sync wave, sync
    status, health, last operation, out-of-sync resources.

    Exit 0 when all are Synced and Healthy, 1 when not (or --wait timed out), 2 on errors."""
    from labgen.repo import load_plans, select_labs

    try:  # without the optional kubernetes client, importing labgen.cluster says so
        from labgen.cluster.client import connect
        from labgen.cluster.report import status_table, summary
        from labgen.cluster.status import read_status

        base = repo_root(root)
        (resolved,) = load_plans(base, select_labs(base, [lab]))
        with connect(kubeconfig, context) as cluster:
            _warn_insecure(cluster)
            if wait:
                final = _watch(cluster, resolved, timeout, interval)
            else:
                final = read_status(cluster, resolved)
    except LabgenError as exc:
        print_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    out.print(status_table(final))
    if final.converged:
        say(f"[green]{summary(final)}[/]")
        return
    timed_out = f" after waiting {timeout:g}s" if wait else ""
    out.print(f"[yellow]{summary(final)}{timed_out}[/]")
    raise typer.Exit(EXIT_FINDINGS)


def _watch(cluster: Cluster, plan: LabPlan, timeout: float, interval: float) -> LabStatus:
    """--wait: a live table on a terminal, one line per change otherwise (CI logs)."""
    from rich.live import Live
    from rich.spinner import Spinner

    from labgen.cluster.report import progress_caption, progress_line, status_table
    from labgen.cluster.status import read_status, wait_for

    def read() -> LabStatus:
        return read_status(cluster, plan)

    if out.is_terminal:
        with Live(console=out, transient=True) as live:

            def show(status: LabStatus, elapsed: float) -> None:
                caption = progress_caption(status, elapsed, timeout)
                live.update(Group(status_table(status), Spinner("dots", Text(caption, "dim"))))

            return wait_for(read, timeout=timeout, interval=interval, on_poll=show)
    shown: list[tuple[tuple[str, str], ...]] = []

    def log(status: LabStatus, elapsed: float) -> None:
        pending = tuple((a.name, a.summary) for a in status.pending)
        if not shown or shown[-1] != pending:
            shown.append(pending)
            out.print(progress_line(status, elapsed), markup=False)

    return wait_for(read, timeout=timeout, interval=interval, on_poll=log)


def _warn_insecure(cluster: Cluster) -> None:
    """Once per command, instead of urllib3's warning on every request."""
    if cluster.insecure:
        warn_text(
            f"context {cluster.context!r} skips TLS verification (insecure-skip-tls-verify): "
            f"the identity of {cluster.server} is not checked"
        )
