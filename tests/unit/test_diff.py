"""labgen.diff pieces without git: noise filters, object matching and renames, spec field
paths, splitting into parts."""

from __future__ import annotations

from typing import Any

import pytest

from labgen.diff.match import compare_objects, index
from labgen.diff.model import AppDiff, DiffResult, ObjectChange
from labgen.diff.noise import default_rules, parse_ignore, strip_noise
from labgen.diff.sides import Side
from labgen.diff.specs import field_changes
from labgen.diff.split import markdown_parts
from labgen.errors import LabgenError


def deployment(
    name: str, replicas: int = 1, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "llm", "annotations": annotations or {}},
        "spec": {
            "replicas": replicas,
            "template": {
                "metadata": {"annotations": {"checksum/config": "abc"}},
                "spec": {
                    "containers": [{"name": "c", "image": f"example/{i}:1"} for i in "abcdef"]
                },
            },
        },
    }


@pytest.mark.parametrize(
    ("text", "kind", "path"),
    [
        ("spec.replicas", None, ("spec", "replicas")),
        ("Deployment:spec.replicas", "Deployment", ("spec", "replicas")),
        ("$.metadata.labels[helm.sh/chart]", None, ("metadata", "labels", "helm.sh/chart")),
        ("webhooks[*].clientConfig.caBundle", None, ("webhooks", "*", "clientConfig", "caBundle")),
        ("/metadata/annotations/a~1b", None, ("metadata", "annotations", "a/b")),
    ],
)
def test_parse_ignore(text: str, kind: str | None, path: tuple[str, ...]) -> None:
    rule = parse_ignore(text)
    assert (rule.kind, rule.path) == (kind, path)


@pytest.mark.parametrize("text", ["", "spec..replicas", "spec[", "Deployment:"])
def test_parse_ignore_rejects(text: str) -> None:
    with pytest.raises(LabgenError, match="--ignore"):
        parse_ignore(text)


def test_default_noise_filters() -> None:
    webhook: dict[str, Any] = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "w", "annotations": {"checksum/x": "1", "keep": "y"}},
        "webhooks": [{"name": "a", "clientConfig": {"caBundle": "Zm9v", "url": "https://x"}}],
        "status": {"observed": 1},
    }
    stripped = strip_noise(webhook, default_rules())
    assert stripped["webhooks"][0]["clientConfig"] == {"url": "https://x"}
    assert stripped["metadata"]["annotations"] == {"keep": "y"}
    assert "status" not in stripped
    assert webhook["webhooks"][0]["clientConfig"]["caBundle"] == "Zm9v"  # input untouched


def test_kind_scoped_rule_leaves_other_kinds() -> None:
    rule = parse_ignore("Deployment:spec.replicas")
    other = {"kind": "StatefulSet", "spec": {"replicas": 3}}
    assert strip_noise(other, (rule,)) == other
    assert "replicas" not in strip_noise(deployment("a"), (rule,))["spec"]


def test_compare_objects_statuses_and_rename() -> None:
    base = index([deployment("web", 1), deployment("old-name"), deployment("gone")])
    gone = base[("apps", "Deployment", "llm", "gone")]
    gone["spec"] = {"replicas": 9}  # not similar to anything added
    head = index([deployment("web", 2), deployment("new-name"), deployment("fresh", 3)])
    head[("apps", "Deployment", "llm", "fresh")]["spec"] = {"replicas": 3}
    changes = {(c.status, c.name): c for c in compare_objects(base, head)}
    assert set(changes) == {
        ("modified", "web"),
        ("renamed", "new-name"),
        ("deleted", "gone"),
        ("added", "fresh"),
    }
    renamed = changes[("renamed", "new-name")]
    assert renamed.old_name == "old-name"
    assert "-  name: old-name" in renamed.diff
    assert changes[("modified", "web")].lines == (1, 1)


def test_deleted_object_with_prune_false_is_kept() -> None:
    base = index([deployment("pvc", 1, {"argocd.argoproj.io/sync-options": "Prune=false"})])
    (change,) = compare_objects(base, {})
    assert change.kept


def test_spec_field_paths_match_lists_by_name() -> None:
    old = {"spec": {"gpuPools": [{"name": "a", "nodes": {"max": 2}}, {"name": "b"}], "z": [1]}}
    new = {"spec": {"gpuPools": [{"name": "b"}, {"name": "a", "nodes": {"max": 4}}, {"name": "c"}],
                    "z": [1, 2]}}  # fmt: skip
    changes = {(c.path, c.status, c.old, c.new) for c in field_changes(old, new)}
    assert changes == {
        ("spec.gpuPools[a].nodes.max", "changed", "2", "4"),
        ("spec.gpuPools[c]", "added", "", '{"name": "c"}'),
        ("spec.z", "changed", "[1]", "[1, 2]"),
    }


def _result(apps: list[AppDiff]) -> DiffResult:
    return DiffResult(Side("main", "0" * 40), Side("working tree"), tuple(apps), 0, (), ())


def _big_app(name: str, objects: int, lines: int) -> AppDiff:
    diff = tuple(f"+line {j}" for j in range(lines))
    changes = tuple(
        ObjectChange("added", "", "ConfigMap", "ns", f"cm-{i}", diff) for i in range(objects)
    )
    return AppDiff("Application", "argocd", name, "lab", "added", ("overlays/x",), changes,
                   object_count=objects)  # fmt: skip


def test_split_keeps_every_line_and_respects_the_limit() -> None:
    apps = [_big_app("small", 1, 5), _big_app("large", 6, 40), _big_app("huge", 1, 400)]
    parts = markdown_parts(_result(apps), 2000)
    assert len(parts) > 3
    assert all(len(p) <= 2000 for p in parts)
    assert all(f"(part {n}/{len(parts)})" in p for n, p in enumerate(parts, 1))
    joined = "\n".join(parts)
    for app in apps:
        for change in app.objects:
            assert all(line in joined.splitlines() for line in change.diff)
    assert "piece 1/" in joined
    assert "ConfigMap: ns/cm-0 (lines 1-" in joined


def test_one_part_without_part_label() -> None:
    (part,) = markdown_parts(_result([_big_app("small", 1, 5)]))
    assert "(part" not in part
    assert "+ small (+5|-0)" in part


def test_too_small_max_size_is_refused() -> None:
    with pytest.raises(LabgenError, match="at least"):
        markdown_parts(_result([]), 100)


def test_shared_changes_are_summarised_once_with_their_object_count() -> None:
    from labgen.diff.match import compare_objects, index
    from labgen.diff.model import AppDiff
    from labgen.diff.summary import summarize

    def job(name: str, tag: str, extra: str = "") -> dict[str, object]:
        container = {"name": "c", "image": f"r/vllm:{tag}", "args": [extra] if extra else []}
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": "n"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        }

    old = [job("a", "v1"), job("b", "v1"), job("c", "v1")]
    new = [job("a", "v2"), job("b", "v2", "--more"), job("c", "v3")]
    changes = tuple(compare_objects(index(old), index(new)))
    app = AppDiff("Application", "argocd", "x", None, "modified", (), changes, object_count=3)
    assert summarize(app).lines() == [
        "image r/vllm v1 -> v2 in 2 objects",
        "2 of the 3 changed objects change more",
    ]
    # nothing shared: no summary
    lone = AppDiff("Application", "argocd", "x", None, "modified", (), changes[2:], object_count=1)
    assert summarize(lone).lines() == []
