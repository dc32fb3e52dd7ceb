"""Whole `labgen` processes on a rendered repository: prints figures, asserts nothing.

    .venv/bin/python benchmarks/repo_bench.py REPO [REPO...] [--runs 3] [--labgen PATH]...

For each repository (a checkout with its generated tree committed; give one ``--labgen``
per repository to compare two revisions of labgen, e.g. before and after a change):
`labgen render` (a no-op rewrite), `labgen render --check` and `labgen check` (every
kustomization under catalog/, overlays/, apps/; ``--no-check`` leaves it out) twice: with
``--no-cache`` (every kustomization built, every chart rendered: a fresh clone, or CI
without a cache) and with the build cache an earlier check filled (nothing changed since:
the run after a check, or after a commit that touched nothing it builds), in a cache
directory of the benchmark's own. Run alternately across the repositories, ``--runs``
times each; prints the median wall time and the catalog's file count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (
    ("render",),
    ("render", "--check"),
    ("--quiet", "check", "--no-cache"),
    ("--quiet", "check"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--labgen", type=Path, action="append")
    parser.add_argument("--no-check", action="store_true", help="leave out `labgen check`")
    args = parser.parse_args()
    commands = COMMANDS[:2] if args.no_check else COMMANDS
    environment = {**os.environ, "LABGEN_CACHE_DIR": tempfile.mkdtemp(prefix="labgen-bench-")}
    default = Path(sys.executable).parent / "labgen"
    binaries = args.labgen or [default] * len(args.repos)
    if len(binaries) != len(args.repos):
        parser.error("give one --labgen per repository, or none")
    if not args.no_check:  # fill the cache of the runs that use it
        for repo, labgen in zip(args.repos, binaries, strict=True):
            subprocess.run(
                [str(labgen), *COMMANDS[-1]],
                cwd=repo,
                env=environment,
                capture_output=True,
                check=False,
            )
    times: dict[tuple[int, tuple[str, ...]], list[float]] = {}
    codes: dict[tuple[int, tuple[str, ...]], set[int]] = {}
    for _ in range(args.runs):
        for command in commands:
            for index, (repo, labgen) in enumerate(zip(args.repos, binaries, strict=True)):
                start = time.perf_counter()
                done = subprocess.run(
                    [str(labgen), *command],
                    cwd=repo,
                    env=environment,
                    capture_output=True,
                    check=False,
                )
                times.setdefault((index, command), []).append(time.perf_counter() - start)
                codes.setdefault((index, command), set()).add(done.returncode)
    shutil.rmtree(environment["LABGEN_CACHE_DIR"])
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
