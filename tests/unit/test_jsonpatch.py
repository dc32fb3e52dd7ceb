"""RFC 6902 operations from a base object to a desired one."""

from __future__ import annotations

import pytest

from labgen.components.jsonpatch import apply, json_patch


def _deployment(**spec: object) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "base"},
        "spec": spec,
    }


def test_operations_escape_keys_and_recurse_into_equal_length_lists() -> None:
    base = _deployment(
        replicas=1,
        nodeSelector={"nvidia.com/gpu.product": "NVIDIA-L4"},
        containers=[{"name": "vllm", "args": ["m", "--x", "1"]}],
        tolerations=[{"key": "a"}],
    )
    desired = _deployment(
        replicas=2,
        nodeSelector={"labgen.dev/gpu-pool": "l4", "a~b": "c"},
        containers=[{"name": "vllm", "args": ["m", "--x", "2"]}],
        tolerations=[{"key": "a"}, {"key": "b"}],
    )
    desired["metadata"] = {"name": "mine", "namespace": "llm"}
    patch = json_patch(base, desired)
    assert patch.renames
    assert (patch.kind, patch.name) == ("Deployment", "base")
    assert patch.result is desired
    assert list(patch.ops) == [
        {"op": "replace", "path": "/metadata/name", "value": "mine"},
        {"op": "add", "path": "/metadata/namespace", "value": "llm"},
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "add", "path": "/spec/nodeSelector/labgen.dev~1gpu-pool", "value": "l4"},
        {"op": "add", "path": "/spec/nodeSelector/a~0b", "value": "c"},
        {"op": "remove", "path": "/spec/nodeSelector/nvidia.com~1gpu.product"},
        {"op": "replace", "path": "/spec/containers/0/args/2", "value": "2"},
        {"op": "replace", "path": "/spec/tolerations", "value": [{"key": "a"}, {"key": "b"}]},
    ]


def test_identical_objects_need_no_operations() -> None:
    patch = json_patch(_deployment(replicas=1), _deployment(replicas=1))
    assert patch.ops == ()
    assert not patch.renames


def test_kind_changes_are_refused() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "base"}}
    with pytest.raises(ValueError, match="cannot patch Deployment into Service"):
        json_patch(_deployment(), service)


def test_apply_undoes_the_diff_json_patch_computes() -> None:
    base = _deployment(
        replicas=1,
        env=[{"name": "A", "value": "1"}],
        containers=[{"name": "vllm", "args": ["m", "--x", "1"]}],
        nodeSelector={"a/b": "c", "gone": "x"},
    )
    desired = _deployment(
        replicas=3,
        env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        containers=[{"name": "vllm", "args": ["m", "--x", "2"]}],
        nodeSelector={"a/b": "d"},
        tolerations=[{"key": "k"}],
    )
    before = repr(base)
    assert apply(base, json_patch(base, desired).ops) == desired
    assert repr(base) == before  # the target is not changed


def test_apply_inserts_into_and_appends_to_lists() -> None:
    base = _deployment(args=["a", "c"])
    ops = (
        {"op": "add", "path": "/spec/args/1", "value": "b"},
        {"op": "add", "path": "/spec/args/-", "value": "d"},
    )
    assert apply(base, ops)["spec"]["args"] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="unsupported"):
        apply(base, ({"op": "move", "path": "/spec", "from": "/x"},))
