"""Render benchmarks: prints figures, asserts nothing (speed is not a test).

    .venv/bin/python bench/render_bench.py [--repeat N]

Measures, on this machine:
  * spec -> plan -> in-memory render of the shipped labs (no I/O besides reading specs);
  * the same for N generated labs (copies of the golden specs under new names), to show
    how render time grows with the number of labs;
  * a first write into an empty repo, a no-op rewrite, and `render --check`;
  * `kubectl kustomize` (the pinned binary) over every overlay of one lab.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from labgen.render import clear_caches
from labgen.repo import render_repo
from labgen.spec import load_lab
from labgen.tools import kustomize_build
from labgen.write import check_tree, write_tree

REPO = Path(__file__).resolve().parents[1]
SPECS = sorted([*(REPO / "labs").glob("*.yaml"), *(REPO / "tests/golden").glob("*/lab.yaml")])


def timed(fn: Callable[[], object], repeat: int, warm: bool = False) -> tuple[float, float]:
    """Median and min wall time in milliseconds. Cold by default: each run starts without
    the in-process catalog cache, as every `labgen` command does."""
    runs = []
    for _ in range(repeat):
        if not warm:
            clear_caches()
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), min(runs)


def make_repo(root: Path, copies: int) -> None:
    (root / "labs").mkdir(parents=True)
    for i in range(copies):
        spec = SPECS[i % len(SPECS)]
        original = load_lab(spec).lab.metadata.name
        name = f"{original}-{i}" if copies > len(SPECS) else original
        (root / "labs" / f"{name}.yaml").write_text(spec.read_text().replace(original, name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []

    def row(
        label: str, fn: Callable[[], object], repeat: int = args.repeat, warm: bool = False
    ) -> None:
        median, best = timed(fn, repeat, warm)
        rows.append((label, f"{median:9.1f}", f"{best:9.1f}"))

    with tempfile.TemporaryDirectory() as tmp:
        for count in (len(SPECS), 20, 100):
            root = Path(tmp) / f"labs-{count}"
            make_repo(root, count)
            files = len(render_repo(root, []).tree)
            row(
                f"plan+render in memory, {count} labs ({files} files)",
                functools.partial(render_repo, root, []),
            )
            row(
                f"  the same, catalog cached in-process, {count} labs",
                functools.partial(render_repo, root, []),
                warm=True,
            )
        root = Path(tmp) / "io"
        make_repo(root, len(SPECS))

        def first_write() -> None:
            for child in ("catalog", "overlays", "apps", "schemas", ".labgen"):
                shutil.rmtree(root / child, ignore_errors=True)
            rendered = render_repo(root, [])
            write_tree(root, rendered.tree, rendered.scopes)

        row(f"render + first write, {len(SPECS)} labs", first_write)

        def rewrite() -> None:
            rendered = render_repo(root, [])
            write_tree(root, rendered.tree, rendered.scopes)

        row(f"render + no-op rewrite, {len(SPECS)} labs", rewrite)

        def check() -> None:
            rendered = render_repo(root, [])
            assert not check_tree(root, rendered.tree, rendered.scopes)

        row(f"render --check, {len(SPECS)} labs", check)
        overlays = sorted(p.parent for p in (root / "overlays").rglob("kustomization.yaml"))
        row(
            f"kubectl kustomize, all {len(overlays)} overlays (sequential)",
            lambda: [kustomize_build(d) for d in overlays],
            repeat=max(1, args.repeat // 2),
        )

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'median ms':>9}  {'min ms':>9}")
    for label, median, best in rows:
        print(f"{label:<{width}}  {median}  {best}")


if __name__ == "__main__":
    main()
