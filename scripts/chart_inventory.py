"""Regenerate src/labgen/data/charts.json: what every pinned Helm chart renders (cluster-
scoped kinds, CRDs, kinds) with the values of the shipped and golden labs, by the real
`helm template` from the chart cache.

    .venv/bin/python scripts/chart_inventory.py [--chart-dir ../shared/charts]
        [--crd-dir ../shared/crds] [--check]

`--check` writes nothing and exits 1 when the committed file differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labgen.check.inventory import inventory_text, lab_specs, measure
from labgen.data.charts import INVENTORY

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chart-dir", type=Path, default=REPO.parent / "shared" / "charts")
    parser.add_argument("--crd-dir", type=Path, default=REPO.parent / "shared" / "crds")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = inventory_text(measure(lab_specs(REPO), (args.chart_dir,), (args.crd_dir,)))
    if args.check:
        if INVENTORY.read_text() != text:
            print(f"{INVENTORY} is stale: run scripts/chart_inventory.py", file=sys.stderr)
            return 1
        return 0
    INVENTORY.write_text(text)
    print(f"wrote {INVENTORY.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
