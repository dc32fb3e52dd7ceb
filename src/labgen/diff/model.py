"""What `labgen diff` finds, as data: per Application the objects added, deleted, modified
or renamed; per lab spec the fields that changed. Reporters turn it into text, JSON or
Markdown comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from labgen.diff.sides import Side

ObjectStatus = Literal["added", "deleted", "modified", "renamed"]
AppStatus = Literal["added", "deleted", "modified"]
CASCADE_FINALIZERS = (
    "resources-finalizer.argocd.argoproj.io",
    "resources-finalizer.argocd.argoproj.io/foreground",
    "resources-finalizer.argocd.argoproj.io/background",
)


def sync_options(obj: dict[str, Any]) -> set[str]:
    """An object's ``argocd.argoproj.io/sync-options`` annotation, as a set."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    text = str(annotations.get("argocd.argoproj.io/sync-options", ""))
    return {option.strip() for option in text.split(",") if option.strip()}


def count_lines(diff: tuple[str, ...]) -> tuple[int, int]:
    """(+added, -removed) lines of a unified diff without file headers."""
    added = sum(1 for line in diff if line.startswith("+"))
    removed = sum(1 for line in diff if line.startswith("-"))
    return added, removed


@dataclass(frozen=True)
class ObjectChange:
    """One object of an Application's desired state that differs between the sides."""

    status: ObjectStatus
    group: str
    kind: str
    namespace: str
    name: str
    diff: tuple[str, ...]
    """Unified diff of the object's YAML (hunk headers, no file headers)."""
    old_namespace: str = ""
    old_name: str = ""
    """For a rename: the identity on the base side."""
    kept: bool = False
    """Deleted from git, but its sync options (``Prune=false``) keep it in the cluster."""

    @property
    def heading(self) -> str:
        """``Kind: namespace/name`` (``Kind: name`` for cluster-scoped objects)."""
        return f"{self.kind}: {_qualified(self.namespace, self.name)}"

    @property
    def old_heading(self) -> str:
        return f"{self.kind}: {_qualified(self.old_namespace, self.old_name)}"

    @property
    def lines(self) -> tuple[int, int]:
        return count_lines(self.diff)


@dataclass(frozen=True)
class SourceChange:
    """A Helm source whose chart is not in a chart cache: its objects cannot be rendered
    here, so the Application's source (chart, version, values) is compared instead."""

    chart: str
    old_version: str
    new_version: str
    diff: tuple[str, ...]

    @property
    def lines(self) -> tuple[int, int]:
        return count_lines(self.diff)


@dataclass(frozen=True)
class AppDiff:
    """An Argo CD Application (or a bundle applied by hand, such as ``apps/<lab>/bootstrap``)
    whose desired state differs."""

    kind: Literal["Application", "bundle"]
    namespace: str
    name: str
    lab: str | None
    status: AppStatus
    paths: tuple[str, ...]
    """Where its desired state comes from (source paths, charts)."""
    objects: tuple[ObjectChange, ...] = ()
    sources: tuple[SourceChange, ...] = ()
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    finalizers: tuple[str, ...] = ()
    """The Application's finalizers on the side where it exists (base, when deleted)."""
    object_count: int = 0
    """Objects it renders on the head side (on the base side when deleted)."""
    kept_on_delete: int = 0
    """Of a deleted Application's objects, those its sync options (``Delete=false``) keep."""

    @property
    def cascade(self) -> bool:
        """Deleting it deletes what it deployed (Argo CD's resources finalizer)."""
        return any(f in CASCADE_FINALIZERS for f in self.finalizers)

    @property
    def empty(self) -> bool:
        """It renders no resources on the side where it exists (Argo CD refuses to sync an
        empty Application unless ``allowEmpty``; a deleted source path looks like this)."""
        return self.object_count == 0 and not self.sources and not self.errors

    @property
    def lines(self) -> tuple[int, int]:
        counts = [o.lines for o in self.objects] + [s.lines for s in self.sources]
        return sum(a for a, _ in counts), sum(r for _, r in counts)

    @property
    def title(self) -> str:
        return self.name if self.kind == "Application" else f"{self.name} (applied by hand)"


@dataclass(frozen=True)
class FieldChange:
    """One spec field, as a dotted path (``spec.models[qwen3-32b].replicas``)."""

    path: str
    status: Literal["added", "removed", "changed"]
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class LabChange:
    lab: str
    file: str
    status: Literal["added", "deleted", "modified"]
    fields: tuple[FieldChange, ...]
    touched: tuple[str, ...]
    """Names of this lab's Applications (and bundles) whose desired state changed."""


@dataclass(frozen=True)
class DiffResult:
    base: Side
    head: Side
    apps: tuple[AppDiff, ...]
    unchanged: int
    """Applications and bundles identical on both sides."""
    labs: tuple[LabChange, ...]
    ignored: tuple[str, ...]
    """Noise filters in effect (defaults and --ignore)."""

    @property
    def changed(self) -> bool:
        """Any desired state differs (spec edits that render nothing different do not
        count)."""
        return bool(self.apps)

    def by_status(self, status: AppStatus) -> list[AppDiff]:
        return [a for a in self.apps if a.status == status]

    def object_counts(self) -> dict[str, int]:
        counts = {"added": 0, "deleted": 0, "modified": 0, "renamed": 0}
        for app in self.apps:
            for change in app.objects:
                counts[change.status] += 1
        return counts


def _qualified(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name
