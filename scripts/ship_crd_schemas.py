"""Regenerate the CRD schemas labgen ships (``src/labgen/crd_schemas``).

    .venv/bin/python scripts/ship_crd_schemas.py [--crds ../shared/crds]

Imports, with `labgen schemas import`'s converter, every upstream CRD of the API groups the
pinned release table and platforms use (and Argo CD's kinds labgen emits), and writes the
provenance table (repo, path, tag, commit per CRD) beside them. Run it after bumping a
release row; tests/unit/test_shipped_schemas.py fails until the two agree.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from labgen.crds import ship_schemas
from labgen.data.releases import pinned_crd_groups
from labgen.schemas import SHIPPED_DIR

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("LABGEN_CRDS", REPO.parent / "shared" / "crds"))
    parser.add_argument("--crds", type=Path, default=default)
    args = parser.parse_args()
    if SHIPPED_DIR.exists():
        shutil.rmtree(SHIPPED_DIR)
    written = ship_schemas(args.crds, pinned_crd_groups(), SHIPPED_DIR)
    print(f"{len(written)} schemas in {SHIPPED_DIR.relative_to(REPO)}")


if __name__ == "__main__":
    main()
