"""An Application's desired state (``labgen.desired``): chart caches and Helm sources
rendered with the pinned helm, from a chart written here."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from labgen import desired
from labgen.desired import SourceError, cached_chart, chart_dirs, render_chart

CHART = """apiVersion: v2
name: demo
version: 1.2.3
"""
TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
data:
  greeting: {{ required "greeting is required" .Values.greeting | quote }}
"""


def application(values: dict[str, Any]) -> dict[str, Any]:
    source = {"repoURL": "https://charts.example", "chart": "demo", "targetRevision": "1.2.3"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "demo-app"},
        "spec": {
            "source": {**source, "helm": {"valuesObject": values}},
            "destination": {"namespace": "team"},
        },
    }


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART)
    (chart / "templates" / "cm.yaml").write_text(TEMPLATE)
    return tmp_path


def test_a_vendored_chart_of_the_pinned_version_is_found(cache: Path) -> None:
    assert cached_chart([cache], "demo", "1.2.3") == cache / "demo"
    assert cached_chart([cache], "demo", "1.2.4") is None


def test_a_helm_source_renders_as_argo_cd_would(cache: Path) -> None:
    app = application({"greeting": "hello"})
    (configmap,) = render_chart(app, app["spec"]["source"], [cache], "1.33", "demo") or []
    assert configmap["metadata"] == {"name": "demo-app", "namespace": "team"}
    assert configmap["data"] == {"greeting": "hello"}


def test_a_chart_in_no_cache_is_none_and_a_failing_one_says_why(cache: Path) -> None:
    app = application({})
    assert render_chart(app, app["spec"]["source"], [cache / "elsewhere"], "1.33", "x") is None
    with pytest.raises(SourceError, match=r"^Error: .*greeting is required"):
        render_chart(app, app["spec"]["source"], [cache], "1.33", "demo")


def test_chart_caches_given_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LABGEN_CHARTS", str(tmp_path / "env"))
    assert chart_dirs([tmp_path]) == (tmp_path,)
    assert chart_dirs(None) == (tmp_path / "env",)
    monkeypatch.delenv("LABGEN_CHARTS")
    assert chart_dirs([]) == ()


def test_an_interrupt_drops_the_queued_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C while `labgen check` builds: the first interrupt must end it, not wait for
    # every queued kustomize build (it once took a second Ctrl-C)
    started: list[Path] = []

    def build(directory: Path, root: Path, *cache: object) -> desired.Objects:
        started.append(directory)
        if directory.name == "0":
            raise KeyboardInterrupt
        time.sleep(0.01)
        return []

    monkeypatch.setattr(desired, "build_kustomization", build)
    directories = [Path(str(i)) for i in range(200)]
    with pytest.raises(KeyboardInterrupt):
        desired.build_kustomizations(directories, Path())
    time.sleep(0.1)  # what was already running finishes; nothing queued may start
    assert len(started) < len(directories) // 2
