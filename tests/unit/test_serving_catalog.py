"""The layered serving catalog: entry points compose from the layers, lab overlays take the
pinned images from the catalog's one Component unless the lab pins another version."""

from __future__ import annotations

from typing import Any

import pytest

from labgen.components.base import CatalogBase, KustomizeSource, untagged
from labgen.components.jsonpatch import apply
from labgen.components.serving import model_objects
from labgen.components.serving.catalog import (
    IMAGES,
    SERVERS,
    catalog,
    entries,
    find_images,
    overlay,
)
from labgen.components.serving.common import Versions
from labgen.data.releases import RELEASES
from support import serving_plan as plan_of

VLLM_IMAGE = "docker.io/vllm/vllm-openai"
MODEL = "{name: m, model: Qwen/Qwen3-8B, server: vllm, pool: h100, maxModelLen: 8192}"
LLMD = "{name: m, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192}"
PIPELINED = (
    "{name: m, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192,"
    " pipelineParallel: 2}"
)


def _bases() -> dict[str, CatalogBase]:
    return {b.path: b for b in catalog()}


def test_entry_points_compose_from_base_and_components() -> None:
    """What an entry point builds is the base patched by its Components in order (what
    kustomize does; tests/test_builds_validate.py builds them all), and it equals the
    objects labgen builds for that configuration directly."""
    bases = _bases()
    points = [b for b in bases.values() if not b.component and b.resources]
    assert len(points) == len(entries())
    for entry in points:
        (base_path,) = entry.resources
        objects = list(bases[base_path].objects)
        layers = [bases[c] for c in entry.components]
        for patch in [p for layer in layers for p in layer.json_patches] + list(entry.json_patches):
            index = next(i for i, o in enumerate(objects) if patch.targets(o))
            objects[index] = apply(objects[index], patch.ops)
        assert objects == list(entry.objects), entry.path
        assert entry.files == ()  # an entry point is its kustomization.yaml alone
        assert not entry.json_patches, f"{entry.path}: the layers do not compose"


def test_images_are_pinned_once() -> None:
    bases = _bases()
    pins = [b for b in bases.values() if b.images]
    assert [b.path for b in pins] == [IMAGES]
    # the GPU image and vLLM's CPU image (cpu pools), published under the same tag
    version = RELEASES["vllm"].version
    assert pins[0].images == ((VLLM_IMAGE, version), (f"{VLLM_IMAGE}-cpu", version))
    for server in SERVERS:
        base = bases[f"serving/{server}/base"]
        assert base.components == (IMAGES,)
        assert base.files is not None
        assert VLLM_IMAGE in _images(base.files)
        assert f"{VLLM_IMAGE}:{RELEASES['vllm'].version}" in _images(base.objects)


def test_untagged_only_rewrites_the_pinned_images() -> None:
    objects = [
        {"spec": {"containers": [{"image": "a/b:v1"}, {"image": "a/b:v2"}, {"image": "c:v1"}]}}
    ]
    (result,) = untagged(objects, [("a/b", "v1")])
    assert _images([result]) == ["a/b", "a/b:v2", "c:v1"]
    assert _images(objects) == ["a/b:v1", "a/b:v2", "c:v1"]  # input unchanged


def _overlay(model: str, **versions: str) -> KustomizeSource:
    plan = plan_of(model, **versions)
    objects, _ = model_objects(plan, plan.models[0], Versions.of(plan))
    return overlay(plan.models[0], objects)


def test_lab_objects_running_the_pinned_vllm_take_the_images_component() -> None:
    source = _overlay(PIPELINED)  # no catalog base: the lab's own Deployments run vLLM
    assert not source.bases
    assert source.components == (IMAGES,)
    assert source.untagged == ((VLLM_IMAGE, RELEASES["vllm"].version),)
    assert f"{VLLM_IMAGE}:{RELEASES['vllm'].version}" in _images(source.objects)


def test_a_lab_on_a_catalog_base_patches_no_image() -> None:
    source = _overlay(MODEL)
    assert source.bases
    assert source.components == ()  # the base pins its images; the lab adds none
    assert all("image" not in str(p.ops) for p in source.json_patches)


def test_an_llmd_lab_builds_on_its_entry_point() -> None:
    """The decode Deployment, InferencePool and EPP come from the catalog; the Gateway and
    HTTPRoute (the cluster's class) stay the lab's own objects."""
    source = _overlay(LLMD)
    assert source.bases == ("serving/llm-d/qwen3-8b/h100-80gb-x1",)
    patched = {(p.kind, p.name) for p in source.json_patches}
    assert ("Deployment", "qwen3-8b-decode") in patched
    assert ("Deployment", "qwen3-8b-epp") in patched
    assert {o["kind"] for o in source.objects} >= {"Gateway", "HTTPRoute"}
    assert "Deployment" not in {o["kind"] for o in source.objects}


@pytest.mark.parametrize("model", [MODEL, LLMD])
def test_a_lab_pinning_another_vllm_keeps_its_own_tags(model: str) -> None:
    """``images: newTag`` would overwrite the lab's tag: no Component for it."""
    version = "v0.29.0"
    source = _overlay(model, vllm=version)
    assert source.components == ()
    assert source.untagged == ()
    ops = [op for p in source.json_patches for op in p.ops if op["path"].endswith("/image")]
    images = [*_images(source.objects), *(op["value"] for op in ops)]
    vllm = {i for i in images if i.startswith(f"{VLLM_IMAGE}:")}
    assert vllm == {f"{VLLM_IMAGE}:{version}"}


def _images(value: Any) -> list[str]:
    return list(find_images(list(value)))
