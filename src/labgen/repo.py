"""The repository labgen works in: finding it, its labs, and the spec -> plan -> render run."""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path

from labgen.errors import Diagnostic, LabgenError, SpecError
from labgen.plan import LabPlan, build_plan
from labgen.plan.warnings import spec_warnings
from labgen.render import Tree, render
from labgen.render.tree import CATALOG_OWNER, SCHEMA_OWNER, lab_owner
from labgen.root import LABS_DIR
from labgen.spec import load_lab, parse_lab
from labgen.stdin import STDIN, STDIN_ORIGIN
from labgen.write import load_manifest

SPEC_SUFFIXES = (".yaml", ".yml")


def lab_files(root: Path) -> dict[str, Path]:
    """Lab name (file stem) -> spec path, for every ``labs/*.yaml`` and ``labs/*.yml``;
    a lab written both ways is an error."""
    found: dict[str, Path] = {}
    for path in sorted((root / LABS_DIR).iterdir()) if (root / LABS_DIR).is_dir() else []:
        if path.suffix not in SPEC_SUFFIXES or not path.is_file():
            continue
        if path.stem in found:
            raise LabgenError(
                f"{LABS_DIR}/{found[path.stem].name} and {LABS_DIR}/{path.name} both define "
                f"lab {path.stem!r}; keep one"
            )
        found[path.stem] = path
    return found


def select_labs(root: Path, names: list[str]) -> list[Path]:
    """Spec paths for ``names`` (lab names, file paths, ``-`` for standard input); all
    labs when empty, and an error when there are none."""
    available = lab_files(root)
    if not names:
        if not available:
            raise LabgenError(
                f"no lab specs in {display_path(root, root / LABS_DIR)}/ (*.yaml, *.yml): "
                "write one with `labgen init`"
            )
        return list(available.values())
    chosen = []
    for name in names:
        as_path = Path(name)
        if as_path == STDIN:
            chosen.append(STDIN)
        elif as_path.suffix in SPEC_SUFFIXES and as_path.exists():
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
    return load_plans_with_warnings(root, paths)[0]


def load_plans_with_warnings(
    root: Path, paths: list[Path]
) -> tuple[list[LabPlan], list[Diagnostic]]:
    """``load_plans``, and the warnings of the specs that loaded (see plan/warnings.py)."""
    plans = []
    diagnostics: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    names: dict[str, str] = {}
    for path in paths:
        shown = STDIN_ORIGIN if path == STDIN else display_path(root, path)
        try:
            loaded = parse_lab(sys.stdin.read(), shown) if path == STDIN else load_lab(path, shown)
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
        warnings += spec_warnings(loaded, plan)
    if diagnostics:
        raise SpecError(diagnostics)
    return plans, warnings


@dataclass(frozen=True)
class Rendered:
    plans: list[LabPlan]
    tree: Tree
    scopes: set[str]


def render_repo(root: Path, names: list[str]) -> Rendered:
    """spec -> plan -> render for the chosen labs (all by default), nothing written.
    Only specs in labs/ render: the output names its spec, and a plain `labgen render`
    deletes the files of labs it does not find there."""
    paths = select_labs(root, names)
    for path in paths:
        if path == STDIN or path.resolve().parent != (root / LABS_DIR).resolve():
            where = "standard input" if path == STDIN else display_path(root, path)
            raise LabgenError(
                f"cannot render {where}: only specs in {LABS_DIR}/ are rendered (the next "
                f"`labgen render` would delete the output); copy it to {LABS_DIR}/ first, "
                "or use `labgen validate`/`labgen plan` on it"
            )
    plans = load_plans(root, paths)
    scopes = {CATALOG_OWNER, SCHEMA_OWNER, *(lab_owner(p.name) for p in plans)}
    if not names:
        # A full render also prunes the files of labs whose spec was removed.
        scopes |= {e["owner"] for e in load_manifest(root).values()}
    return Rendered(plans, render(plans), scopes)
