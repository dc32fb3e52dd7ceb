"""The optional extras (`labgen[cluster]`, `labgen[plot]`): without them, the commands that
need them say how to install them, exit with their documented code, and print no
traceback. The packages are hidden from a fresh interpreter (``sys.modules[name] = None``
makes importing them fail as a missing package does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

FIXTURE = REPO / "tests" / "fixtures" / "guidellm" / "guidellm-0.8.1-concurrent.json"


def run_without(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys; sys.modules[{module!r}] = None; from labgen.cli import main; "
        f"sys.exit(main({list(args)!r}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("command", ["status", "bootstrap"])
def test_cluster_commands_name_the_cluster_extra(command: str, tmp_path: Path) -> None:
    result = run_without("kubernetes", command, "demo", "--root", str(REPO), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "pip install 'labgen[cluster]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_plot_names_the_plot_extra_before_any_output(tmp_path: Path) -> None:
    plot = tmp_path / "plot.png"
    result = run_without(
        "matplotlib", "bench", "report", str(FIXTURE), "--plot", str(plot), cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr
    assert "pip install 'labgen[plot]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not plot.exists()


def test_bench_report_without_plot_needs_no_matplotlib(tmp_path: Path) -> None:
    result = run_without("matplotlib", "bench", "report", str(FIXTURE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout
