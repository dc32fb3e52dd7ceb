"""Kustomize directories: catalog bases and per-lab overlays, one object per file."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable
from typing import Any

from labgen.components.base import CatalogBase, K8sObject, KustomizeSource
from labgen.render.tree import Tree, data_file, object_filename, sort_key, yaml_file

KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}


def _write_objects(
    tree: Tree,
    directory: str,
    objects: Iterable[K8sObject],
    header: str,
    owner: str,
    prefix: str = "",
) -> list[str]:
    ordered = sorted(objects, key=sort_key)
    taken = Counter(object_filename(obj) for obj in ordered)
    names = []
    for obj in ordered:
        name = object_filename(obj)
        if taken[name] > 1:  # the same kind and name in several namespaces
            name = object_filename(obj, with_namespace=True)
        name = prefix + name
        tree.add(f"{directory}/{name}", yaml_file(header, [obj]), owner)
        names.append(name)
    return names


def catalog_base(tree: Tree, base: CatalogBase, header: str, owner: str) -> None:
    directory = f"catalog/{base.path}"
    files = _write_objects(tree, directory, base.objects, header, owner)
    kustomization: dict[str, Any] = {**KUSTOMIZATION, "resources": files}
    tree.add(f"{directory}/kustomization.yaml", data_file(header, kustomization), owner)


def overlay(
    tree: Tree, directory: str, source: KustomizeSource, lab: str, header: str, owner: str
) -> None:
    """``overlays/<lab>/<app>/``: bases by relative path, lab objects and patches as files."""
    resources = [posixpath.relpath(f"catalog/{base}", directory) for base in source.bases]
    resources += _write_objects(tree, directory, source.objects, header, owner)
    patches: list[dict[str, Any]] = [
        {"path": p}
        for p in _write_objects(tree, directory, source.patches, header, owner, prefix="patch-")
    ]
    for patch in sorted(source.json_patches, key=lambda p: (p.kind, p.name)):
        name = f"patch-{patch.kind.lower()}-{patch.name}.yaml"
        tree.add(f"{directory}/{name}", data_file(header, list(patch.ops)), owner)
        entry: dict[str, Any] = {"path": name, "target": {"kind": patch.kind, "name": patch.name}}
        if patch.renames:
            entry["options"] = {"allowNameChange": True}
        patches.append(entry)
    kustomization: dict[str, Any] = {
        **KUSTOMIZATION,
        "labels": [{"pairs": {"labgen.dev/lab": lab}}],
        "resources": resources,
    }
    if patches:
        kustomization["patches"] = patches
    tree.add(f"{directory}/kustomization.yaml", data_file(header, kustomization), owner)
