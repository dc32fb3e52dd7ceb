"""``labgen render``, ``labgen schema`` and ``labgen init``: files written into the
repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labgen.cli.app import EXIT_FINDINGS, app, err
from labgen.cli.options import RootOption, repo_root
from labgen.cli.output import say
from labgen.data.types import Platform, Provider
from labgen.starter import PLATFORMS, PROVIDERS, write_starter


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

    base = repo_root(root)
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
        say(f"[green]up to date[/]: {len(rendered.tree)} files for {len(rendered.plans)} labs")
        return
    report = write_tree(base, rendered.tree, rendered.scopes)
    for result in report.changed:
        say(f"{result.action:>9} {result.path}")
    say(
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

    report = write_tree(repo_root(root), schema_tree(), {SCHEMA_OWNER})
    say(f"{report.results[0].action} {SCHEMA_PATH}")


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
    say(f"wrote {target}; next: `labgen validate {name}` and `labgen plan {name}`")
