"""``labgen check`` and ``labgen diff``: rendered trees validated, and compared between
revisions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from labgen.cli.app import EXIT_FINDINGS, EXIT_USAGE, app, err, out, state
from labgen.cli.options import NoCacheOption, RootOption, build_cache, repo_root, stdin_once
from labgen.cli.output import say
from labgen.data.releases import DEFAULT_KUBERNETES_VERSION
from labgen.errors import LabgenError


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
    no_cache: NoCacheOption = False,
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
    stdin_once(paths or [], "PATH")
    base = check_root(root, paths or [], Path.cwd())
    options = CheckOptions(
        schema_dirs(base, schema_location or []),
        kubernetes_version,
        frozenset(skip or []),
        frozenset(assume_crd or []),
        chart_dirs(chart_dir),
        build_cache(no_cache),
    )
    with _Progress(err, quiet=bool(state["quiet"])) as progress:
        report = check_tree(base, paths or [Path(p) for p in DEFAULT_PATHS], options, progress)
    # The report on stdout (redirect it to a file), progress on stderr.
    out.print(formats[output](report), markup=False, end="")
    if report.failed:
        raise typer.Exit(EXIT_FINDINGS)


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
    no_cache: NoCacheOption = False,
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
        base_root = repo_root(root)
        result = diff_repo(
            base_root,
            DiffOptions(
                base, head, tuple(ignore or []), chart_dirs(chart_dir), build_cache(no_cache)
            ),
        )
        parts = markdown_parts(result, max_size) if output == "markdown" else []
    except LabgenError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    if output_dir is not None:
        write_parts(output_dir, parts)
        say(f"wrote {len(parts)} part{'s' if len(parts) != 1 else ''} to {output_dir}")
    elif output == "markdown":
        out.print("\n".join(parts), markup=False, end="")
    else:
        out.print((as_json if output == "json" else as_text)(result), markup=False, end="")
    if result.changed:
        raise typer.Exit(EXIT_FINDINGS)
