"""Whole `labgen` processes on a rendered repository: prints figures, asserts nothing.

    .venv/bin/python benchmarks/repo_bench.py REPO [REPO...] [--runs 3] [--labgen PATH]...

For each repository (a checkout with its generated tree committed; give one ``--labgen``
per repository to compare two revisions of labgen, e.g. before and after a change):
`labgen render` (a no-op rewrite), `labgen render --check` and `labgen check` (every
kustomization under catalog/, overlays/, apps/; ``--no-check`` leaves it out), run
alternately across the repositories, ``--runs`` times each; prints the median wall time
and the catalog's file count.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (("render",), ("render", "--check"), ("--quiet", "check"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--labgen", type=Path, action="append")
    parser.add_argument("--no-check", action="store_true", help="leave out `labgen check`")
    args = parser.parse_args()
    commands = COMMANDS[:2] if args.no_check else COMMANDS
    default = Path(sys.executable).parent / "labgen"
    binaries = args.labgen or [default] * len(args.repos)
    if len(binaries) != len(args.repos):
        parser.error("give one --labgen per repository, or none")
    times: dict[tuple[int, tuple[str, ...]], list[float]] = {}
    codes: dict[tuple[int, tuple[str, ...]], set[int]] = {}
    for _ in range(args.runs):
        for command in commands:
            for index, (repo, labgen) in enumerate(zip(args.repos, binaries, strict=True)):
                start = time.perf_counter()
                done = subprocess.run(
                    [str(labgen), *command], cwd=repo, capture_output=True, check=False
                )
                times.setdefault((index, command), []).append(time.perf_counter() - start)
                codes.setdefault((index, command), set()).add(done.returncode)
    for index, repo in enumerate(args.repos):
        files = sum(1 for p in (repo / "catalog").rglob("*") if p.is_file())
        print(f"{repo} ({binaries[index]}): catalog/ holds {files} files")
        for command in commands:
            runs = times[(index, command)]
            print(
                f"  labgen {' '.join(command)}: median {statistics.median(runs):.2f} s "
                f"(min {min(runs):.2f} s, {len(runs)} runs, exit {sorted(codes[(index, command)])})"
            )


if __name__ == "__main__":
    main()
