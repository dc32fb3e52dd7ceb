"""Command line: the only module that prints or decides exit codes.

Exit codes, the same for every command: 0 success; 1 findings (spec errors, drift, check
findings, changes, a cluster not converged) and other user errors; 2 usage errors (bad
options or arguments); 3 unexpected errors (rerun with --traceback for the traceback).
"""

from __future__ import annotations

import io
import json
import os
import shlex
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
import typer.core
import typer.main
from rich.console import Console, Group
from rich.table import Table as RichTable
from rich.text import Text
from typer.exceptions import TyperException

from labgen import __version__, tools
from labgen.data.releases import DEFAULT_KUBERNETES_VERSION
from labgen.data.types import Platform, Provider
from labgen.errors import Diagnostic, LabgenError, SpecError
from labgen.root import find_root
from labgen.starter import PLATFORMS, PROVIDERS, write_starter
from labgen.stdin import STDIN

# Only what `labgen --help` needs is imported here: each command imports its own modules
# (the spec models, the renderer, the Kubernetes client, matplotlib, jsonschema-rs), so a
# command pays only for what it uses.
if TYPE_CHECKING:
    from labgen.bench.analyze import Analysis, Slo
    from labgen.cluster.client import Cluster
    from labgen.cluster.status import LabStatus
    from labgen.plan import LabPlan
    from labgen.plan.describe import Table

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3

# Piped output (CI logs, `| less`) gets a fixed width so tables are not squeezed to 80
# columns and the text is the same on every machine; terminals keep their own width.
_PIPE_WIDTH = 160
# NO_COLOR (https://no-color.org): no ANSI styling at all, not only no colours.
_NO_COLOR = bool(os.environ.get("NO_COLOR"))


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
        width=None if stream.isatty() else _PIPE_WIDTH,
        color_system=None if _NO_COLOR else "auto",
    )


out = _console(stderr=False)
err = _console(stderr=True)
if _NO_COLOR:
    import typer.rich_utils

    typer.rich_utils.COLOR_SYSTEM = None  # help pages
_HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="labgen",
    help=(
        "Render LLM inference labs (labs/*.yaml) into Kustomize bases and overlays and an "
        "Argo CD App-of-Apps tree.\n\n"
        "Typical loop: edit labs/<lab>.yaml, `labgen validate`, `labgen plan <lab>`, "
        "`labgen render`, commit, push; Argo CD syncs the cluster."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=_HELP,
)
tools_app = typer.Typer(
    help="The pinned kubectl (kustomize) and helm labgen builds with.", no_args_is_help=True
)
app.add_typer(tools_app, name="tools")
schemas_app = typer.Typer(
    help="JSON Schemas for custom resources (kubeconform layout).", no_args_is_help=True
)
app.add_typer(schemas_app, name="schemas")
bench_app = typer.Typer(help="GuideLLM benchmark results.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Repository root (default: nearest directory with labs/).",
        file_okay=False,
        metavar="DIR",
    ),
]
LabsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Lab names (labs/<name>.yaml or .yml), spec paths, or - for standard input; "
        "default: every lab.",
        show_default=False,
        metavar="LAB",
    ),
]
LabArgument = Annotated[
    str,
    typer.Argument(help="Lab name, spec path, or - for standard input.", metavar="LAB"),
]


class Output(StrEnum):
    """``--output`` of validate, plan and models."""

    text = "text"
    json = "json"


class CheckOutput(StrEnum):
    """``labgen check --output``: one reporter each (``labgen.check.report``)."""

    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


class DiffOutput(StrEnum):
    """``labgen diff --output``."""

    text = "text"
    json = "json"
    markdown = "markdown"


class BenchFormat(StrEnum):
    """``labgen bench report --format``."""

    text = "text"
    markdown = "markdown"
    csv = "csv"
    json = "json"


OutputOption = Annotated[
    Output, typer.Option("--output", "-o", help="text or json (on stdout).", metavar="FORMAT")
]
_state = {"quiet": False}


def _show_version(value: bool) -> None:
    if value:
        out.print(f"labgen {__version__}", markup=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show every external command run (kubectl, helm, git)."
        ),
    ] = False,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show Python tracebacks of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print labgen's version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    _state["quiet"] = quiet
    _state["traceback"] = traceback
    tools.trace_commands(_trace if verbose else None)


def _trace(args: Sequence[str]) -> None:
    shown = [Path(args[0]).name, *args[1:]] if args else []
    err.print(f"+ {shlex.join(shown)}", markup=False, highlight=False)


def _json(data: object) -> None:
    out.print(json.dumps(data, indent=2), markup=False, highlight=False, soft_wrap=True)


def _diagnostic_data(diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "file": diagnostic.file,
        "line": diagnostic.line,
        "column": diagnostic.col,
        "path": diagnostic.path,
        "message": diagnostic.message,
    }


def _table_data(table: Table) -> list[dict[str, str]]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def _warn(warnings: list[Diagnostic]) -> None:
    for warning in warnings:
        err.print(str(warning), markup=False, style="yellow")


def _say(message: str) -> None:
    if not _state["quiet"]:
        out.print(message)


def _root(root: Path | None) -> Path:
    return root.resolve() if root is not None else find_root(Path.cwd())


@app.command()
def validate(
    labs: LabsArgument = None, root: RootOption = None, output: OutputOption = Output.text
) -> None:
    """Check lab specs (shape, references, GPU/provider facts) without rendering; warn
    about placeholders and gated models without a token."""
    from labgen.render import lab_apps
    from labgen.repo import load_plans_with_warnings, select_labs

    as_json = output is Output.json
    base = _root(root)
    try:
        plans, warnings = load_plans_with_warnings(base, select_labs(base, labs or []))
    except SpecError as exc:
        if not as_json:
            raise
        _json(
            {"labs": [], "errors": [_diagnostic_data(d) for d in exc.diagnostics], "warnings": []}
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
        _json(
            {"labs": labs_data, "errors": [], "warnings": [_diagnostic_data(w) for w in warnings]}
        )
        return
    _warn(warnings)
    for plan in plans:
        _say(
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
    )
    from labgen.render import lab_apps
    from labgen.render.argocd import app_name
    from labgen.repo import load_plans_with_warnings, select_labs

    as_json = output is Output.json
    base = _root(root)
    plans, warnings = load_plans_with_warnings(base, select_labs(base, [lab]))
    (resolved,) = plans
    if as_json:
        _json(_plan_data(resolved, warnings))
        return
    _warn(warnings)
    out.print(
        f"[bold]{resolved.name}[/] ({resolved.spec_file}): {resolved.platform} on "
        f"{resolved.provider}, Kubernetes {resolved.kubernetes_version}"
        + (f", {resolved.region}" if resolved.region else "")
    )
    for table in _plan_tables(resolved):
        _table(table)
    waves = tuple(
        (
            str(a.wave),
            app_name(resolved, a.component),
            a.namespace or "(cluster)",
            type(a.source).__name__.replace("Source", "").lower(),
        )
        for a in lab_apps(resolved)
    )
    _table(Table("Argo CD Applications", ("wave", "Application", "namespace", "source"), waves))
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


def _plan_tables(resolved: LabPlan) -> list[Table]:
    from labgen.plan.describe import (
        database_table,
        downsized_table,
        exposure_table,
        matrix_tables,
        model_table,
        pool_table,
        versions_table,
    )

    tables = [pool_table(resolved)]
    if resolved.models:
        tables.append(model_table(resolved))
    if resolved.databases:
        tables.append(database_table(resolved))
    exposure = exposure_table(resolved)
    if exposure is not None:
        tables.append(exposure)
    tables += [t for t in (downsized_table(resolved),) if t is not None]
    return [*tables, versions_table(resolved), *matrix_tables(resolved)]


def _plan_data(resolved: LabPlan, warnings: list[Diagnostic]) -> dict[str, object]:
    from labgen.plan.describe import exposure_notes, gcloud_commands
    from labgen.plan.nodes import node_commands
    from labgen.render import lab_apps
    from labgen.render.argocd import app_name

    return {
        "name": resolved.name,
        "file": resolved.spec_file,
        "platform": resolved.platform.name,
        "provider": resolved.provider,
        "kubernetesVersion": resolved.kubernetes_version,
        "region": resolved.region,
        "tables": {t.title: _table_data(t) for t in _plan_tables(resolved)},
        "applications": [
            {
                "wave": a.wave,
                "name": app_name(resolved, a.component),
                "namespace": a.namespace,
                "source": type(a.source).__name__.replace("Source", "").lower(),
            }
            for a in lab_apps(resolved)
        ],
        "gcloudCommands": gcloud_commands(resolved),
        "nodeCommands": node_commands(resolved),
        "exposureNotes": exposure_notes(resolved),
        "warnings": [_diagnostic_data(w) for w in warnings],
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
        _json(_table_data(table))
        return
    _table(table)


def _table(table: Table) -> None:
    out.print(_rich_table(table))


def _rich_table(table: Table) -> RichTable:
    rich = RichTable(title=table.title, title_justify="left", title_style="bold")
    for column in table.columns:
        rich.add_column(column)
    for row in table.rows:
        rich.add_row(*row)
    return rich


@app.command()
def render(
    labs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Lab names (labs/<name>.yaml or .yml); default: every lab.",
            show_default=False,
            metavar="LAB",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 if the committed tree differs "
            "from a fresh render (drift or hand edits).",
        ),
    ] = False,
    root: RootOption = None,
) -> None:
    """Render labs into catalog/, overlays/<lab>/, apps/<lab>/ and schemas/."""
    from labgen.repo import render_repo
    from labgen.write import check_tree, write_tree

    base = _root(root)
    rendered = render_repo(base, labs or [])
    if check:
        drifts = check_tree(base, rendered.tree, rendered.scopes)
        for drift in drifts:
            err.print(f"[red]{drift.problem}[/] {drift.path}")
            if drift.diff:
                err.print(drift.diff, markup=False)
        if drifts:
            err.print(
                f"[red]{len(drifts)} files differ from a fresh render[/]; run "
                "`labgen render` and commit the result"
            )
            raise typer.Exit(EXIT_FINDINGS)
        _say(f"[green]up to date[/]: {len(rendered.tree)} files for {len(rendered.plans)} labs")
        return
    report = write_tree(base, rendered.tree, rendered.scopes)
    for result in report.changed:
        _say(f"{result.action:>9} {result.path}")
    _say(
        f"{len(rendered.plans)} labs: {report.count('created')} created, "
        f"{report.count('updated')} updated, {report.count('deleted')} deleted, "
        f"{report.count('unchanged')} unchanged"
    )


@app.command()
def schema(root: RootOption = None) -> None:
    """Regenerate schemas/lab.schema.json from the spec models."""
    from labgen.render import SCHEMA_PATH, schema_tree
    from labgen.render.tree import SCHEMA_OWNER
    from labgen.write import write_tree

    report = write_tree(_root(root), schema_tree(), {SCHEMA_OWNER})
    _say(f"{report.results[0].action} {SCHEMA_PATH}")


@app.command()
def init(
    name: Annotated[str, typer.Option(help="Lab name (a DNS label).", metavar="NAME")] = "my-lab",
    platform: Annotated[
        Platform, typer.Option(help=f"One of: {', '.join(PLATFORMS)}.", metavar="PLATFORM")
    ] = "kubernetes",
    provider: Annotated[
        Provider, typer.Option(help=f"One of: {', '.join(PROVIDERS)}.", metavar="PROVIDER")
    ] = "aws",
    root: Annotated[
        Path, typer.Option("--root", help="Repository root.", file_okay=False, metavar="DIR")
    ] = Path("."),
    force: Annotated[bool, typer.Option(help="Overwrite an existing spec.")] = False,
) -> None:
    """Write a commented starter spec labs/<name>.yaml for a platform and provider; refuse
    one that `labgen validate` would reject."""
    target = write_starter(root, name, platform, provider, force=force)
    _say(f"wrote {target}; next: `labgen validate {name}` and `labgen plan {name}`")


@tools_app.command("install")
def tools_install() -> None:
    """Install the pinned kubectl and helm into this virtualenv's bin/."""
    for tool in tools.install():
        _say(f"{tool.name}: {tool.version} ({tool.path})")


@tools_app.command("versions")
def tools_versions() -> None:
    """Show which kubectl and helm labgen uses, and their versions."""
    for tool in tools.describe_tools():
        out.print(f"{tool.name}: {tool.version} ({tool.path})")


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Directories or manifest files to check, - for a manifest stream on standard "
            "input (default: catalog/, overlays/, apps/).",
            show_default=False,
        ),
    ] = None,
    schema_location: Annotated[
        list[Path] | None,
        typer.Option(
            "--schema-location",
            help="Another directory of CRD JSON Schemas in {group}/{kind}_{version}.json "
            "layout, for your own CRDs (see `labgen schemas import`); repeatable. The "
            "schemas of the CRDs of every release labgen pins ship with it; schemas/crds "
            "is used too when present.",
            file_okay=False,
        ),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip", help="Kind (or apiVersion/Kind) not to schema-validate; repeatable."
        ),
    ] = None,
    kubernetes_version: Annotated[
        str, typer.Option(help="Core schemas for trees whose lab spec is not in labs/.")
    ] = DEFAULT_KUBERNETES_VERSION,
    assume_crd: Annotated[
        list[str] | None,
        typer.Option(
            "--assume-crd",
            help="API group whose CRDs the cluster already has (for the crd-order rule on "
            "trees without a lab spec); repeatable.",
        ),
    ] = None,
    chart_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--chart-dir",
            help="Chart cache for Helm sources: <chart>-<version>.tgz (helm pull) or unpacked "
            "chart directories; repeatable (default: $LABGEN_CHARTS, else charts/ if present). "
            "With a cache, a Helm source whose chart is not in it is an error.",
            file_okay=False,
        ),
    ] = None,
    output: Annotated[
        CheckOutput, typer.Option(help="text, json, junit or github.")
    ] = CheckOutput.text,
    root: RootOption = None,
) -> None:
    """Build every kustomization like Argo CD would, validate every object strictly against
    upstream schemas, and run lab-aware rules. Exit 1 on any error."""
    from labgen.check import DEFAULT_PATHS, CheckOptions, check_tree
    from labgen.check.options import check_root, schema_dirs
    from labgen.check.report import as_github, as_json, as_junit, as_text
    from labgen.desired import chart_dirs

    formats = {
        CheckOutput.text: as_text,
        CheckOutput.json: as_json,
        CheckOutput.junit: as_junit,
        CheckOutput.github: as_github,
    }
    _stdin_once(paths or [], "PATH")
    base = check_root(root, paths or [], Path.cwd())
    options = CheckOptions(
        schema_dirs(base, schema_location or []),
        kubernetes_version,
        frozenset(skip or []),
        frozenset(assume_crd or []),
        chart_dirs(chart_dir),
    )
    with _Progress(err, quiet=bool(_state["quiet"])) as progress:
        report = check_tree(base, paths or [Path(p) for p in DEFAULT_PATHS], options, progress)
    # The report on stdout (redirect it to a file), progress on stderr.
    out.print(formats[output](report), markup=False, end="")
    if report.failed:
        raise typer.Exit(EXIT_FINDINGS)


def _stdin_once(paths: Sequence[Path], hint: str) -> None:
    """Standard input can be read once: ``-`` given twice is a usage error."""
    if list(paths).count(STDIN) > 1:
        raise typer.BadParameter("- (standard input) can be given only once", param_hint=hint)


class _Progress:
    """Where a long command is, on stderr: one line updated in place on a terminal, a line
    per step otherwise (CI logs), nothing with --quiet."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self.console, self.quiet = console, quiet
        self.live = console.is_terminal and not quiet
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        text = f"{stage} {done}/{total}" if total else stage
        if self.live:  # cut to the width: a wrapped line cannot be rewritten in place
            self.console.file.write(f"\r\x1b[K{text[: max(self.console.width - 1, 1)]}")
            self.console.file.flush()
        elif stage != self.stage:
            self.console.print(text, markup=False)
        self.stage = stage

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live and self.stage:
            self.console.file.write("\r\x1b[K")
            self.console.file.flush()


@app.command()
def diff(
    base: Annotated[
        str | None,
        typer.Option(
            help="Git revision to compare from (default: the merge base of HEAD and the "
            "default branch: origin/HEAD, else main)."
        ),
    ] = None,
    head: Annotated[
        str | None,
        typer.Option(help="Git revision to compare to (default: the working tree)."),
    ] = None,
    output: Annotated[
        DiffOutput, typer.Option(help="text, json or markdown (PR comments, split into parts).")
    ] = DiffOutput.text,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir",
            help="Write the Markdown parts as part-1.md, part-2.md... here (implies "
            "--output markdown).",
            file_okay=False,
        ),
    ] = None,
    max_size: Annotated[
        int, typer.Option("--max-size", help="Largest Markdown part, in characters.")
    ] = 65_536,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            help="Another field to leave out of the comparison, e.g. Deployment:spec.replicas "
            "or metadata.labels[helm.sh/chart]; repeatable.",
        ),
    ] = None,
    chart_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--chart-dir",
            help="Chart cache for Helm sources (default: $LABGEN_CHARTS; each side's charts/ "
            "is used too); repeatable.",
            file_okay=False,
        ),
    ] = None,
    root: RootOption = None,
) -> None:
    """Show what a change does to every Argo CD Application's desired state: objects
    added, deleted, modified or renamed after kustomize builds them, and the lab spec
    fields behind it. Exit 0 without changes, 1 with changes, 2 on errors."""
    from labgen.desired import chart_dirs
    from labgen.diff import DiffOptions, diff_repo
    from labgen.diff.report import as_json, as_text
    from labgen.diff.split import markdown_parts, write_parts

    if output_dir is not None:
        output = DiffOutput.markdown
    try:
        base_root = _root(root)
        result = diff_repo(
            base_root,
            DiffOptions(base, head, tuple(ignore or []), chart_dirs(chart_dir)),
        )
        parts = markdown_parts(result, max_size) if output == "markdown" else []
    except LabgenError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    if output_dir is not None:
        write_parts(output_dir, parts)
        _say(f"wrote {len(parts)} part{'s' if len(parts) != 1 else ''} to {output_dir}")
    elif output == "markdown":
        out.print("\n".join(parts), markup=False, end="")
    else:
        out.print((as_json if output == "json" else as_text)(result), markup=False, end="")
    if result.changed:
        raise typer.Exit(EXIT_FINDINGS)


@schemas_app.command("import")
def schemas_import(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="CRD files or directories (searched recursively for CustomResourceDefinitions), "
            "- for CRDs on standard input.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write {group}/{kind}_{version}.json (a schema location for checks).",
            file_okay=False,
        ),
    ] = Path("schemas/crds"),
) -> None:
    """Convert CRDs into strict JSON Schemas: unknown fields become errors, except where the
    CRD preserves unknown fields."""
    from labgen.crds import import_crds

    _stdin_once(sources, "PATH")
    for source in sources:
        if source != STDIN and not source.exists():
            raise typer.BadParameter(f"{source} does not exist", param_hint="PATH")
    written = import_crds(sources, out)
    if not written:
        shown = ("standard input" if s == STDIN else str(s) for s in sources)
        raise LabgenError(f"no served CRD versions found in {', '.join(shown)}")
    for path in written:
        _say(f"wrote {path}")
    _say(f"{len(written)} schemas in {out}")


@bench_app.command("report")
def bench_report(
    results: Annotated[
        list[Path],
        typer.Argument(
            help="GuideLLM JSON reports (0.7+ or older); - reads one from standard input.",
            dir_okay=False,
            metavar="RESULT.json",
        ),
    ],
    output_format: Annotated[
        BenchFormat,
        typer.Option("--format", "-f", help="text, markdown, csv or json.", metavar="FORMAT"),
    ] = BenchFormat.text,
    slo: Annotated[
        list[str] | None,
        typer.Option(
            help="Keep benchmarks meeting METRIC<=LIMIT, e.g. ttft_p95<=200 (ms); repeatable.",
            metavar="METRIC<=N",
        ),
    ] = None,
    weight: Annotated[
        list[str] | None,
        typer.Option(
            help="TOPSIS weight METRIC=W (repeat; default output_tps=0.4 ttft_p95=0.3 "
            "itl_p95=0.3). Throughputs are benefits, latencies costs.",
            metavar="METRIC=W",
        ),
    ] = None,
    pareto: Annotated[
        str | None,
        typer.Option(
            help="Pareto axes THROUGHPUT,LATENCY (default: output_tps,ttft_p95).", metavar="X,Y"
        ),
    ] = None,
    plot_path: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a PNG: latency against throughput.", metavar="FILE.png"),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report here, not stdout.", metavar="FILE"),
    ] = None,
) -> None:
    """Compare benchmarks: TTFT / ITL / TPOT percentiles and throughput per configuration,
    SLO filters, the Pareto front and a TOPSIS ranking.

    Metrics: rps, output_tps, total_tps, and {ttft,itl,tpot,latency}_{mean,p50,p95,p99}."""
    from labgen.bench.analyze import analyze, plot, summary, text_table
    from labgen.bench.report import load_results
    from labgen.plan.describe import Table

    slos, weights, axes = _bench_options(slo, weight, pareto, plot_path, output)
    analysis = analyze(load_results(results), slos, weights, axes)
    header, rows = text_table(analysis)
    table = Table(summary(analysis), header, tuple(rows))
    if output_format is BenchFormat.text and output is None:
        _table(table)
    elif output is not None:
        output.write_text(_bench_text(output_format, analysis, table))
        _say(f"wrote {output}")
    else:
        out.print(_bench_text(output_format, analysis, table), end="", markup=False)
    if plot_path is not None:
        plot(analysis, plot_path)
        _say(f"wrote {plot_path}")


def _bench_options(
    slo: list[str] | None,
    weight: list[str] | None,
    pareto: str | None,
    plot_path: Path | None,
    output: Path | None,
) -> tuple[list[Slo], list[tuple[str, float]], tuple[str, str]]:
    """``bench report``'s option values, parsed; a bad one is a usage error, like every
    other option's."""
    from labgen.bench.analyze import (
        DEFAULT_PARETO,
        DEFAULT_WEIGHTS,
        analyze,
        check_plotting,
        parse_slo,
        parse_weight,
    )
    from labgen.bench.report import ReportError

    axes = tuple(a.strip() for a in pareto.split(",")) if pareto else DEFAULT_PARETO
    if len(axes) != 2:
        raise typer.BadParameter(
            "takes two metrics, e.g. output_tps,ttft_p95", param_hint="--pareto"
        )
    if plot_path is not None:
        check_plotting()
    for target, hint in ((plot_path, "--plot"), (output, "--output")):
        if target is not None and not target.parent.is_dir():
            raise typer.BadParameter(f"directory {target.parent} does not exist", param_hint=hint)
    try:
        slos = [parse_slo(s) for s in slo or []]
        weights = [parse_weight(w) for w in weight] if weight else list(DEFAULT_WEIGHTS)
        analyze([], slos, weights, (axes[0], axes[1]))
    except ReportError as exc:
        raise typer.BadParameter(str(exc)) from None
    return slos, weights, (axes[0], axes[1])


def _bench_text(output_format: BenchFormat, analysis: Analysis, table: Table) -> str:
    """The report as text for a file or a pipe (the table at a fixed width when text)."""
    from labgen.bench.analyze import csv_text, json_text, markdown

    if output_format is BenchFormat.text:
        console = Console(
            file=io.StringIO(), width=_PIPE_WIDTH * 2, highlight=False, color_system=None
        )
        console.print(_rich_table(table))
        return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]
    formats = {
        BenchFormat.markdown: markdown,
        BenchFormat.csv: csv_text,
        BenchFormat.json: json_text,
    }
    return formats[output_format](analysis)


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

        base = _root(root)
        (resolved,) = load_plans(base, select_labs(base, [lab]))
        with connect(kubeconfig, context) as cluster:
            _warn_insecure(cluster)
            result = apply_bundle(cluster, resolved, dry_run=dry_run, force=force_conflicts)
    except LabgenError as exc:
        _print_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    for warning in result.warnings:
        _warn_text(warning)
    for line in bootstrap_lines(result):
        _say(line)
    if not dry_run:
        _say(f"next: `labgen status {resolved.name} --wait` to watch the tree converge")


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

        base = _root(root)
        (resolved,) = load_plans(base, select_labs(base, [lab]))
        with connect(kubeconfig, context) as cluster:
            _warn_insecure(cluster)
            if wait:
                final = _watch(cluster, resolved, timeout, interval)
            else:
                final = read_status(cluster, resolved)
    except LabgenError as exc:
        _print_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    out.print(status_table(final))
    if final.converged:
        _say(f"[green]{summary(final)}[/]")
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


@app.command()
def version() -> None:
    """Print labgen's version and the kubectl (kustomize) and helm it builds with."""
    out.print(f"labgen {__version__}")
    try:
        for tool in tools.describe_tools():
            out.print(f"{tool.name}: {tool.version} ({tool.path})")
    except LabgenError as exc:
        out.print(f"tools: {exc}")


def _warn_text(text: str) -> None:
    err.print("[yellow]warning:[/] ", end="")
    err.print(text, markup=False)


def _warn_insecure(cluster: Cluster) -> None:
    """Once per command, instead of urllib3's warning on every request."""
    if cluster.insecure:
        _warn_text(
            f"context {cluster.context!r} skips TLS verification (insecure-skip-tls-verify): "
            f"the identity of {cluster.server} is not checked"
        )


def _print_error(exc: LabgenError) -> None:
    if isinstance(exc, SpecError):
        for diagnostic in exc.diagnostics:
            err.print(str(diagnostic), markup=False)
        count = len(exc.diagnostics)
        err.print(f"[red]{count} error{'s' if count != 1 else ''}[/]; nothing was written")
    else:
        err.print("[red]error:[/] ", end="")
        err.print(str(exc), markup=False)


_METAVARS = {
    "skip": "KIND",
    "assume_crd": "GROUP",
    "kubernetes_version": "VERSION",
    "output": "FORMAT",
    "base": "REF",
    "head": "REF",
    "ignore": "FIELD",
}


def _plain_help(command: Any) -> Any:
    """Help pages show metavars (DIR, FILE, N, FORMAT), not the Python types typer prints
    by default (`<list[Path]>`, `<bool>`); flags and arguments show no type column."""
    for param in command.params:
        desc = param.type_descriptor
        if param.metavar is None and not getattr(param, "is_flag", False):
            element = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
            if param.name in _METAVARS:
                param.metavar = _METAVARS[param.name]
            elif element is Path:
                param.metavar = {"dir": "DIR", "file": "FILE"}.get(desc.path_type, "PATH")
            elif element in (int, float):
                param.metavar = "N"
            else:
                param.metavar = param.name.upper().replace("_", "-")
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)
    return command


def _option_type(self: typer.core.TyperOption, ctx: object) -> str | None:
    return None if self.is_flag else self.metavar


typer.core.TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Entry point: one error boundary, documented exit codes."""
    _state["traceback"] = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        command = _plain_help(typer.main.get_command(app))
        # Outside standalone mode click returns the code of a `typer.Exit` instead of raising.
        returned = command.main(args=argv, prog_name="labgen", standalone_mode=False)
    except LabgenError as exc:
        _print_error(exc)
        return EXIT_FINDINGS
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        return EXIT_FINDINGS
    except TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc.message}", markup=False)
        return EXIT_USAGE
    except Exception as exc:
        if _state.get("traceback"):
            raise
        err.print(
            f"[red]unexpected error:[/] {type(exc).__name__}: {exc}\n"
            "rerun with --traceback and report it"
        )
        return EXIT_UNEXPECTED
    return returned if isinstance(returned, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
