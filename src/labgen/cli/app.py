"""The typer application, its consoles and global options (``--quiet``, ``--verbose``,
``--traceback``, ``--version``); the command modules register their commands on it."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from labgen import __version__, tools

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3

# Piped output (CI logs, `| less`) gets a fixed width so tables are not squeezed to 80
# columns and the text is the same on every machine; terminals keep their own width.
PIPE_WIDTH = 160
# NO_COLOR (https://no-color.org): no ANSI styling at all, not only no colours.
NO_COLOR = bool(os.environ.get("NO_COLOR"))


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
        width=None if stream.isatty() else PIPE_WIDTH,
        color_system=None if NO_COLOR else "auto",
    )


out = _console(stderr=False)
err = _console(stderr=True)
if NO_COLOR:
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

state: dict[str, bool] = {"quiet": False}


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
    state["quiet"] = quiet
    state["traceback"] = traceback
    tools.trace_commands(_trace if verbose else None)


def _trace(args: Sequence[str], *, reused: bool = False) -> None:
    shown = shlex.join([Path(args[0]).name, *args[1:]] if args else [])
    line = f"= {shown}  (reused: its inputs did not change)" if reused else f"+ {shown}"
    err.print(line, markup=False, highlight=False)
