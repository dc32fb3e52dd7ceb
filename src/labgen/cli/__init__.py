"""Command line: the only package that prints or decides exit codes.

Exit codes, the same for every command: 0 success; 1 findings (spec errors, drift, check
findings, changes, a cluster not converged) and other user errors; 2 usage errors (bad
options or arguments); 3 unexpected errors (rerun with --traceback for the traceback).

``app`` holds the typer application and global options, ``options`` and ``output`` what
the commands share; one module per group of commands registers them (importing it is
what adds them, in the order of the help page); ``main`` is the one error boundary.
Only what ``labgen --help`` needs is imported at start-up: each command imports its own
modules (the spec models, the renderer, the Kubernetes client, matplotlib,
jsonschema-rs), so a command pays only for what it uses.
"""

from __future__ import annotations

import sys

import typer
import typer.main
from typer.exceptions import TyperException

# Imported for their commands, in the order the help page lists them.
from labgen.cli import plan, render, check, bench, cluster, tools  # noqa: F401  # isort: skip
from labgen.cli.app import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    app,
    err,
    state,
)
from labgen.cli.help import plain_help
from labgen.cli.output import print_error
from labgen.errors import LabgenError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point: one error boundary, documented exit codes."""
    state["traceback"] = "--traceback" in (argv if argv is not None else sys.argv[1:])
    try:
        command = plain_help(typer.main.get_command(app))
        # Outside standalone mode click returns the code of a `typer.Exit` instead of raising.
        returned = command.main(args=argv, prog_name="labgen", standalone_mode=False)
    except LabgenError as exc:
        print_error(exc)
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
        if state.get("traceback"):
            raise
        err.print(
            f"[red]unexpected error:[/] {type(exc).__name__}: {exc}\n"
            "rerun with --traceback and report it"
        )
        return EXIT_UNEXPECTED
    return returned if isinstance(returned, int) else EXIT_OK
