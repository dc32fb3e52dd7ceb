"""``labgen bench report``: GuideLLM results compared, filtered and ranked."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from labgen.cli.app import PIPE_WIDTH, bench_app, out
from labgen.cli.output import print_table, rich_table, say

if TYPE_CHECKING:
    from labgen.bench.analyze import Analysis, Slo
    from labgen.plan.describe import Table


class BenchFormat(StrEnum):
    """``labgen bench report --format``."""

    text = "text"
    markdown = "markdown"
    csv = "csv"
    json = "json"


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
        print_table(table)
    elif output is not None:
        output.write_text(_bench_text(output_format, analysis, table))
        say(f"wrote {output}")
    else:
        out.print(_bench_text(output_format, analysis, table), end="", markup=False)
    if plot_path is not None:
        plot(analysis, plot_path)
        say(f"wrote {plot_path}")


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
            file=io.StringIO(), width=PIPE_WIDTH * 2, highlight=False, color_system=None
        )
        console.print(rich_table(table))
        return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]
    formats = {
        BenchFormat.markdown: markdown,
        BenchFormat.csv: csv_text,
        BenchFormat.json: json_text,
    }
    return formats[output_format](analysis)
