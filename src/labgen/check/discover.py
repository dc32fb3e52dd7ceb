"""Which paths `labgen check` reads: kustomization directories, plain manifest files,
standard input, and how reports name them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from labgen.desired import display_path
from labgen.stdin import STDIN, STDIN_ORIGIN


def kustomization_dirs(root: Path, paths: Iterable[Path]) -> list[Path]:
    """Every directory with a kustomization.yaml at or under the paths, sorted; Kustomize
    Components are left out: built alone they render nothing, and they are built (and
    checked) inside the kustomizations that include them."""
    found: set[Path] = set()
    for path in paths:
        if path == STDIN:
            continue
        absolute = (root / path).resolve() if not path.is_absolute() else path
        if (absolute / "kustomization.yaml").is_file():
            found.add(absolute)
        found.update(p.parent.resolve() for p in absolute.rglob("kustomization.yaml"))
    return sorted(d for d in found if not _is_component(d / "kustomization.yaml"))


def _is_component(kustomization: Path) -> bool:
    """Whether a kustomization file declares ``kind: Component``."""
    try:
        text = kustomization.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # reported when it is built
    return _COMPONENT_KIND.search(text) is not None


_COMPONENT_KIND = re.compile(r"^kind:\s*['\"]?Component['\"]?\s*(#.*)?$", re.MULTILINE)


def plain_files(root: Path, paths: Iterable[Path]) -> list[Path]:
    """YAML files given directly, or under directories with no kustomization at all (plain
    manifest trees, kubeconform-style), and STDIN where it is given."""
    files: list[Path] = []
    for path in paths:
        absolute = (root / path).resolve() if not path.is_absolute() else path
        if path == STDIN:
            files.append(STDIN)
        elif absolute.is_file():
            files.append(absolute)
        elif absolute.is_dir() and not any(absolute.rglob("kustomization.yaml")):
            files += sorted(p for p in absolute.rglob("*") if p.suffix in (".yaml", ".yml"))
    return files


def display(root: Path, path: Path) -> str:
    """How reports name a path: relative to the repository, ``<stdin>`` for STDIN."""
    return STDIN_ORIGIN if path == STDIN else display_path(root, path)
