"""Hostile and broken input, through the real CLI in a subprocess bounded in memory
(RLIMIT_AS) and time: a clear `file:line:col` error and exit 1, never a hang, a crash or a
traceback. The specs are the invalid corpus's hostile cases (tests/cases/invalid/yaml-*)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import INVALID
from labgen.errors import SpecError
from labgen.limits import MAX_ALIAS_NODES, MAX_SPEC_BYTES
from labgen.spec import parse_lab
from labgen.yamlio import YamlSyntaxError, load_all_safe

MEMORY = 1536 << 20  # the bomb expanded would take gigabytes; labgen needs a few hundred MB
SECONDS = 120  # generous for a loaded 2-core machine; a hang is what this catches
HOSTILE = ("yaml-alias-bomb", "yaml-nesting-too-deep")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_bounded(
    *args: str, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "labgen.cli", *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=SECONDS,
        preexec_fn=_limit_memory,
        env=env,
        check=False,
    )
    result = subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "unexpected error" not in result.stderr, result.stderr
    return result


def bomb_text(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "labs").mkdir()
    return tmp_path


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_spec_is_a_positioned_error(repo: Path, case: str) -> None:
    shutil.copy(INVALID / case / "lab.yaml", repo / "labs" / "hostile.yaml")
    result = run_bounded("validate", "hostile", cwd=repo)
    assert result.returncode == 1
    expected = (INVALID / case / "expected-error.txt").read_text().strip()
    assert expected.replace("lab.yaml:", "labs/hostile.yaml:") in result.stderr
    # render refuses it too, and writes nothing
    assert run_bounded("render", cwd=repo).returncode == 1
    assert sorted(p.name for p in repo.iterdir()) == ["labs"]


def test_hostile_spec_on_stdin(repo: Path) -> None:
    result = run_bounded(
        "validate", "-", cwd=repo, stdin=(INVALID / HOSTILE[0] / "lab.yaml").read_bytes()
    )
    assert result.returncode == 1
    assert "<stdin>:11:14: invalid YAML: YAML aliases expand" in result.stderr


def test_oversized_spec_is_refused_unread(repo: Path) -> None:
    spec = repo / "labs" / "huge.yaml"
    head = (INVALID / "typo-field" / "lab.yaml").read_text()
    spec.write_text(head + "# padding\n" * (3 * MAX_SPEC_BYTES // 10))  # 3 MiB
    result = run_bounded("validate", cwd=repo)
    assert result.returncode == 1
    assert (
        "labs/huge.yaml:1:1: 3.0 MiB is too large for a lab spec (at most 1.0 MiB)" in result.stderr
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  b: [1]\n"
            + "\n".join("  " + line for line in bomb_text().splitlines()),
            "YAML aliases expand to more than",
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: "
            + "[" * 30000
            + "]" * 30000
            + "\n",
            "nested deeper than 200 levels",
        ),
    ],
    ids=["alias-bomb", "deep-nesting"],
)
def test_check_refuses_hostile_manifests(repo: Path, text: str, message: str) -> None:
    manifests = repo / "incoming"
    manifests.mkdir()
    (manifests / "objects.yaml").write_text(text)
    result = run_bounded("check", "--output", "json", str(manifests), cwd=repo)
    assert result.returncode == 1
    assert message in result.stdout + result.stderr


def test_manifest_reader_bounds_alias_expansion() -> None:
    with pytest.raises(YamlSyntaxError) as raised:
        list(load_all_safe(bomb_text(), "bomb.yaml"))
    assert raised.value.diagnostic.line == 6  # a5: the level whose aliases cross the bound
    assert f"{MAX_ALIAS_NODES:,} nodes" in str(raised.value)
    # a few honest aliases are fine
    assert list(load_all_safe("a: &a {x: 1}\nb: *a\n")) == [{"a": {"x": 1}, "b": {"x": 1}}]


def test_manifest_reader_bounds_nesting_of_long_lines() -> None:
    # one 60,000-character line: the YAML 1.1 guard once spent minutes on it
    with pytest.raises(YamlSyntaxError, match="nested deeper than 200 levels"):
        list(load_all_safe("a: " + "[" * 30000 + "]" * 30000 + "\n", "deep.yaml"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 8, "not UTF-8 text (byte 128): not a JSON report"),
        (b"[" * 100_000, "JSON nested too deeply to be a GuideLLM report"),
        (b'{"benchmarks": [', "not JSON"),
    ],
    ids=["binary", "deep-json", "truncated"],
)
def test_bench_report_broken_input(tmp_path: Path, content: bytes, message: str) -> None:
    report = tmp_path / "report.json"
    report.write_bytes(content)
    result = run_bounded("bench", "report", str(report), cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    piped = run_bounded("bench", "report", "-", cwd=tmp_path, stdin=content)
    assert piped.returncode == 1
    assert "<stdin>" in piped.stderr


def test_bench_report_reads_stdin(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "guidellm" / "guidellm-0.8.1-concurrent.json"
    result = run_bounded(
        "bench", "report", "-", "--format", "json", cwd=tmp_path, stdin=fixture.read_bytes()
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]


def _expanded(levels: int, fanout: int) -> int:
    """Nodes the aliases of `_bomb(levels, fanout)` add once expanded."""
    size, added = fanout + 1, 0  # a0: a sequence of `fanout` scalars
    for _ in range(1, levels):
        added += fanout * size
        size = fanout * size + 1
    return added


def _bomb(levels: int, fanout: int) -> str:
    lines = [f"a0: &a0 [{','.join(['x'] * fanout)}]"]
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * fanout)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _problems(text: str, spec: bool) -> list[str]:
    """The messages reading ``text`` as a lab spec (under a Lab header) or as manifests
    gives."""
    try:
        if spec:
            nested = "".join(f"  {line}\n" for line in text.splitlines())
            parse_lab(f"apiVersion: labgen.dev/v1alpha1\nkind: Lab\nx:\n{nested}", "lab.yaml")
        else:
            list(load_all_safe(text, "objects.yaml"))
    except SpecError as exc:
        return [d.message for d in exc.diagnostics]
    except YamlSyntaxError as exc:
        return [exc.diagnostic.message]
    return []


@settings(max_examples=40, deadline=None)
@given(levels=st.integers(1, 12), fanout=st.integers(1, 12), spec=st.booleans())
def test_alias_expansion_is_bounded_for_every_shape(levels: int, fanout: int, spec: bool) -> None:
    """Fuzzed alias trees, read as a lab spec and as manifests: a clear error exactly when
    the aliases would add more than MAX_ALIAS_NODES nodes, the data otherwise."""
    problems = _problems(_bomb(levels, fanout), spec)
    bombed = [m for m in problems if "YAML aliases expand" in m]
    assert bool(bombed) == (_expanded(levels, fanout) > MAX_ALIAS_NODES), problems
    if not spec:  # manifests have no schema here: nothing else to complain about
        assert problems == bombed
