"""RFC 6902 patches that turn a catalog base object into a lab's object.

A lab overlay that reuses a catalog base says what it changes as JSON patch operations
computed here from the two objects, so the rendered overlay is small and reviewable, and
`kubectl kustomize` of the overlay gives exactly the object the lab asked for (a test
builds every such overlay and compares).

The diff is structural: maps key by key, lists of the same length element by element
(so one changed container argument list is one operation), other lists whole.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

K8sObject = dict[str, Any]


@dataclass(frozen=True)
class JsonPatch:
    """Operations on the base object ``kind``/``name``; ``result`` is the object after them."""

    kind: str
    name: str
    ops: tuple[K8sObject, ...]
    result: K8sObject
    selector: tuple[str, str] | None = None
    """(label, value) telling the object apart from others of its kind, for a Component's
    patch (which targets by kind, the names being the including base's)."""

    @property
    def renames(self) -> bool:
        return bool(self.result["metadata"]["name"] != self.name)

    def targets(self, item: K8sObject) -> bool:
        """Whether a Component's patch applies to ``item`` (its kind, and its label)."""
        if item["kind"] != self.kind:
            return False
        if self.selector is None:
            return True
        label, value = self.selector
        return bool(item["metadata"].get("labels", {}).get(label) == value)


def json_patch(base: K8sObject, desired: K8sObject) -> JsonPatch:
    if (base["apiVersion"], base["kind"]) != (desired["apiVersion"], desired["kind"]):
        raise ValueError(f"cannot patch {base['kind']} into {desired['kind']}")
    ops: list[K8sObject] = []
    _diff(base, desired, "", ops)
    return JsonPatch(base["kind"], base["metadata"]["name"], tuple(ops), desired)


def _diff(old: Any, new: Any, path: str, ops: list[K8sObject]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in new.items():
            where = f"{path}/{_escape(key)}"
            if key not in old:
                ops.append({"op": "add", "path": where, "value": value})
            else:
                _diff(old[key], value, where, ops)
        ops.extend({"op": "remove", "path": f"{path}/{_escape(k)}"} for k in old if k not in new)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(a, b, f"{path}/{index}", ops)
    elif old != new or type(old) is not type(new):
        ops.append({"op": "replace", "path": path, "value": new})


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def apply(target: K8sObject, ops: tuple[K8sObject, ...]) -> K8sObject:
    """``target`` after ``ops`` (the add/replace/remove operations ``json_patch`` emits),
    as kustomize applies them. ``target`` is not changed: each operation copies the maps
    and lists on its path, so the result shares every other part with ``target`` and the
    values with ``ops`` (read it, do not change it)."""
    result: K8sObject = dict(target)
    for op in ops:
        *parents, last = [_unescape(p) for p in op["path"].split("/")[1:]]
        node: Any = result
        for part in parents:
            key: Any = int(part) if isinstance(node, list) else part
            node[key] = copy.copy(node[key])
            node = node[key]
        index: Any = int(last) if isinstance(node, list) and last != "-" else last
        if op["op"] == "remove":
            del node[index]
        elif op["op"] == "add" and isinstance(node, list):
            node.insert(len(node) if index == "-" else index, op["value"])
        elif op["op"] in ("add", "replace"):
            node[index] = op["value"]
        else:
            raise ValueError(f"unsupported JSON patch operation {op['op']!r}")
    return result


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
