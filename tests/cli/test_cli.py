"""The real CLI: exit codes, render/--check round trips, init, plan."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labgen import cli, repo
from labgen.data.platforms import PLATFORMS as PLATFORM_TABLE
from labgen.data.releases import RELEASES
from labgen.starter import PLATFORMS, PROVIDERS
from labgen.tools import HELM_VERSION, KUBECTL_VERSION, KUSTOMIZE_VERSION
from support import run_cli

run = run_cli


def test_render_twice_is_byte_identical(repo_copy: Path, tmp_path: Path) -> None:
    assert run("render", cwd=repo_copy).returncode == 0
    first = {p: p.read_bytes() for p in sorted(repo_copy.rglob("*")) if p.is_file()}
    other = tmp_path / "second"
    shutil.copytree(repo_copy / "labs", other / "labs")
    assert run("render", cwd=other).returncode == 0
    second = {p.relative_to(other): p.read_bytes() for p in sorted(other.rglob("*")) if p.is_file()}
    assert {p.relative_to(repo_copy): c for p, c in first.items()} == second
    again = run("render", cwd=repo_copy)
    assert again.returncode == 0
    assert "0 created, 0 updated, 0 deleted" in again.stdout


def test_render_check_detects_hand_edit_and_stale_file(rendered_copy: Path) -> None:
    repo_copy = rendered_copy
    assert run("render", "--check", cwd=repo_copy).returncode == 0
    edited = next((repo_copy / "apps").rglob("application-*.yaml"))
    original = edited.read_text()
    edited.write_text(original.replace("selfHeal: true", "selfHeal: false"))
    result = run("render", "--check", cwd=repo_copy)
    assert result.returncode == 1
    assert "modified" in result.stderr
    assert "selfHeal" in result.stderr
    edited.write_text(original)
    stray = repo_copy / "overlays" / "h100-llmd" / "gpu-operator" / "extra.yaml"
    stray.write_text("kind: ConfigMap\n")
    result = run("render", "--check", cwd=repo_copy)
    assert result.returncode == 1
    assert "unexpected" in result.stderr
    assert "extra.yaml" in result.stderr


def test_removing_a_pool_deletes_only_its_owned_files(rendered_copy: Path) -> None:
    repo_copy = rendered_copy
    spec = repo_copy / "labs" / "h100-llmd.yaml"
    text = spec.read_text()
    start = text.index("    - name: l4")
    end = text.index("  operators:")
    served = text.index("    - name: granite-8b")  # the model on that pool goes too
    spec.write_text(text[:start] + text[end:served])
    result = run("render", cwd=repo_copy)
    assert result.returncode == 0, result.stderr
    assert "deleted" in result.stdout
    assert "gpu-l4" in result.stdout
    assert "serve-granite-8b" in result.stdout
    assert run("render", "--check", cwd=repo_copy).returncode == 0


def test_spec_error_exits_1_and_writes_nothing(repo_copy: Path) -> None:
    spec = repo_copy / "labs" / "gke-l4.yaml"
    spec.write_text(spec.read_text().replace("accelerator: L4", "accelerator: L5"))
    result = run("render", cwd=repo_copy)
    assert result.returncode == 1
    assert "labs/gke-l4.yaml:" in result.stderr
    assert "spec.gpuPools[0].accelerator" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in repo_copy.iterdir()) == ["labs"]


def test_usage_error_exits_2(repo_copy: Path) -> None:
    assert run("render", "--no-such-flag", cwd=repo_copy).returncode == 2
    assert (
        run("init", "--platform", "nomad", "--root", str(repo_copy), cwd=repo_copy).returncode == 2
    )


def test_unknown_lab_exits_1_with_hint(repo_copy: Path) -> None:
    result = run("render", "h100-lmd", cwd=repo_copy)
    assert result.returncode == 1
    assert "did you mean 'h100-llmd'" in result.stderr


def test_unexpected_error_exits_3_with_hint(
    repo_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(repo, "render_repo", boom)  # the command imports it when it runs
    monkeypatch.chdir(repo_copy)
    assert cli.main(["render"]) == 3
    assert "rerun with --traceback" in capsys.readouterr().err
    with pytest.raises(RuntimeError):
        cli.main(["--traceback", "render"])


@pytest.mark.parametrize(
    ("platform", "provider"),
    [
        (pl, pr)
        for pl, pr in itertools.product(PLATFORMS, PROVIDERS)
        # OpenShift runs neither on kind nor on k3s
        if any(p.name == pl and pr in p.providers for p in PLATFORM_TABLE.values())
    ],
)
def test_init_writes_a_spec_that_validates(platform: str, provider: str, tmp_path: Path) -> None:
    result = run(
        "init",
        "--name",
        "starter",
        "--platform",
        platform,
        "--provider",
        provider,
        "--root",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    check = run("validate", "starter", cwd=tmp_path)
    assert check.returncode == 0, check.stderr


def test_plan_shows_pools_versions_and_waves(repo_copy: Path) -> None:
    result = run("plan", "h100-llmd", cwd=repo_copy)
    assert result.returncode == 0, result.stderr
    for expected in ("p5.48xlarge", "g6.xlarge", "gpu-operator", "h100-llmd-gpu-pools"):
        assert expected in result.stdout
    postgres_tag = RELEASES["cnpg"].images["postgresql-18"].partition(":")[2].partition("@")[0]
    for expected in ("data/vectors", postgres_tag, "h100-llmd-db-data"):
        assert expected in result.stdout
    # OpenShift's monitoring ConfigMap is the user's, and in-tree Barman backups go in 1.31
    assert "Add `enableUserWorkload: true`" in result.stdout
    assert "removed in 1.31" in result.stdout
    gke = run("plan", "gke-l4", cwd=repo_copy)
    assert "gcloud container node-pools create a100" in gke.stdout
    assert "gpu-partition-size=3g.40gb" in gke.stdout


def test_plan_of_a_single_node_lab_prints_its_setup_in_order(repo_copy: Path) -> None:
    text = run("plan", "workstation", cwd=repo_copy)
    assert text.returncode == 0, text.stderr
    assert "Setup on this machine (k3s, one node), in order:" in text.stdout
    assert "spec.databases[0].instances" in text.stdout  # downsized from 3 to 1
    data = json.loads(run("plan", "workstation", "-o", "json", cwd=repo_copy).stdout)
    commands = data["nodeCommands"]
    assert commands[-2:] == ["labgen bootstrap workstation", "labgen status workstation --wait"]
    assert all(c in text.stdout for c in commands)
    (downsized,) = [t for title, t in data["tables"].items() if title.startswith("Downsized")]
    assert downsized == [
        {
            "field": "spec.models[0].cache.accessMode",
            "spec": "ReadWriteMany",
            "one node": "ReadWriteOnce",
        },
        {"field": "spec.databases[0].instances", "spec": "3", "one node": "1"},
    ]


@pytest.mark.parametrize("command", [("tools", "versions"), ("version",)])
def test_reports_the_pinned_binaries_it_uses(repo_copy: Path, command: tuple[str, ...]) -> None:
    result = run(*command, cwd=repo_copy)
    assert result.returncode == 0, result.stderr
    # the binaries in use report the versions labgen pins (tools.py)
    assert f"Client Version: {KUBECTL_VERSION} Kustomize Version: {KUSTOMIZE_VERSION}" in (
        result.stdout
    )
    assert HELM_VERSION in result.stdout
    assert str(Path(sys.prefix) / "bin" / "kubectl") in result.stdout


def test_schemas_import_writes_kubeconform_layout(tmp_path: Path) -> None:
    crd = tmp_path / "crd.yaml"
    crd.write_text(
        "apiVersion: apiextensions.k8s.io/v1\n"
        "kind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\n"
        "spec:\n"
        "  group: example.com\n"
        "  names: {kind: Widget, plural: widgets}\n"
        "  scope: Namespaced\n"
        "  versions:\n"
        "  - name: v1\n"
        "    served: true\n"
        "    storage: true\n"
        "    schema:\n"
        "      openAPIV3Schema: {type: object, properties: {spec: {type: object}}}\n"
    )
    result = run("schemas", "import", str(crd), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "example.com" / "widget_v1.json").is_file()


def test_schemas_import_of_a_non_crd_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: b: c\n")
    result = run("schemas", "import", str(bad), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}:1:5: invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr


CHECK_CASES = Path(__file__).resolve().parents[1] / "cases" / "check"


def _check(case: Path, crd_schemas: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(
        "check", "--root", str(case), "--schema-location", str(crd_schemas), *extra, cwd=case
    )


def test_check_exit_codes_and_json(crd_schemas: Path) -> None:
    assert _check(CHECK_CASES / "valid" / "minimal", crd_schemas).returncode == 0
    result = _check(CHECK_CASES / "invalid" / "image-latest", crd_schemas, "--output", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["summary"]["findings"] == 1
    (deployment,) = [r for r in data["resources"] if r["kind"] == "Deployment"]
    assert deployment["findings"][0]["rule"] == "hygiene/image-pinned"
    # a warning alone does not fail the check
    assert _check(CHECK_CASES / "invalid" / "orphan-overlay", crd_schemas).returncode == 0


def test_check_skip_lists_what_was_skipped(crd_schemas: Path) -> None:
    result = _check(
        CHECK_CASES / "invalid" / "unknown-kind",
        crd_schemas,
        "--skip",
        "Widget",
        "--assume-crd",
        "example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "skipped kinds: example.com/v1/Widget" in result.stdout


def test_check_works_anywhere_report_on_stdout_progress_on_stderr(tmp_path: Path) -> None:
    """No labs/, no schema flags: the shipped CRD schemas validate a custom resource; the
    report is what `labgen check FILE > out.txt` captures; progress lines go to stderr
    (plain lines when stderr is not a terminal) and --quiet silences them."""
    manifest = tmp_path / "monitor.yaml"
    manifest.write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata: {name: web, namespace: demo}\n"
        "spec:\n  selector: {}\n  endpoints:\n  - port: http\n    intervall: 30s\n"
    )
    result = run("check", "monitor.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "ServiceMonitor demo/web (monitoring.coreos.com/v1) at monitor.yaml:1" in result.stdout
    assert "'intervall' was unexpected) (line 8)" in result.stdout
    assert "1 resources: 0 valid, 1 invalid, 0 without a schema" in result.stdout
    assert "checking monitor.yaml" in result.stderr
    assert "intervall" not in result.stderr
    assert "\r" not in result.stderr
    quiet = run("--quiet", "check", "monitor.yaml", cwd=tmp_path)
    assert quiet.stdout == result.stdout
    assert quiet.stderr == ""


def test_check_progress_is_one_updating_line_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty

    (tmp_path / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n"
    )
    primary, secondary = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "labgen.cli", "check", "service.yaml"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
            check=False,
        )
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
    assert result.returncode == 0, result.stdout
    assert "1 resources: 1 valid" in result.stdout
    progress = seen.decode()
    assert "\r\x1b[Kchecking service.yaml 1/1" in progress
    assert "\n" not in progress.replace("\r\n", "")  # updated in place, then cleared
    assert progress.endswith("\r\x1b[K")
