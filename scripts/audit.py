"""`make audit`: render every lab (labs/ and the golden labs of the tests) into a scratch
repository, build every kustomization there with the pinned kubectl, and run checkov on
the result.

    .venv/bin/python scripts/audit.py --checkov .venv-audit/bin/checkov

Exit status is checkov's: non-zero when a check fails that `.checkov.yaml` does not skip.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from labgen.tools import kustomize_build

REPO = Path(__file__).resolve().parents[1]
TREES = ("catalog", "overlays", "apps")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labgen-audit-") as tmp:
        scratch, builds = Path(tmp) / "repo", Path(tmp) / "builds"
        (scratch / "labs").mkdir(parents=True)
        builds.mkdir()
        for spec in [*(REPO / "labs").glob("*.yaml"), *(REPO / "tests/golden").glob("*/lab.yaml")]:
            name = spec.stem if spec.parent.name == "labs" else spec.parent.name
            shutil.copy(spec, scratch / "labs" / f"{name}.yaml")
        labgen = Path(sys.executable).parent / "labgen"
        subprocess.run([str(labgen), "--quiet", "render", "--root", str(scratch)], check=True)
        directories = sorted(
            path.parent for tree in TREES for path in (scratch / tree).rglob("kustomization.yaml")
        )
        for directory in directories:
            name = directory.relative_to(scratch).as_posix().replace("/", "__")
            (builds / f"{name}.yaml").write_text(kustomize_build(directory))
        print(f"checkov on {len(directories)} builds of {len(list(scratch.glob('labs/*')))} labs")
        command = [str(args.checkov), "--directory", str(builds), "--config-file", ".checkov.yaml"]
        return subprocess.run(command, cwd=REPO, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
