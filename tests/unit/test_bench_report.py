"""GuideLLM reports of both generations (real tool output, see tests/fixtures/guidellm/
README.md) parsed into one record, ranked, and written in every output format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from labgen.bench.analyze import analyze, csv_text, json_text, markdown, parse_slo, plot
from labgen.bench.report import ReportError, load_results, parse_report
from labgen.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "guidellm"
NEW = FIXTURES / "guidellm-0.8.1-concurrent.json"
OLD = FIXTURES / "guidellm-0.3.1-concurrent.json"


def test_current_generation_report() -> None:
    # values read by hand from the fixture (benchmarks[1], 4 concurrent streams)
    first, second = parse_report(NEW)
    assert (first.streams, second.streams) == (1, 4)
    assert second.generation == "0.7+"
    assert second.guidellm_version == "0.8.1"
    assert (second.model, second.target) == ("mock-model", "http://127.0.0.1:8765")
    assert (second.prompt_tokens, second.output_tokens) == (128, 64)
    assert (second.successful, second.errored, second.incomplete) == (24, 0, 4)
    assert second.value("ttft_p95") == pytest.approx(89.7519588470459)
    assert second.value("output_tps") == pytest.approx(307.2)
    assert second.rate is None


def test_old_generation_report() -> None:
    first, second = parse_report(OLD)
    assert second.generation == "0.3"
    assert second.guidellm_version is None
    assert second.strategy == "concurrent"
    assert second.streams == 4
    assert (second.prompt_tokens, second.output_tokens) == (128, 64)
    assert (second.successful, second.errored, second.incomplete) == (24, 0, 4)
    assert second.value("ttft_p95") == pytest.approx(347.2602367401123)
    assert second.value("itl_p50") == pytest.approx(10.525298497033498)
    assert second.value("output_tps") == pytest.approx(316.86357917941814)
    assert second.value("latency_p99") == pytest.approx(1.0232868194580078)
    assert first.name.endswith("concurrent@1 streams")


def test_middle_generation_report() -> None:
    # 0.6.1: metadata + args + benchmarks whose entries look like 0.7+'s (values by hand)
    first, second = parse_report(FIXTURES / "guidellm-0.6.1-concurrent.json")
    assert (second.generation, second.guidellm_version) == ("0.4-0.6", "0.6.1")
    assert (first.streams, second.streams) == (1, 4)
    assert (second.model, second.target) == ("mock-model", "http://127.0.0.1:8765")
    assert (second.prompt_tokens, second.output_tokens) == (128, 64)
    assert (second.successful, second.errored, second.incomplete) == (28, 0, 0)


def test_constant_rate_and_sweep_strategies() -> None:
    (constant,) = parse_report(FIXTURES / "guidellm-0.8.1-constant.json")
    assert (constant.strategy, constant.rate, constant.load) == ("constant", 2.0, "2 req/s")
    sweep = parse_report(FIXTURES / "guidellm-0.8.1-sweep.json")
    assert [r.strategy for r in sweep] == ["synchronous", "throughput", "constant"]
    old_sweep = parse_report(FIXTURES / "guidellm-0.3.1-sweep.json")
    assert [r.strategy for r in old_sweep][:2] == ["synchronous", "throughput"]


def test_not_a_report_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"benchmarks": [{"config": {}}], "metadata": {"guidellm_version": "0.8.1"}}')
    with pytest.raises(ReportError, match=r"bad.json: GuideLLM 0.7\+ report without"):
        parse_report(bad)
    bad.write_text("{\n  nope")
    with pytest.raises(ReportError, match=r"bad.json:2:3: not JSON"):
        parse_report(bad)
    bad.write_text("[]")
    with pytest.raises(ReportError, match="no top-level `benchmarks`"):
        parse_report(bad)


def test_slo_filter_ranking_and_formats(tmp_path: Path) -> None:
    results = load_results(sorted(FIXTURES.glob("*.json")))
    analysis = analyze(results, [parse_slo("ttft_p95<=200")])
    ranked = [r for r in analysis.rows if r.rank is not None]
    missed = [r for r in analysis.rows if r.rank is None]
    assert ranked
    assert missed
    assert all(r.result.value("ttft_p95") <= 200 for r in ranked)
    assert all(r.result.value("ttft_p95") > 200 for r in missed)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    scores = [r.score or 0.0 for r in ranked]
    assert scores == sorted(scores, reverse=True)
    # the best throughput among the rows that meet the SLO is always on the front
    best = max(ranked, key=lambda r: r.result.value("output_tps"))
    assert best.pareto

    rows = list(csv.DictReader(io.StringIO(csv_text(analysis))))
    assert len(rows) == len(results)
    assert rows[-1]["missed"].startswith("ttft_p95<=200")
    document = json.loads(json_text(analysis))
    assert document["slos"] == ["ttft_p95<=200"]
    assert document["results"][0]["rank"] == 1
    table = markdown(analysis)
    assert table.count("\n| ") == len(results) + 2  # header, rule, a line each

    png = tmp_path / "plot.png"
    plot(analysis, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.md"
    code = main(["bench", "report", str(NEW), str(OLD), "-f", "markdown", "-o", str(out)])
    assert code == 0
    assert "| rank | configuration |" in out.read_text()
    # a bad option value is a usage error (2), like every other option's
    assert main(["bench", "report", str(NEW), "--slo", "ttft<=3"]) == 2
    assert "unknown metric 'ttft'" in capsys.readouterr().err
    assert main(["bench", "report", str(tmp_path / "missing.json")]) == 1


def test_a_matrix_result_is_named_after_the_vllm_version_it_ran_on(tmp_path: Path) -> None:
    """A matrix files results as ``vllm-<version>/<id>.json``: the same configuration on two
    releases is two results, each saying its version."""
    for version in ("0.30.0", "0.30.1"):
        (tmp_path / f"vllm-{version}").mkdir()
        (tmp_path / f"vllm-{version}" / "a1b2c3d4e5f6.json").write_bytes(NEW.read_bytes())
    results = load_results(sorted(tmp_path.glob("vllm-*/*.json")))
    assert [r.labels["labgen.dev/vllm-version"] for r in results] == ["0.30.0"] * 2 + ["0.30.1"] * 2
    names = [r.name for r in results]
    assert len(set(names)) == 4
    assert names[1] == "a1b2c3d4e5f6#1 vllm-0.30.0 concurrent@4 streams"
    # a report elsewhere carries no version
    assert "labgen.dev/vllm-version" not in parse_report(NEW)[0].labels
