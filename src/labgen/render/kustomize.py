"""Kustomize directories: catalog bases and per-lab overlays, one object per file."""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable
from typing import Any

from labgen.components.base import CatalogBase, K8sObject, KustomizeSource, untagged
from labgen.components.jsonpatch import JsonPatch
from labgen.render.tree import Tree, data_file, object_filename, sort_key, yaml_file

KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
COMPONENT = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}


def _write_objects(
    tree: Tree,
    directory: str,
    objects: Iterable[K8sObject],
    header: str,
    owner: str,
    prefix: str = "",
) -> list[str]:
    ordered = sorted(objects, key=sort_key)
    taken = Counter(object_filename(obj, without_hash=True) for obj in ordered)
    names = []
    for obj in ordered:
        name = object_filename(obj, without_hash=True)
        if taken[name] > 1:  # the same kind and name in several namespaces
            name = object_filename(obj, with_namespace=True)
        name = prefix + name
        tree.add(f"{directory}/{name}", yaml_file(header, [obj]), owner)
        names.append(name)
    return names


def catalog_base(tree: Tree, base: CatalogBase, header: str, owner: str) -> None:
    directory = f"catalog/{base.path}"
    written = base.objects if base.files is None else base.files
    resources = [posixpath.relpath(f"catalog/{path}", directory) for path in base.resources]
    resources += _write_objects(tree, directory, written, header, owner)
    kustomization: dict[str, Any] = {**(COMPONENT if base.component else KUSTOMIZATION)}
    if resources:
        kustomization["resources"] = resources
    if base.components:
        kustomization["components"] = _relative(base.components, directory)
    patches = _json_patches(tree, directory, base.json_patches, header, owner, base.component)
    if patches:
        kustomization["patches"] = patches
    if base.images:
        kustomization["images"] = [{"name": name, "newTag": tag} for name, tag in base.images]
    if base.name_suffix is not None:
        kustomization.update(_name_suffix(*base.name_suffix))
    tree.add(f"{directory}/kustomization.yaml", data_file(header, kustomization), owner)


NAME_SUFFIX_SOURCE = "labgen-name-suffix"
APPEND = 1000
"""An index past the end of any name: kustomize appends the value (``options.index``)."""


def _name_suffix(suffix: str, selectors: tuple[str, ...]) -> dict[str, Any]:
    """``configMapGenerator`` and ``replacements`` appending ``-<suffix>`` to the names of the
    Jobs that match a label selector. The ConfigMap holding the suffix is local config:
    kustomize reads it and leaves it out of the build."""
    return {
        "configMapGenerator": [
            {
                "name": NAME_SUFFIX_SOURCE,
                "literals": [f"suffix={suffix}"],
                "options": {
                    "disableNameSuffixHash": True,
                    "annotations": {"config.kubernetes.io/local-config": "true"},
                },
            }
        ],
        "replacements": [
            {
                "source": {
                    "kind": "ConfigMap",
                    "name": NAME_SUFFIX_SOURCE,
                    "fieldPath": "data.suffix",
                },
                "targets": [
                    {
                        "select": {"kind": "Job", "labelSelector": selector},
                        "fieldPaths": ["metadata.name"],
                        "options": {"delimiter": "-", "index": APPEND},
                    }
                    for selector in selectors
                ],
            }
        ],
    }


def overlay(
    tree: Tree, directory: str, source: KustomizeSource, lab: str, header: str, owner: str
) -> None:
    """``overlays/<lab>/<app>/``: bases by relative path, lab objects and patches as files."""
    resources = _relative(source.bases, directory)
    objects = untagged(source.objects, source.untagged)
    resources += _write_objects(tree, directory, objects, header, owner)
    patches: list[dict[str, Any]] = [
        {"path": p}
        for p in _write_objects(tree, directory, source.patches, header, owner, prefix="patch-")
    ]
    patches += _json_patches(tree, directory, source.json_patches, header, owner)
    kustomization: dict[str, Any] = {
        **KUSTOMIZATION,
        "labels": [{"pairs": {"labgen.dev/lab": lab}}],
        "resources": resources,
    }
    if source.components:
        kustomization["components"] = _relative(source.components, directory)
    if patches:
        kustomization["patches"] = patches
    tree.add(f"{directory}/kustomization.yaml", data_file(header, kustomization), owner)


def _relative(catalog_paths: Iterable[str], directory: str) -> list[str]:
    return [posixpath.relpath(f"catalog/{path}", directory) for path in catalog_paths]


def _json_patches(
    tree: Tree,
    directory: str,
    json_patches: Iterable[JsonPatch],
    header: str,
    owner: str,
    by_kind: bool = False,
) -> list[dict[str, Any]]:
    """One file per patch; a Component's patches target their object by kind alone (the
    base it is applied to has one of each, under a name earlier Components may change)."""
    entries = []
    for patch in sorted(json_patches, key=lambda p: (p.kind, p.name, p.selector or ())):
        if by_kind and patch.selector is not None:
            label, value = patch.selector
            name = f"patch-{patch.kind.lower()}-{value}.yaml"
            target = {"kind": patch.kind, "labelSelector": f"{label}={value}"}
        elif by_kind:
            name, target = f"patch-{patch.kind.lower()}.yaml", {"kind": patch.kind}
        else:
            name = f"patch-{patch.kind.lower()}-{patch.name}.yaml"
            target = {"kind": patch.kind, "name": patch.name}
        tree.add(f"{directory}/{name}", data_file(header, list(patch.ops)), owner)
        entry: dict[str, Any] = {"path": name, "target": target}
        if patch.renames:
            entry["options"] = {"allowNameChange": True}
        entries.append(entry)
    return entries
