"""OpenShift's cluster-monitoring-config (issue 14): labgen does not silently replace it.
Unless the spec owns its whole content, nothing is rendered and `labgen plan` says what
the user must set; CloudNativePG's in-tree backups come with a deprecation note."""

from __future__ import annotations

from pathlib import Path

import yaml

from labgen.components.base import KustomizeSource
from labgen.components.monitoring import apps as monitoring_apps
from labgen.plan import build_plan
from labgen.plan.describe import backup_notes, monitoring_notes
from labgen.plan.model import LabPlan
from labgen.render import render
from labgen.spec import parse_lab

SPEC = Path(__file__).resolve().parents[2] / "labs" / "h100-llmd.yaml"
OWNED = """
      clusterMonitoringConfig:
        enableUserWorkload: true
        prometheusK8s:
          retention: 30d
          volumeClaimTemplate: {spec: {resources: {requests: {storage: 100Gi}}}}
        alertmanagerMain: {enableUserAlertmanagerConfig: true}"""


def plan_of(text: str) -> LabPlan:
    return build_plan(parse_lab(text, str(SPEC)), str(SPEC))


def monitoring_spec(extra: str) -> str:
    text = SPEC.read_text()
    assert "monitoring: {}" in text
    return text.replace("monitoring: {}", "monitoring:" + extra if extra else "monitoring: {}")


def rendered_configmaps(plan: LabPlan) -> list[str]:
    return [
        f.path
        for f in render([plan])
        if "cluster-monitoring-config" in f.content and "kind: ConfigMap" in f.content
    ]


def test_by_default_the_cluster_config_is_left_to_the_user() -> None:
    plan = plan_of(monitoring_spec(""))
    assert plan.platform.name == "openshift"
    assert plan.has("monitoring")
    assert plan.cluster_monitoring_config is None
    assert list(monitoring_apps(plan)) == []
    assert rendered_configmaps(plan) == []
    notes = "\n".join(monitoring_notes(plan))
    assert "enableUserWorkload: true" in notes
    assert "openshift-monitoring/cluster-monitoring-config" in notes


def test_a_lab_that_owns_it_renders_the_whole_config() -> None:
    plan = plan_of(monitoring_spec(OWNED))
    (app,) = monitoring_apps(plan)
    assert isinstance(app.source, KustomizeSource)
    (configmap,) = app.source.objects
    assert configmap["metadata"] == {
        "name": "cluster-monitoring-config",
        "namespace": "openshift-monitoring",
    }
    config = yaml.safe_load(configmap["data"]["config.yaml"])
    assert config == {
        "enableUserWorkload": True,
        "prometheusK8s": {
            "retention": "30d",
            "volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "100Gi"}}}},
        },
        "alertmanagerMain": {"enableUserAlertmanagerConfig": True},
    }
    assert app.namespace == "openshift-monitoring"
    assert len(rendered_configmaps(plan)) == 1
    assert monitoring_notes(plan) == []


def test_in_tree_barman_backups_are_flagged_in_the_plan() -> None:
    plan = plan_of(SPEC.read_text())
    assert any(db.backup is not None for db in plan.databases)
    notes = "\n".join(backup_notes(plan))
    assert "removed in 1.31" in notes
    assert "Barman Cloud plugin" in notes
    assert "ObjectStore" in notes
    text = SPEC.read_text()
    start = text.index("      backup:")
    end = text.index("retention: 30d\n", start) + len("retention: 30d\n")
    without = plan_of(text[:start] + text[end:])
    assert backup_notes(without) == []
