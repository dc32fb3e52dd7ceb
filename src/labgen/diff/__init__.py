"""`labgen diff`: what a change does to every Argo CD Application's desired state.

The pipeline, one module a stage:
``sides`` (two git revisions, or one and the working tree, as directories) ->
``build`` (each side's Applications and the objects their sources render) ->
``noise`` (controller-owned fields removed) -> ``match`` (objects paired by group, kind,
namespace and name; renames detected) -> ``specs`` (which lab spec fields changed) ->
a ``DiffResult``, which ``report`` prints as text, JSON or Markdown and ``split`` cuts into
PR comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labgen.buildcache import BuildStore
from labgen.diff.build import BuildCache, Desired, SideTree, Target
from labgen.diff.match import compare_objects, index, unified
from labgen.diff.model import (
    AppDiff,
    AppStatus,
    DiffResult,
    LabChange,
    SourceChange,
    sync_options,
)
from labgen.diff.noise import IgnoreRule, default_rules, parse_ignore, strip_noise
from labgen.diff.sides import WORKING_TREE, Side, checkout, default_base, repo_prefix, resolve
from labgen.diff.specs import field_changes, lab_specs, read_spec
from labgen.yamlio import dump_data


@dataclass(frozen=True)
class DiffOptions:
    base: str | None = None
    """A git revision; default: the merge base of HEAD and the default branch."""
    head: str | None = None
    """A git revision; default: the working tree."""
    ignore: tuple[str, ...] = ()
    """More noise filters (see ``labgen.diff.noise``)."""
    chart_dirs: tuple[Path, ...] = ()
    """Chart caches for Helm sources (each side's own ``charts/`` is used too)."""
    build_cache: Path | None = None
    """Where kustomize outputs are kept between runs; None: every build runs."""
    default_filters: bool = True


def diff_repo(root: Path, options: DiffOptions) -> DiffResult:
    """Compare the desired state of every Application between two sides of ``root``."""
    rules = (
        *(default_rules() if options.default_filters else ()),
        *map(parse_ignore, options.ignore),
    )
    prefix = repo_prefix(root)
    base = resolve(root, options.base) if options.base else default_base(root)
    head = resolve(root, options.head) if options.head else Side(WORKING_TREE)
    chart_dirs = tuple(p.resolve() for p in options.chart_dirs)
    with checkout(root, base, prefix) as base_root, checkout(root, head, prefix) as head_root:
        store = BuildStore(options.build_cache) if options.build_cache is not None else None
        cache = BuildCache(store)
        return compare_trees(
            SideTree(base_root, chart_dirs, cache),
            SideTree(head_root, chart_dirs, cache),
            base,
            head,
            rules,
        )


def compare_trees(
    base_tree: SideTree, head_tree: SideTree, base: Side, head: Side, rules: tuple[IgnoreRule, ...]
) -> DiffResult:
    base_targets, head_targets = base_tree.targets(), head_tree.targets()
    pending = []
    unchanged = 0
    for key in sorted(base_targets.keys() | head_targets.keys()):
        old, new = base_targets.get(key), head_targets.get(key)
        if old is not None and new is not None:
            digest = base_tree.target_digest(old)
            if digest is not None and digest == head_tree.target_digest(new):
                unchanged += 1
                continue
        pending.append((old, new))
    base_tree.prebuild(t for t, _ in pending if t is not None)
    head_tree.prebuild(t for _, t in pending if t is not None)
    apps = []
    for old, new in pending:
        app = _compare_target(
            old,
            base_tree.desired(old) if old else None,
            new,
            head_tree.desired(new) if new else None,
            rules,
        )
        if app is None:
            unchanged += 1
        else:
            apps.append(app)
    apps.sort(key=lambda a: (a.lab or "", a.kind != "bundle", a.name))
    return DiffResult(
        base,
        head,
        tuple(apps),
        unchanged,
        _lab_changes(base_tree, head_tree, apps),
        tuple(r.text for r in rules),
    )


def _compare_target(
    old: Target | None,
    old_state: Desired | None,
    new: Target | None,
    new_state: Desired | None,
    rules: tuple[IgnoreRule, ...],
) -> AppDiff | None:
    """The differences of one target, or None when its desired state is the same."""
    either = new or old
    assert either is not None
    before = index(strip_noise(o, rules) for o in (old_state.objects if old_state else []))
    after = index(strip_noise(o, rules) for o in (new_state.objects if new_state else []))
    objects = compare_objects(before, after)
    sources = _compare_helm_sources(
        old_state.helm_sources if old_state else [], new_state.helm_sources if new_state else []
    )
    status: AppStatus = "added" if old is None else "deleted" if new is None else "modified"
    state = new_state if new_state is not None else old_state
    assert state is not None
    errors = tuple(e for e in state.errors if old_state is None or e not in old_state.errors)
    if status == "modified" and not objects and not sources and not errors:
        return None
    notes = list(state.notes)
    if state.helm_sources:
        charts = ", ".join(f"{s.get('chart') or s.get('repoURL')}" for s in state.helm_sources)
        notes.append(
            f"Helm chart not in a chart cache, not rendered: {charts}; its Application "
            "source (chart, version, values) is compared instead (--chart-dir)"
        )
    return AppDiff(
        either.kind,
        either.namespace,
        either.name,
        either.lab,
        status,
        tuple(state.paths),
        tuple(objects),
        tuple(sources),
        tuple(notes),
        errors,
        either.finalizers,
        len(after if new is not None else before),
        sum(1 for o in before.values() if "Delete=false" in sync_options(o)) if new is None else 0,
    )


def _compare_helm_sources(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[SourceChange]:
    """Unrendered Helm sources, paired by chart name."""

    def by_chart(sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {str(s.get("chart") or s.get("repoURL")): s for s in sources}

    before, after = by_chart(old), by_chart(new)
    changes = []
    for chart in sorted(before.keys() | after.keys()):
        a, b = before.get(chart), after.get(chart)
        text_a = dump_data(a) if a else ""
        text_b = dump_data(b) if b else ""
        if text_a != text_b:
            changes.append(
                SourceChange(
                    chart,
                    str((a or {}).get("targetRevision", "")),
                    str((b or {}).get("targetRevision", "")),
                    unified(text_a, text_b),
                )
            )
    return changes


def _lab_changes(
    base_tree: SideTree, head_tree: SideTree, apps: list[AppDiff]
) -> tuple[LabChange, ...]:
    before, after = lab_specs(base_tree.files), lab_specs(head_tree.files)
    changes = []
    for lab in sorted(before.keys() | after.keys()):
        old = read_spec(base_tree.files, before.get(lab))
        new = read_spec(head_tree.files, after.get(lab))
        if old == new:
            continue
        status: AppStatus = (
            "added" if lab not in before else "deleted" if lab not in after else "modified"
        )
        touched = tuple(a.name for a in apps if a.lab == lab)
        changes.append(
            LabChange(
                lab,
                f"labs/{lab}.yaml",
                status,
                field_changes(old, new) if status == "modified" else (),
                touched,
            )
        )
    return tuple(changes)
