"""`-` reads standard input where a command reads files (issue 15 §5): `labgen check -`
(a manifest stream, checked like a plain file and reported at `<stdin>:LINE`) and
`labgen schemas import -` (CRDs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from labgen.check.files import CHUNK_BYTES
from support import crd

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{i}
  namespace: demo
data:
  size: "{i}"
"""
BAD_CONFIG_MAP = CONFIG_MAP.replace("  namespace: demo\n", "  namespace: demo\n  colour: blue\n")


def labgen(*args: str, cwd: Path, stdin: bytes) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "labgen.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


def stream(count: int, bad: int | None = None) -> tuple[bytes, int]:
    """``count`` ConfigMaps as one stream, ``bad`` with an unknown field; and the line the
    bad one starts on."""
    documents = [(BAD_CONFIG_MAP if i == bad else CONFIG_MAP).format(i=i) for i in range(count)]
    text = "---\n".join(documents)
    start = 1 + sum(d.count("\n") + 1 for d in documents[: bad or 0])
    return text.encode(), start


def test_check_reads_a_valid_stream(tmp_path: Path) -> None:
    valid, _ = stream(3)
    result = labgen("check", "-", cwd=tmp_path, stdin=valid)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("3 resources: 3 valid, 0 invalid"), result.stdout
    assert "checking <stdin>" in result.stderr  # progress on stderr, the report on stdout


def test_check_reports_an_invalid_stream_at_stdin_lines(tmp_path: Path) -> None:
    invalid, start = stream(5, bad=3)
    result = labgen("check", "-", cwd=tmp_path, stdin=invalid)
    assert result.returncode == 1
    assert f"ConfigMap demo/cm-3 (v1) at <stdin>:{start}\n" in result.stdout, result.stdout
    assert f"('colour' was unexpected) (line {start + 5})" in result.stdout
    assert "5 resources: 4 valid, 1 invalid" in result.stdout
    as_json = labgen("check", "--output", "json", "-", cwd=tmp_path, stdin=invalid)
    (bad,) = [r for r in json.loads(as_json.stdout)["resources"] if r["status"] == "invalid"]
    assert (bad["file"], bad["line"], bad["name"]) == ("<stdin>", start, "cm-3")
    assert [e["line"] for e in bad["errors"]] == [start + 5]


def test_a_large_stream_is_checked_in_chunks_at_the_right_lines(tmp_path: Path) -> None:
    count = 3 * CHUNK_BYTES // len(CONFIG_MAP)  # about three chunks: worker processes
    invalid, start = stream(count, bad=count - 7)
    assert len(invalid) > 2 * CHUNK_BYTES
    result = labgen("check", "-", cwd=tmp_path, stdin=invalid)
    assert result.returncode == 1
    assert f"ConfigMap demo/cm-{count - 7} (v1) at <stdin>:{start}\n" in result.stdout
    assert f"{count} resources: {count - 1} valid, 1 invalid" in result.stdout
    # the same lines as the same bytes in a file
    (tmp_path / "fleet.yaml").write_bytes(invalid)
    from_file = labgen("check", "fleet.yaml", cwd=tmp_path, stdin=b"")
    assert from_file.stdout.replace("fleet.yaml", "<stdin>") == result.stdout


def test_stdin_beside_files_and_only_once(tmp_path: Path) -> None:
    valid, _ = stream(2)
    (tmp_path / "bad.yaml").write_bytes(stream(2, bad=1)[0])
    result = labgen("check", "bad.yaml", "-", cwd=tmp_path, stdin=valid)
    assert result.returncode == 1
    assert "ConfigMap demo/cm-1 (v1) at bad.yaml:9" in result.stdout
    assert "4 resources: 3 valid, 1 invalid" in result.stdout
    twice = labgen("check", "-", "bad.yaml", "-", cwd=tmp_path, stdin=valid)
    assert twice.returncode == 2
    assert "- (standard input) can be given only once" in twice.stderr
    assert not twice.stdout


def test_broken_streams_are_positioned_errors(tmp_path: Path) -> None:
    valid, _ = stream(2)
    for tail, where in (
        (b"---\nkind: [x\n", "<stdin>:18:"),
        (b"---\nkind: x\ndata: \xff\n", "<stdin>:18:1: not UTF-8 text"),
    ):
        result = labgen("check", "-", cwd=tmp_path, stdin=valid + tail)
        assert result.returncode == 1, result.stderr
        assert where in result.stdout, result.stdout
        assert "Traceback" not in result.stderr


def test_schemas_import_reads_crds_from_stdin(tmp_path: Path) -> None:
    widget = crd({"type": "object", "properties": {"spec": {"type": "object"}}})
    text = yaml.safe_dump(widget).encode()
    (tmp_path / "widget.yaml").write_bytes(text)
    from_file = labgen("schemas", "import", "widget.yaml", "--out", "a", cwd=tmp_path, stdin=b"")
    assert from_file.returncode == 0, from_file.stderr
    piped = labgen("schemas", "import", "-", "--out", "b", cwd=tmp_path, stdin=text)
    assert piped.returncode == 0, piped.stderr
    schema = Path("example.com") / "widget_v1.json"
    assert (tmp_path / "b" / schema).read_text() == (tmp_path / "a" / schema).read_text()
    assert json.loads((tmp_path / "b" / schema).read_text())["properties"]["kind"] == {
        "type": "string",
        "enum": ["Widget"],
    }
    none = labgen("schemas", "import", "-", "--out", "c", cwd=tmp_path, stdin=b"a: 1\n")
    assert none.returncode == 1
    assert "no served CRD versions found in standard input" in none.stderr
    broken = labgen("schemas", "import", "-", "--out", "c", cwd=tmp_path, stdin=b"a: b: c\n")
    assert broken.returncode == 1
    assert "<stdin>:1:5: invalid YAML" in broken.stderr
    twice = labgen("schemas", "import", "-", "-", cwd=tmp_path, stdin=text)
    assert twice.returncode == 2
    assert "- (standard input) can be given only once" in twice.stderr
    missing = labgen("schemas", "import", "nothere.yaml", cwd=tmp_path, stdin=b"")
    assert missing.returncode == 2
    assert "nothere.yaml does not exist" in missing.stderr
    assert not (tmp_path / "c").exists()
