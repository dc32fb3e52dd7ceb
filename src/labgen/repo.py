"""The repository labgen works in: finding it, its labs, and the spec -> plan -> render run."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from labgen.errors import Diagnostic, LabgenError, SpecError
from labgen.plan import LabPlan, build_plan
from labgen.render import Tree, render
from labgen.render.tree import CATALOG_OWNER, SCHEMA_OWNER, lab_owner
from labgen.root import LABS_DIR
from labgen.spec import load_lab
from labgen.write import load_manifest


def lab_files(root: Path) -> dict[str, Path]:
    """Lab name (file stem) -> spec path, for every ``labs/*.yaml``."""
    return {p.stem: p for p in sorted((root / LABS_DIR).glob("*.yaml"))}


def select_labs(root: Path, names: list[str]) -> list[Path]:
    """Spec paths for ``names`` (lab names or file paths); all labs when empty."""
    available = lab_files(root)
    if not names:
        return list(available.values())
    chosen = []
    for name in names:
        as_path = Path(name)
        if as_path.suffix in (".yaml", ".yml") and as_path.exists():
            chosen.append(as_path.resolve())
        elif name in available:
            chosen.append(available[name])
        else:
            close = difflib.get_close_matches(name, list(available), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise LabgenError(
                f"no lab {name!r} in {LABS_DIR}/{hint}; labs: {', '.join(available) or 'none'}"
            )
    return chosen


def display_path(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def load_plans(root: Path, paths: list[Path]) -> list[LabPlan]:
    """Every spec loaded and planned; all problems of all specs raised together."""
    plans = []
    diagnostics: list[Diagnostic] = []
    names: dict[str, str] = {}
    for path in paths:
        shown = display_path(root, path)
        try:
            loaded = load_lab(path, shown)
            plan = build_plan(loaded, shown)
        except SpecError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        if path.parent == root / LABS_DIR and plan.name != path.stem:
            diagnostics.append(
                loaded.document.diagnostic(
                    ("metadata", "name"),
                    f"must match the file name {path.name!r} (lab {path.stem!r})",
                )
            )
            continue
        if plan.name in names:
            diagnostics.append(
                loaded.document.diagnostic(
                    ("metadata", "name"), f"lab {plan.name!r} is also defined in {names[plan.name]}"
                )
            )
            continue
        names[plan.name] = shown
        plans.append(plan)
    if diagnostics:
        raise SpecError(diagnostics)
    return plans


@dataclass(frozen=True)
class Rendered:
    plans: list[LabPlan]
    tree: Tree
    scopes: set[str]


def render_repo(root: Path, names: list[str]) -> Rendered:
    """spec -> plan -> render for the chosen labs (all by default), nothing written."""
    plans = load_plans(root, select_labs(root, names))
    scopes = {CATALOG_OWNER, SCHEMA_OWNER, *(lab_owner(p.name) for p in plans)}
    if not names:
        # A full render also prunes the files of labs whose spec was removed.
        scopes |= {e["owner"] for e in load_manifest(root).values()}
    return Rendered(plans, render(plans), scopes)
