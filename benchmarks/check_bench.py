"""`labgen check` throughput on generated fleets: prints figures, asserts nothing.

    .venv/bin/python benchmarks/check_bench.py [--sizes 2000 20000] [--schemas DIR]

Each fleet is one multi-document YAML file: 40% Deployments, 40% Services, 10% HTTPRoutes,
10% ServiceMonitors (custom resources, validated against the upstream CRD schemas).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from labgen.check import CheckOptions, check_tree
from labgen.yamlio import load_all_safe

REPO = Path(__file__).resolve().parents[1]


def fleet(size: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for i in range(size):
        name, meta = f"app-{i // 10}", {"namespace": "bench"}
        slot = i % 10
        if slot < 4:
            docs.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"{name}-{slot}", **meta},
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": name}},
                        "template": {
                            "metadata": {"labels": {"app": name}},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "app",
                                        "image": "registry.example.com/app:1.0.0",
                                        "ports": [{"containerPort": 8080}],
                                        "resources": {
                                            "requests": {"cpu": "100m", "memory": "64Mi"}
                                        },
                                    }
                                ]
                            },
                        },
                    },
                }
            )
        elif slot < 8:
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": f"{name}-{slot}", **meta},
                    "spec": {
                        "selector": {"app": name},
                        "ports": [{"port": 80, "targetPort": 8080}],
                    },
                }
            )
        elif slot == 8:
            docs.append(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "HTTPRoute",
                    "metadata": {"name": name, **meta},
                    "spec": {
                        "parentRefs": [{"name": "gateway"}],
                        "rules": [{"backendRefs": [{"name": f"{name}-4", "port": 80}]}],
                    },
                }
            )
        else:
            docs.append(
                {
                    "apiVersion": "monitoring.coreos.com/v1",
                    "kind": "ServiceMonitor",
                    "metadata": {"name": name, **meta},
                    "spec": {
                        "selector": {"matchLabels": {"app": name}},
                        "endpoints": [{"port": "http", "interval": "30s"}],
                    },
                }
            )
    return docs


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    default = Path(os.environ.get("LABGEN_SCHEMAS", REPO.parent / "shared" / "schemas"))
    parser.add_argument("--schemas", type=Path, default=default / "crds")
    args = parser.parse_args()
    options = CheckOptions((args.schemas,))
    print(f"{'objects':>8}  {'parse s':>8}  {'check s':>8}  {'cpu s':>7}  {'objects/s':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"fleet-{size}.yaml"
            path.write_text(yaml.dump_all(fleet(size), Dumper=yaml.CSafeDumper, sort_keys=False))
            start = time.perf_counter()
            parsed = sum(1 for _ in load_all_safe(path.read_text()))
            parse = time.perf_counter() - start
            cpu_before, start = cpu(), time.perf_counter()
            report = check_tree(Path(tmp), [path], options)
            wall, used = time.perf_counter() - start, cpu() - cpu_before
            assert parsed == size
            assert not report.failed, "the generated fleet must be valid"
            print(f"{size:>8}  {parse:>8.2f}  {wall:>8.2f}  {used:>7.2f}  {size / wall:>10,.0f}")


if __name__ == "__main__":
    main()
