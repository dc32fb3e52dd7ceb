"""Build every lab's Kustomize directories with the pinned `kubectl kustomize` and save the
output, so two revisions of labgen can be compared object for object.

    .venv/bin/python scripts/lab_builds.py OUT        # OUT/{shipped,golden}/<lab>/<dir>.yaml
    diff -r BEFORE AFTER                              # what a refactor changed in built objects

The shipped labs (labs/*.yaml) and the golden labs (tests/golden/*/lab.yaml) render into
two scratch repositories (their names overlap); every ``overlays/<lab>/<app>/`` and
``apps/<lab>/<part>/`` directory is built. Lab-independent catalog entry points are not
built here (`labgen check` builds them).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from labgen.repo import render_repo
from labgen.spec import load_lab
from labgen.tools import kustomize_build
from labgen.write import write_tree

REPO = Path(__file__).resolve().parents[1]
SETS = {
    "shipped": sorted((REPO / "labs").glob("*.yaml")),
    "golden": sorted((REPO / "tests/golden").glob("*/lab.yaml")),
}


def build_set(specs: list[Path], out: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "labs").mkdir()
        for spec in specs:
            name = load_lab(spec).lab.metadata.name
            shutil.copy(spec, root / "labs" / f"{name}.yaml")
        rendered = render_repo(root, [])
        write_tree(root, rendered.tree, rendered.scopes)
        built = 0
        for top in ("overlays", "apps"):
            for kustomization in sorted((root / top).glob("*/*/kustomization.yaml")):
                directory = kustomization.parent
                lab, part = directory.parent.name, directory.name
                target = out / lab / f"{top}-{part}.yaml"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(kustomize_build(directory))
                built += 1
        return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write the builds into (replaced)")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    for name, specs in SETS.items():
        count = build_set(specs, args.out / name)
        print(f"{name}: {len(specs)} labs, {count} kustomize builds -> {args.out / name}")


if __name__ == "__main__":
    main()
