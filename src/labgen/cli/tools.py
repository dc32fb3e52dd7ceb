"""``labgen tools``, ``labgen schemas import`` and ``labgen version``: the pinned tools,
CRD schemas, and what labgen runs with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labgen import __version__, tools
from labgen.cli.app import app, out, schemas_app, tools_app
from labgen.cli.options import stdin_once
from labgen.cli.output import say
from labgen.errors import LabgenError
from labgen.stdin import STDIN


@tools_app.command("install")
def tools_install() -> None:
    """Install the pinned kubectl and helm into this virtualenv's bin/."""
    for tool in tools.install():
        say(f"{tool.name}: {tool.version} ({tool.path})")


@tools_app.command("versions")
def tools_versions() -> None:
    """Show which kubectl and helm labgen uses, and their versions."""
    for tool in tools.describe_tools():
        out.print(f"{tool.name}: {tool.version} ({tool.path})")


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

    stdin_once(sources, "PATH")
    for source in sources:
        if source != STDIN and not source.exists():
            raise typer.BadParameter(f"{source} does not exist", param_hint="PATH")
    written = import_crds(sources, out)
    if not written:
        shown = ("standard input" if s == STDIN else str(s) for s in sources)
        raise LabgenError(f"no served CRD versions found in {', '.join(shown)}")
    for path in written:
        say(f"wrote {path}")
    say(f"{len(written)} schemas in {out}")


@app.command()
def version() -> None:
    """Print labgen's version and the kubectl (kustomize) and helm it builds with."""
    out.print(f"labgen {__version__}")
    try:
        for tool in tools.describe_tools():
            out.print(f"{tool.name}: {tool.version} ({tool.path})")
    except LabgenError as exc:
        out.print(f"tools: {exc}")
