"""The rendered tree: files in memory, each with its owner, before anything touches disk."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from labgen.yamlio import dump_data, dump_documents

CATALOG_OWNER = "catalog"
SCHEMA_OWNER = "schema"

# Total order of documents: kinds others depend on first, then namespace, then name.
_KIND_RANK = {
    "Namespace": 0,
    "CustomResourceDefinition": 1,
    "ServiceAccount": 2,
    "ClusterRole": 3,
    "ClusterRoleBinding": 4,
    "Role": 5,
    "RoleBinding": 6,
    "ConfigMap": 7,
    "Secret": 8,
    "OperatorGroup": 9,
    "Subscription": 10,
    "AppProject": 20,
    "Application": 21,
}


def lab_owner(lab: str) -> str:
    return f"lab:{lab}"


@dataclass(frozen=True)
class OutputFile:
    path: str
    """POSIX path relative to the repository root."""
    content: str
    owner: str
    """``catalog``, ``schema`` or ``lab:<name>``: whose render writes and prunes the file."""


class Tree:
    """An ordered, path-unique set of output files."""

    def __init__(self) -> None:
        self._files: dict[str, OutputFile] = {}

    def add(self, path: str, content: str, owner: str) -> None:
        existing = self._files.get(path)
        if existing is not None and existing.content != content:
            raise ValueError(f"two different renders of {path}")
        self._files[path] = OutputFile(path, content, owner)

    def __iter__(self) -> Iterator[OutputFile]:
        return iter(self._files[p] for p in sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def get(self, path: str) -> OutputFile | None:
        return self._files.get(path)

    def owners(self) -> set[str]:
        return {f.owner for f in self._files.values()}


def sort_key(obj: Mapping[str, Any]) -> tuple[int, str, str, str]:
    meta = obj.get("metadata", {})
    kind = str(obj.get("kind", ""))
    return (
        _KIND_RANK.get(kind, 50),
        kind,
        str(meta.get("namespace", "")),
        str(meta.get("name", "")),
    )


_CONTENT_HASH = re.compile(r"-[0-9a-f]{8}$")
"""The suffix labgen's content-hashed names end in (``common.short_hash``): a Job whose
pod template changed gets a new name, as an immutable template requires."""


def object_filename(
    obj: Mapping[str, Any], with_namespace: bool = False, without_hash: bool = False
) -> str:
    """``<kind>-<name>.yaml``; ``without_hash`` leaves a content hash out of the name, so
    a new hash (a version bump) is a changed file rather than a rename."""
    name = str(obj["metadata"]["name"]).replace(".", "-")
    if without_hash:
        name = _CONTENT_HASH.sub("", name)
    if with_namespace:
        name = f"{obj['metadata'].get('namespace', 'cluster')}-{name}"
    return f"{str(obj['kind']).lower()}-{name}.yaml"


def yaml_file(header: str, documents: Iterable[Mapping[str, Any]]) -> str:
    return f"{header}\n{dump_documents(documents)}"


def data_file(header: str, data: Any) -> str:
    return f"{header}\n{dump_data(data)}"
