"""``labgen validate``, ``labgen plan`` and ``labgen models``: specs checked, plans shown."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from labgen.cli.app import EXIT_FINDINGS, app, out
from labgen.cli.options import LabArgument, LabsArgument, RootOption, repo_root
from labgen.cli.output import diagnostic_data, print_json, print_table, say, table_data, warn
from labgen.errors import Diagnostic, SpecError

if TYPE_CHECKING:
    from labgen.plan import LabPlan


class Output(StrEnum):
    """``--output`` of validate, plan and models."""

    text = "text"
    json = "json"


OutputOption = Annotated[
    Output, typer.Option("--output", "-o", help="text or json (on stdout).", metavar="FORMAT")
]


@app.command()
def validate(
    labs: LabsArgument = None, root: RootOption = None, output: OutputOption = Output.text
) -> None:
    """Check lab specs (shape, references, GPU/provider facts) without rendering; warn
    about placeholders and gated models without a token."""
    from labgen.render import lab_apps
    from labgen.repo import load_plans_with_warnings, select_labs

    as_json = output is Output.json
    base = repo_root(root)
    try:
        plans, warnings = load_plans_with_warnings(base, select_labs(base, labs or []))
    except SpecError as exc:
        if not as_json:
            raise
        print_json(
            {"labs": [], "errors": [diagnostic_data(d) for d in exc.diagnostics], "warnings": []}
        )
        raise typer.Exit(EXIT_FINDINGS) from None
    if as_json:
        labs_data = [
            {
                "name": plan.name,
                "file": plan.spec_file,
                "gpuPools": len(plan.pools),
                "operators": len(plan.operators),
                "applications": len(lab_apps(plan)),
            }
            for plan in plans
        ]
        print_json(
            {"labs": labs_data, "errors": [], "warnings": [diagnostic_data(w) for w in warnings]}
        )
        return
    warn(warnings)
    for plan in plans:
        say(
            f"[green]ok[/] {plan.spec_file}: {len(plan.pools)} GPU pools, "
            f"{len(plan.operators)} operators, {len(lab_apps(plan))} Applications"
        )


@app.command()
def plan(lab: LabArgument, root: RootOption = None, output: OutputOption = Output.text) -> None:
    """Show the resolved plan: pools and instance types, pinned versions, sync waves, and
    the commands that prepare nodes labgen does not create."""
    from labgen.plan.describe import (
        Table,
        backup_notes,
        exposure_notes,
        gcloud_commands,
        monitoring_notes,
        plan_tables,
    )
    from labgen.render import app_summaries
    from labgen.repo import load_plans_with_warnings, select_labs

    as_json = output is Output.json
    base = repo_root(root)
    plans, warnings = load_plans_with_warnings(base, select_labs(base, [lab]))
    (resolved,) = plans
    if as_json:
        print_json(_plan_data(resolved, warnings))
        return
    warn(warnings)
    out.print(
        f"[bold]{resolved.name}[/] ({resolved.spec_file}): {resolved.platform} on "
        f"{resolved.provider}, Kubernetes {resolved.kubernetes_version}"
        + (f", {resolved.region}" if resolved.region else "")
    )
    for table in plan_tables(resolved):
        print_table(table)
    waves = tuple(
        (str(a.wave), a.name, a.namespace or "(cluster)", a.source) for a in app_summaries(resolved)
    )
    print_table(
        Table("Argo CD Applications", ("wave", "Application", "namespace", "source"), waves)
    )
    commands = gcloud_commands(resolved)
    if commands:
        out.print("\n[bold]GKE node pools[/] (create them outside the cluster):")
        for command in commands:
            out.print(command, markup=False)
    _print_node_commands(resolved)
    _notes("Cluster monitoring (before you sync)", monitoring_notes(resolved))
    _notes("Database backups", backup_notes(resolved))
    _notes("Exposure: DNS, certificates, API keys", exposure_notes(resolved))


def _notes(title: str, lines: list[str]) -> None:
    if lines:
        out.print(f"\n[bold]{title}[/]:")
        for line in lines:
            out.print(f"- {line}", markup=False)


def _plan_data(resolved: LabPlan, warnings: list[Diagnostic]) -> dict[str, object]:
    """``labgen plan --output json``."""
    from labgen.plan.describe import exposure_notes, gcloud_commands, plan_tables
    from labgen.plan.nodes import node_commands
    from labgen.render import app_summaries

    return {
        "name": resolved.name,
        "file": resolved.spec_file,
        "platform": resolved.platform.name,
        "provider": resolved.provider,
        "kubernetesVersion": resolved.kubernetes_version,
        "region": resolved.region,
        "tables": {t.title: table_data(t) for t in plan_tables(resolved)},
        "applications": [
            {"wave": a.wave, "name": a.name, "namespace": a.namespace, "source": a.source}
            for a in app_summaries(resolved)
        ],
        "gcloudCommands": gcloud_commands(resolved),
        "nodeCommands": node_commands(resolved),
        "exposureNotes": exposure_notes(resolved),
        "warnings": [diagnostic_data(w) for w in warnings],
    }


def _print_node_commands(resolved: LabPlan) -> None:
    from labgen.plan.nodes import node_setup

    setup = node_setup(resolved)
    if setup is not None:
        out.print(f"\n{setup.title}:", markup=False)
        for command in setup.commands:
            out.print(command, markup=False)


@app.command()
def models(output: OutputOption = Output.text) -> None:
    """List the model catalog (architecture facts the fit planner uses). A model is named
    by its Hugging Face id or its short name, in models[] and matrices[] alike."""
    from labgen.plan.describe import catalog_table

    table = catalog_table()
    if output is Output.json:
        print_json(table_data(table))
        return
    print_table(table)
