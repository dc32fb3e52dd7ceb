"""From parsed benchmarks to a decision: SLO filters, the Pareto front, a TOPSIS ranking,
and the same table as text, markdown, CSV, JSON or a PNG plot."""

from __future__ import annotations

import csv
import io
import json
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labgen.bench.rank import Criterion, pareto_front, topsis
from labgen.bench.report import BENEFIT, METRIC_KEYS, ReportError, Result
from labgen.extras import require

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_SLO = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([0-9.]+(?:e-?[0-9]+)?)\s*$")
DEFAULT_WEIGHTS = (("output_tps", 0.4), ("ttft_p95", 0.3), ("itl_p95", 0.3))
DEFAULT_PARETO = ("output_tps", "ttft_p95")
COLUMNS = (
    "rps",
    "output_tps",
    "ttft_p50",
    "ttft_p95",
    "ttft_p99",
    "itl_p50",
    "itl_p95",
    "itl_p99",
    "tpot_p50",
    "tpot_p95",
    "tpot_p99",
    "latency_p95",
)


@dataclass(frozen=True)
class Slo:
    key: str
    op: str
    limit: float

    def holds(self, result: Result) -> bool:
        return _OPS[self.op](result.value(self.key), self.limit)

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.limit:g}"


def parse_slo(text: str) -> Slo:
    match = _SLO.match(text)
    if match is None:
        raise ReportError(f"--slo {text!r}: expected METRIC<=LIMIT, e.g. ttft_p95<=200")
    key, op, limit = match.groups()
    _known(key, "--slo")
    return Slo(key, op, float(limit))


def parse_weight(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    try:
        weight = float(value)
    except ValueError:
        weight = -1.0
    if not sep or weight < 0:
        raise ReportError(f"--weight {text!r}: expected METRIC=WEIGHT, e.g. output_tps=0.5")
    _known(key.strip(), "--weight")
    return key.strip(), weight


def _known(key: str, option: str) -> None:
    if key not in METRIC_KEYS:
        raise ReportError(f"{option}: unknown metric {key!r}; known: {', '.join(METRIC_KEYS)}")


@dataclass(frozen=True)
class Row:
    result: Result
    failed: tuple[Slo, ...]
    """The SLOs this benchmark misses (it is then neither ranked nor on the front)."""
    pareto: bool
    score: float | None
    rank: int | None


@dataclass(frozen=True)
class Analysis:
    rows: tuple[Row, ...]
    """Ranked rows first (best first), then the ones that miss an SLO."""
    criteria: tuple[Criterion, ...]
    pareto_axes: tuple[str, str]
    slos: tuple[Slo, ...]


def analyze(
    results: Sequence[Result],
    slos: Sequence[Slo] = (),
    weights: Sequence[tuple[str, float]] = DEFAULT_WEIGHTS,
    pareto_axes: tuple[str, str] = DEFAULT_PARETO,
) -> Analysis:
    for key in pareto_axes:
        _known(key, "--pareto")
    if sum(w for _, w in weights) <= 0:  # TOPSIS needs a positive total
        raise ReportError("--weight: at least one weight must be positive")
    criteria = tuple(Criterion(k, w, k in BENEFIT) for k, w in weights)
    passing = [r for r in results if all(s.holds(r) for s in slos)]
    axes_benefit = [k in BENEFIT for k in pareto_axes]
    front = pareto_front([[r.value(k) for k in pareto_axes] for r in passing], axes_benefit)
    scores = topsis([[r.value(c.name) for c in criteria] for r in passing], criteria)
    order = sorted(range(len(passing)), key=lambda i: (-scores[i], passing[i].name))
    ranked = [
        Row(passing[i], (), front[i], scores[i], place) for place, i in enumerate(order, start=1)
    ]
    missed = [
        Row(r, tuple(s for s in slos if not s.holds(r)), False, None, None)
        for r in sorted(results, key=lambda r: r.name)
        if r not in passing
    ]
    return Analysis(tuple(ranked + missed), criteria, pareto_axes, tuple(slos))


# --- output -----------------------------------------------------------------------------

HEADER = (
    "rank",
    "configuration",
    "model",
    "in/out tok",
    "ok/err",
    *COLUMNS,
    "pareto",
    "topsis",
    "missed",
)
TEXT_COLUMNS = (
    "rank",
    "configuration",
    "ok/err",
    *(c for c in COLUMNS if c not in ("tpot_p50", "tpot_p99", "latency_p95")),
    "pareto",
    "topsis",
)
"""What fits a terminal; the other formats carry every column."""


def _cells(row: Row) -> tuple[str, ...]:
    r = row.result
    tokens = f"{r.prompt_tokens or '?'}/{r.output_tokens or '?'}"
    values = tuple(
        f"{r.value(k):.3f}" if k == "latency_p95" else f"{r.value(k):.1f}" for k in COLUMNS
    )
    rank = str(row.rank) if row.rank is not None else "-"
    score = f"{row.score:.4f}" if row.score is not None else ""
    missed = " ".join(map(str, row.failed))
    return (
        rank,
        r.name,
        r.model,
        tokens,
        f"{r.successful}/{r.errored}",
        *values,
        "yes" if row.pareto else "",
        score,
        missed,
    )


def table_rows(analysis: Analysis) -> list[tuple[str, ...]]:
    return [_cells(row) for row in analysis.rows]


def text_table(analysis: Analysis) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The columns that fit a terminal; the other formats carry them all."""
    index = [HEADER.index(c) for c in TEXT_COLUMNS]
    rows = []
    for row, cells in zip(analysis.rows, table_rows(analysis), strict=True):
        picked = [cells[i] for i in index]
        if row.failed:
            picked[0] = "miss"
        rows.append(tuple(picked))
    return TEXT_COLUMNS, rows


def summary(analysis: Analysis) -> str:
    weights = ", ".join(
        f"{c.name} {c.weight:g} ({'benefit' if c.benefit else 'cost'})" for c in analysis.criteria
    )
    x, y = analysis.pareto_axes
    ranked = sum(1 for r in analysis.rows if r.rank is not None)
    if analysis.slos:
        slos = ", ".join(map(str, analysis.slos))
        kept = f"{ranked} of {len(analysis.rows)} benchmarks meet the SLOs ({slos})"
    else:
        kept = f"{len(analysis.rows)} benchmarks, no SLO given (--slo filters them)"
    return (
        f"{kept}; "
        f"TOPSIS weights: {weights}; Pareto front of {x} against {y}. "
        "Latencies in ms (latency_p95 in s), throughput per second."
    )


def markdown(analysis: Analysis) -> str:
    lines = [f"_{summary(analysis)}_", "", "| " + " | ".join(HEADER) + " |"]
    lines.append("| " + " | ".join("---:" if h in COLUMNS else "---" for h in HEADER) + " |")
    lines += [
        "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table_rows(analysis)
    ]
    return "\n".join(lines) + "\n"


def csv_text(analysis: Analysis) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(table_rows(analysis))
    return buffer.getvalue()


def json_text(analysis: Analysis) -> str:
    items = []
    for row in analysis.rows:
        r = row.result
        items.append(
            {
                "name": r.name,
                "source": r.source,
                "index": r.index,
                "generation": r.generation,
                "guidellmVersion": r.guidellm_version,
                "model": r.model,
                "target": r.target,
                "strategy": r.strategy,
                "rate": r.rate,
                "streams": r.streams,
                "promptTokens": r.prompt_tokens,
                "outputTokens": r.output_tokens,
                "labels": r.labels,
                "requests": {
                    "successful": r.successful,
                    "errored": r.errored,
                    "incomplete": r.incomplete,
                },
                "metrics": {k: r.value(k) for k in METRIC_KEYS},
                "missedSlos": [str(s) for s in row.failed],
                "pareto": row.pareto,
                "topsis": row.score,
                "rank": row.rank,
            }
        )
    document = {
        "slos": [str(s) for s in analysis.slos],
        "weights": {c.name: c.weight for c in analysis.criteria},
        "pareto": list(analysis.pareto_axes),
        "results": items,
    }
    return json.dumps(document, indent=2) + "\n"


def check_plotting() -> None:
    """Raise a LabgenError saying how to install matplotlib when it is not installed."""
    require("matplotlib", "`labgen bench report --plot`")


def plot(analysis: Analysis, path: Path) -> None:
    """Latency (x) against throughput (y) per benchmark, the Pareto front drawn as a line."""
    check_plotting()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    throughput_key, latency_key = analysis.pareto_axes
    if throughput_key not in BENEFIT:
        throughput_key, latency_key = latency_key, throughput_key
    figure, axes = pyplot.subplots(figsize=(9, 6), dpi=100)
    ranked = [r for r in analysis.rows if r.rank is not None]
    missed = [r for r in analysis.rows if r.rank is None]
    for rows, color, marker, label in (
        (ranked, "tab:blue", "o", "meets SLOs" if analysis.slos else "benchmark"),
        (missed, "tab:gray", "x", "misses an SLO"),
    ):
        if rows:
            axes.scatter(
                [r.result.value(latency_key) for r in rows],
                [r.result.value(throughput_key) for r in rows],
                c=color,
                marker=marker,
                label=label,
            )
    front = sorted(
        (r.result.value(latency_key), r.result.value(throughput_key)) for r in ranked if r.pareto
    )
    if front:
        axes.plot(*zip(*front, strict=True), color="tab:red", marker="o", label="Pareto front")
    for row in ranked[:5]:
        axes.annotate(
            f"#{row.rank} {row.result.name}",
            (row.result.value(latency_key), row.result.value(throughput_key)),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    axes.set_xlabel(latency_key + (" (s)" if latency_key.startswith("latency") else " (ms)"))
    axes.set_ylabel(throughput_key + " (per second)")
    axes.set_title("GuideLLM: throughput against latency")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png", metadata={"Software": None})
    pyplot.close(figure)
