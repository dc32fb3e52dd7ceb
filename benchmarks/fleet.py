"""The benchmark fleet: one multi-document YAML file, half Deployments, half Services.

    .venv/bin/python benchmarks/fleet.py OUT.yaml [--objects 20000]

Every object is valid (strict core schemas, labgen's hygiene rules), so both tools read,
validate and report the whole file; written by libyaml's emitter, as `kubectl` would.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml


def deployment(index: int) -> dict[str, Any]:
    name = f"app-{index}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "bench", "labels": {"app": name}},
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
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"memory": "128Mi"},
                            },
                        }
                    ]
                },
            },
        },
    }


def service(index: int) -> dict[str, Any]:
    name = f"app-{index}"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "bench", "labels": {"app": name}},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
        },
    }


def fleet(objects: int) -> list[dict[str, Any]]:
    """``objects`` documents, alternating Deployment and Service (one pair per app)."""
    return [deployment(i // 2) if i % 2 == 0 else service(i // 2) for i in range(objects)]


def write_fleet(path: Path, objects: int) -> Path:
    text = yaml.dump_all(fleet(objects), Dumper=yaml.CSafeDumper, sort_keys=False)
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--objects", type=int, default=20_000)
    args = parser.parse_args()
    write_fleet(args.out, args.objects)


if __name__ == "__main__":
    main()
