"""GuideLLM reports of both generations, read into one typed record per benchmark.

A GuideLLM run writes one report holding a list of benchmarks (one per rate, stream count
or sweep step). The statistics live in the same place in every release::

    benchmarks[].metrics.<metric>.successful.{mean, median, percentiles.{p50, p95, p99}}

What differs is everything around them. Three layouts (checked on real reports of 0.8.1,
0.6.1 and 0.3.1; 0.4.0's report model matches 0.6.1's):

- 0.7+ (``guidellm run``): top-level ``metadata`` and ``config``; per benchmark
  ``config.strategy``, ``config.backend`` (target, model), ``metrics.request_totals``;
  token counts in ``config.spec.data[]``; ``--label`` values in ``config.metadata.labels``.
- 0.4-0.6 (``guidellm benchmark``): top-level ``metadata`` and ``args``; benchmarks as in
  0.7+; token counts in the ``args.data[]`` strings (``prompt_tokens=128,...``).
- 0.3 (``guidellm benchmark``): only ``benchmarks``; per benchmark ``args.strategy``,
  ``worker`` (backend target, model), ``request_totals``, ``request_loader.data``.

Latencies are milliseconds (``request_latency`` is seconds); throughputs are per second.

A benchmark matrix files its reports as ``vllm-<version>/<id>.json`` (the version the
server reported when the batch ran): a report read from such a directory carries the
version as the label ``labgen.dev/vllm-version``, and its name says it, so the same
configuration measured on two vLLM releases stays two results.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from labgen.errors import LabgenError
from labgen.limits import MAX_REPORT_BYTES, size_problem
from labgen.stdin import STDIN, STDIN_ORIGIN

Generation = Literal["0.7+", "0.4-0.6", "0.3"]
CONFIG_LABEL = "labgen.dev/config"
VLLM_LABEL = "labgen.dev/vllm-version"
VLLM_DIR = "vllm-"
"""Prefix of a matrix's results directory per vLLM version (``components.matrices``)."""

LATENCY_METRICS = {
    "ttft": "time_to_first_token_ms",
    "itl": "inter_token_latency_ms",
    "tpot": "time_per_output_token_ms",
    "latency": "request_latency",
}
THROUGHPUT_METRICS = {
    "rps": "requests_per_second",
    "output_tps": "output_tokens_per_second",
    "total_tps": "tokens_per_second",
}


class ReportError(LabgenError):
    """A file that is not a GuideLLM report this parser knows."""


# --- the parts of a report we read (pydantic, extra keys ignored) -----------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Percentiles(_Loose):
    p50: float
    p95: float
    p99: float


class _Stats(_Loose):
    mean: float
    count: int
    percentiles: _Percentiles


class _Metric(_Loose):
    successful: _Stats


class _Totals(_Loose):
    successful: int
    errored: int
    incomplete: int
    total: int


class _Strategy(_Loose):
    type_: str
    rate: float | None = None
    streams: int | None = None


class _NewBackend(_Loose):
    target: str
    model: str | None = None


class _NewConfig(_Loose):
    strategy: _Strategy
    backend: _NewBackend


class _NewBenchmark(_Loose):
    config: _NewConfig
    metrics: dict[str, Any]
    duration: float


class _NewData(_Loose):
    kind: str
    prompt_tokens: int | None = None
    output_tokens: int | None = None


class _NewSpec(_Loose):
    data: list[_NewData | str] = []


class _NewRunConfig(_Loose):
    metadata: dict[str, Any] = {}
    spec: _NewSpec


class _NewMetadata(_Loose):
    guidellm_version: str


class _NewReport(_Loose):
    metadata: _NewMetadata
    config: _NewRunConfig
    benchmarks: list[_NewBenchmark]


class _MiddleArgs(_Loose):
    data: list[Any] = []


class _MiddleReport(_Loose):
    metadata: _NewMetadata
    args: _MiddleArgs
    benchmarks: list[_NewBenchmark]


class _OldArgs(_Loose):
    strategy: _Strategy


class _OldWorker(_Loose):
    backend_target: str
    backend_model: str | None = None


class _OldLoader(_Loose):
    data: str | dict[str, Any] | list[Any] | None = None


class _OldBenchmark(_Loose):
    args: _OldArgs
    worker: _OldWorker
    request_loader: _OldLoader
    request_totals: _Totals
    metrics: dict[str, Any]
    duration: float


class _OldReport(_Loose):
    benchmarks: list[_OldBenchmark]


# --- the record -------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    mean: float
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True)
class Result:
    """One benchmark of one report: a load level against one configuration."""

    source: str
    index: int
    generation: Generation
    guidellm_version: str | None
    model: str
    target: str
    strategy: str
    rate: float | None
    streams: int | None
    prompt_tokens: int | None
    output_tokens: int | None
    labels: dict[str, str]
    successful: int
    errored: int
    incomplete: int
    duration: float
    latencies: dict[str, Distribution]
    """ttft, itl, tpot (ms) and latency (s) of successful requests."""
    throughputs: dict[str, float]
    """rps, output_tps, total_tps: means over the benchmark."""

    @property
    def load(self) -> str:
        if self.streams is not None:
            return f"{self.streams} streams"
        if self.rate is not None:
            return f"{self.rate:g} req/s"
        return "max" if self.strategy == "throughput" else "1 stream"

    @property
    def name(self) -> str:
        config = self.labels.get(CONFIG_LABEL)
        head = config or f"{Path(self.source).stem}#{self.index}"
        if VLLM_LABEL in self.labels:
            head += f" vllm-{self.labels[VLLM_LABEL]}"
        return f"{head} {self.strategy}@{self.load}"

    def value(self, key: str) -> float:
        """A metric by key: ``rps``, ``output_tps``, ``total_tps``, or ``<latency>_<stat>``
        such as ``ttft_p95`` or ``itl_mean``."""
        if key in self.throughputs:
            return self.throughputs[key]
        metric, _, stat = key.rpartition("_")
        if metric in self.latencies and stat in ("mean", "p50", "p95", "p99"):
            return float(getattr(self.latencies[metric], stat))
        raise KeyError(key)


METRIC_KEYS = (
    *THROUGHPUT_METRICS,
    *(f"{m}_{s}" for m in LATENCY_METRICS for s in ("mean", "p50", "p95", "p99")),
)
BENEFIT = frozenset(THROUGHPUT_METRICS)
"""Metrics where more is better; every latency is a cost."""


def load_results(paths: Iterable[Path], stdin: BinaryIO | None = None) -> list[Result]:
    """The benchmarks of every report; ``-`` (STDIN) reads one from ``stdin`` (default:
    standard input), named ``<stdin>`` in errors."""
    results: list[Result] = []
    for path in paths:
        if path == STDIN:
            data = (stdin or sys.stdin.buffer).read()
            results.extend(parse_report_bytes(data, STDIN_ORIGIN))
        else:
            results.extend(parse_report(path))
    return results


def parse_report(path: Path) -> list[Result]:
    try:
        too_large = size_problem(path.stat().st_size, MAX_REPORT_BYTES, "a GuideLLM report")
        if too_large is not None:
            raise ReportError(f"{path}: {too_large}")
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    results = parse_report_bytes(data, str(path))
    version = path.parent.name.removeprefix(VLLM_DIR)
    if not path.parent.name.startswith(VLLM_DIR) or not version:
        return results
    return [dataclasses.replace(r, labels={VLLM_LABEL: version, **r.labels}) for r in results]


def parse_report_bytes(content: bytes, path: str) -> list[Result]:
    """One report's bytes (a file's, or standard input's as ``-``) parsed."""
    too_large = size_problem(len(content), MAX_REPORT_BYTES, "a GuideLLM report")
    if too_large is not None:
        raise ReportError(f"{path}: {too_large}")
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not UTF-8 text (byte {exc.start}): not a JSON report") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise ReportError(f"{path}: JSON nested too deeply to be a GuideLLM report") from None
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise ReportError(f"{path}: not a GuideLLM report (no top-level `benchmarks`)")
    generation: Generation = (
        "0.3" if "metadata" not in data else "0.4-0.6" if "args" in data else "0.7+"
    )
    try:
        if generation == "0.7+":
            return _new(str(path), _NewReport.model_validate(data))
        if generation == "0.4-0.6":
            return _middle(str(path), _MiddleReport.model_validate(data))
        return _old(str(path), _OldReport.model_validate(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReportError(
            f"{path}: GuideLLM {generation} report without `{where}`: {first['msg']}"
        ) from None


def _new(source: str, report: _NewReport) -> list[Result]:
    tokens = next((d for d in report.config.spec.data if isinstance(d, _NewData)), None)
    labels = {str(k): str(v) for k, v in report.config.metadata.get("labels", {}).items()}
    prompt, output = (tokens.prompt_tokens, tokens.output_tokens) if tokens else (None, None)
    return _configured(source, "0.7+", report.metadata, report.benchmarks, prompt, output, labels)


def _middle(source: str, report: _MiddleReport) -> list[Result]:
    prompt, output = next(
        (t for t in map(_old_tokens, report.args.data) if t != (None, None)), (None, None)
    )
    return _configured(source, "0.4-0.6", report.metadata, report.benchmarks, prompt, output, {})


def _configured(
    source: str,
    generation: Generation,
    metadata: _NewMetadata,
    benchmarks: list[_NewBenchmark],
    prompt: int | None,
    output: int | None,
    labels: dict[str, str],
) -> list[Result]:
    """Benchmarks with a ``config`` (0.4 and later)."""
    return [
        _result(
            source,
            index,
            generation,
            metadata.guidellm_version,
            bench.config.backend.model,
            bench.config.backend.target,
            bench.config.strategy,
            prompt,
            output,
            labels,
            _Totals.model_validate(bench.metrics["request_totals"]),
            bench.duration,
            bench.metrics,
        )
        for index, bench in enumerate(benchmarks)
    ]


def _old(source: str, report: _OldReport) -> list[Result]:
    out = []
    for index, bench in enumerate(report.benchmarks):
        prompt, output = _old_tokens(bench.request_loader.data)
        out.append(
            _result(
                source,
                index,
                "0.3",
                None,
                bench.worker.backend_model,
                bench.worker.backend_target,
                bench.args.strategy,
                prompt,
                output,
                {},
                bench.request_totals,
                bench.duration,
                bench.metrics,
            )
        )
    return out


def _old_tokens(data: Any) -> tuple[int | None, int | None]:
    """``prompt_tokens=128,output_tokens=64`` (or the same as a mapping)."""
    if isinstance(data, str) and "=" in data:
        pairs = dict(item.split("=", 1) for item in data.split(",") if "=" in item)
        data = pairs
    if isinstance(data, dict):
        prompt, output = data.get("prompt_tokens"), data.get("output_tokens")
        return (
            int(prompt) if prompt is not None else None,
            int(output) if output is not None else None,
        )
    return None, None


def _result(
    source: str,
    index: int,
    generation: Generation,
    version: str | None,
    model: str | None,
    target: str,
    strategy: _Strategy,
    prompt: int | None,
    output: int | None,
    labels: dict[str, str],
    totals: _Totals,
    duration: float,
    metrics: dict[str, Any],
) -> Result:
    def metric(name: str) -> _Stats:
        if name not in metrics:
            raise ReportError(f"{source}: benchmark {index} has no `metrics.{name}`")
        return _Metric.model_validate(metrics[name]).successful

    latencies = {}
    for key, name in LATENCY_METRICS.items():
        stats = metric(name)
        p = stats.percentiles
        latencies[key] = Distribution(stats.mean, p.p50, p.p95, p.p99)
    throughputs = {key: metric(name).mean for key, name in THROUGHPUT_METRICS.items()}
    return Result(
        source=source,
        index=index,
        generation=generation,
        guidellm_version=version,
        model=model or "",
        target=target,
        strategy=strategy.type_,
        rate=strategy.rate if strategy.type_ in ("constant", "poisson") else None,
        streams=strategy.streams if strategy.type_ == "concurrent" else None,
        prompt_tokens=prompt,
        output_tokens=output,
        labels=labels,
        successful=totals.successful,
        errored=totals.errored,
        incomplete=totals.incomplete,
        duration=duration,
        latencies=latencies,
        throughputs=throughputs,
    )
