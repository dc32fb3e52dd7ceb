"""Printing shared by the commands: messages, warnings, errors, tables and JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.table import Table as RichTable

from labgen.cli.app import err, out, state
from labgen.errors import Diagnostic, LabgenError, SpecError

if TYPE_CHECKING:
    from labgen.plan.describe import Table


def print_json(data: object) -> None:
    out.print(json.dumps(data, indent=2), markup=False, highlight=False, soft_wrap=True)


def diagnostic_data(diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "file": diagnostic.file,
        "line": diagnostic.line,
        "column": diagnostic.col,
        "path": diagnostic.path,
        "message": diagnostic.message,
    }


def table_data(table: Table) -> list[dict[str, str]]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def warn(warnings: list[Diagnostic]) -> None:
    for warning in warnings:
        err.print(str(warning), markup=False, style="yellow")


def say(message: str) -> None:
    if not state["quiet"]:
        out.print(message)


def print_table(table: Table) -> None:
    out.print(rich_table(table))


def rich_table(table: Table) -> RichTable:
    rich = RichTable(title=table.title, title_justify="left", title_style="bold")
    for column in table.columns:
        rich.add_column(column)
    for row in table.rows:
        rich.add_row(*row)
    return rich


def warn_text(text: str) -> None:
    err.print("[yellow]warning:[/] ", end="")
    err.print(text, markup=False)


def print_error(exc: LabgenError) -> None:
    if isinstance(exc, SpecError):
        for diagnostic in exc.diagnostics:
            err.print(str(diagnostic), markup=False)
        count = len(exc.diagnostics)
        err.print(f"[red]{count} error{'s' if count != 1 else ''}[/]; nothing was written")
    else:
        err.print("[red]error:[/] ", end="")
        err.print(str(exc), markup=False)
