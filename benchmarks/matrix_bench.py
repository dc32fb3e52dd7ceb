"""Benchmark-matrix expansion: prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/matrix_bench.py [--repeat N]

Measures, on this machine, for one matrix of 4 models x 5 (pool, GPU count) x 3 dtypes x
150 workloads (5 load levels x 5 prompt lengths x 3 output lengths x 2 profiles) = 9,000
configurations: parsing and planning the lab without the matrix, with it (the difference
is the expansion: fit pruning, ids, batching), and rendering its Kueue objects, batch
ConfigMaps and Jobs in memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from labgen.components.matrices import apps
from labgen.plan import build_plan
from labgen.spec import parse_lab

LAB = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {name: bench}
spec:
  cluster: {platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}
  gitops: {repoURL: https://example.com/lab.git, targetRevision: main}
  gpuPools:
    - {name: l4, accelerator: L4, gpusPerNode: 1, nodes: {min: 0, max: 8}}
    - {name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {min: 0, max: 4}}
  operators: {gpuOperator: {}, kueue: {}}
"""
MATRIX = {
    "name": "catalog",
    "models": [
        "granite-3-3-8b",
        "qwen3-8b",
        {"model": "llama-3-1-8b", "tokenSecret": "hf", "checkpoints": {"int4": "hf://a/b"}},
        {"model": "qwen3-32b", "checkpoints": {"int4": "hf://c/d"}},
    ],
    "hardware": [{"pool": "l4", "gpus": [1]}, {"pool": "h100", "gpus": [1, 2, 4, 8]}],
    "dtypes": ["bf16", "fp8", "int4"],
    "workloads": {
        "batchSizes": [1, 2, 4, 8, 16],
        "promptTokens": [128, 512, 1024, 2048, 4096],
        "outputTokens": [128, 256, 512],
        "profiles": ["constant", "concurrent"],
    },
    "batchSize": 100,
}


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with_matrix = LAB + "  matrices: " + json.dumps([MATRIX]) + "\n"
    plan = build_plan(parse_lab(with_matrix, "lab.yaml"), "lab.yaml")
    (m,) = plan.matrices
    base = timed(lambda: build_plan(parse_lab(LAB, "lab.yaml"), "lab.yaml"), args.repeat)
    full = timed(lambda: build_plan(parse_lab(with_matrix, "lab.yaml"), "lab.yaml"), args.repeat)
    render = timed(lambda: list(apps(plan)), args.repeat)
    print(
        f"matrix: {m.expanded} configurations expanded, {len(m.configs)} kept, "
        f"{sum(n for _, n in m.pruned)} pruned ({len(m.pruned)} reasons), "
        f"{len(m.batches)} batches"
    )
    print(f"{'step':<44} {'median ms':>10} {'min ms':>8}")
    rows = [
        ("parse + plan, lab without the matrix", base),
        ("parse + plan, lab with the matrix", full),
        ("expansion (the difference of the two)", (full[0] - base[0], full[1] - base[1])),
        ("render its objects in memory", render),
    ]
    for label, (median, best) in rows:
        print(f"{label:<44} {median:>10.1f} {best:>8.1f}")


if __name__ == "__main__":
    main()
