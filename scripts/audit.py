"""`make audit`: render every lab (labs/ and the golden labs of the tests) into a scratch
repository, build every kustomization there with the pinned kubectl, and run checkov on
the result: once on the overlays and apps, once on the catalog bases, which are
namespace-less by design (every overlay that uses one sets `namespace:`), so there
CKV_K8S_21 (default namespace) is skipped too, and so is CKV2_K8S_6 (a NetworkPolicy per
pod): the lab's NetworkPolicies are deployed beside the overlays, not in the bases.

    .venv/bin/python scripts/audit.py --checkov .venv-audit/bin/checkov

Exit status is non-zero when either checkov run fails a check that `.checkov.yaml` does not
skip.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from labgen.tools import kustomize_build

REPO = Path(__file__).resolve().parents[1]
# each tree's builds go to a directory of their own: one checkov run per directory
TREES = {"catalog": "catalog", "overlays": "deployed", "apps": "deployed"}
CONFIG = REPO / ".checkov.yaml"
# Catalog bases carry no namespace, and no NetworkPolicy: the overlays set the namespace,
# and each lab's `netpol-<namespace>` Application isolates it (checked with the overlays).
CATALOG_SKIPS = ("CKV_K8S_21", "CKV2_K8S_6")


def checkov(binary: Path, builds: Path, extra_skips: tuple[str, ...] = ()) -> int:
    """checkov on one directory of builds; ``extra_skips`` on top of the config's."""
    command = [str(binary), "--directory", str(builds), "--config-file", str(CONFIG)]
    if extra_skips:  # on the command line, --skip-check replaces the config's list
        skips = [*(yaml.safe_load(CONFIG.read_text()).get("skip-check") or []), *extra_skips]
        command += ["--skip-check", ",".join(skips)]
    return subprocess.run(command, cwd=REPO, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labgen-audit-") as tmp:
        scratch, builds = Path(tmp) / "repo", Path(tmp) / "builds"
        (scratch / "labs").mkdir(parents=True)
        for group in set(TREES.values()):
            (builds / group).mkdir(parents=True)
        for spec in [*(REPO / "labs").glob("*.yaml"), *(REPO / "tests/golden").glob("*/lab.yaml")]:
            name = spec.stem if spec.parent.name == "labs" else spec.parent.name
            shutil.copy(spec, scratch / "labs" / f"{name}.yaml")
        labgen = Path(sys.executable).parent / "labgen"
        subprocess.run([str(labgen), "--quiet", "render", "--root", str(scratch)], check=True)
        directories = sorted(
            path.parent for tree in TREES for path in (scratch / tree).rglob("kustomization.yaml")
        )
        for directory in directories:
            relative = directory.relative_to(scratch)
            name = relative.as_posix().replace("/", "__")
            output = kustomize_build(directory)
            if output.strip():  # a Kustomize Component builds to nothing on its own
                (builds / TREES[relative.parts[0]] / f"{name}.yaml").write_text(output)
        counts = {group: len(list((builds / group).iterdir())) for group in set(TREES.values())}
        labs = len(list(scratch.glob("labs/*")))
        print(f"checkov on {len(directories)} builds of {labs} labs")
        print(f"overlays and apps: {counts['deployed']} builds")
        status = checkov(args.checkov, builds / "deployed")
        print(
            f"catalog bases: {counts['catalog']} builds (also skipped: CKV_K8S_21, no "
            "namespace; CKV2_K8S_6, the lab's NetworkPolicies are not in the bases)"
        )
        return checkov(args.checkov, builds / "catalog", CATALOG_SKIPS) or status


if __name__ == "__main__":
    sys.exit(main())
