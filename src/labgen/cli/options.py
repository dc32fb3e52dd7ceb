"""Options and arguments more than one command takes, and their checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from labgen.root import find_root
from labgen.stdin import STDIN

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Repository root (default: nearest directory with labs/).",
        file_okay=False,
        metavar="DIR",
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Build every kustomization, reusing no earlier build (outputs are kept by "
        "what they read in $LABGEN_CACHE_DIR, else ~/.cache/labgen).",
    ),
]
LabsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Lab names (labs/<name>.yaml or .yml), spec paths, or - for standard input; "
        "default: every lab.",
        show_default=False,
        metavar="LAB",
    ),
]
LabArgument = Annotated[
    str,
    typer.Argument(help="Lab name, spec path, or - for standard input.", metavar="LAB"),
]


def build_cache(no_cache: bool) -> Path | None:
    """Where kustomize outputs are kept between runs, None with ``--no-cache``."""
    from labgen.buildcache import cache_dir

    return None if no_cache else cache_dir()


def repo_root(root: Path | None) -> Path:
    return root.resolve() if root is not None else find_root(Path.cwd())


def stdin_once(paths: Sequence[Path], hint: str) -> None:
    """Standard input can be read once: ``-`` given twice is a usage error."""
    if list(paths).count(STDIN) > 1:
        raise typer.BadParameter("- (standard input) can be given only once", param_hint=hint)
