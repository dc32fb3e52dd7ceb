"""Helpers shared by tests: render a lab into a scratch repo, build, validate, compare trees."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from labgen.buildcache import BuildStore, cache_dir
from labgen.desired import SourceError, build_kustomization, input_digests
from labgen.plan import build_plan
from labgen.plan.model import LabPlan
from labgen.repo import render_repo
from labgen.schemas import SchemaSet
from labgen.spec import parse_lab
from labgen.tools import kustomize_build
from labgen.write import write_tree
from labgen.yamlio import load_all_safe

SERVING_SPEC = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{name: serving}}
spec:
  cluster: {{platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}}
  gitops: {{repoURL: https://github.com/example/lab.git}}
  versions: {versions}
  gpuPools:
    - {{name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {{min: 1, max: 4}}}}
  gateway: {{className: istio}}
  operators:
    {{gpuOperator: {{}}, gatewayApi: {{}}, inferenceExtension: {{}}, keda: {{}},
     monitoring: {{}}, kserve: {{}}, certManager: {{}}, leaderWorkerSet: {{}}}}
  models:
    - {model}
"""


def serving_plan(model: str, **versions: str) -> LabPlan:
    """The plan of a Kubernetes lab with every serving operator and one model (a flow
    mapping), with release ``versions`` pinned."""
    pinned = {key: {"version": value} for key, value in versions.items()}
    text = SERVING_SPEC.format(versions=json.dumps(pinned), model=model)
    return build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")


def render_into(root: Path, labs: list[str] | None = None) -> None:
    rendered = render_repo(root, labs or [])
    write_tree(root, rendered.tree, rendered.scopes)


def kustomization_dirs(root: Path, top: str) -> list[Path]:
    return sorted(p.parent for p in (root / top).rglob("kustomization.yaml"))


def build(directory: Path) -> list[dict[str, Any]]:
    """What the pinned `kubectl kustomize` builds from ``directory``: reused from the test
    suite's build cache (tests/conftest.py) when every file it reads is unchanged."""
    root = _tree_root(directory)
    if root is None:
        return [d for d in load_all_safe(kustomize_build(directory)) if isinstance(d, dict)]
    store = BuildStore(cache_dir())
    digest = input_digests([directory], root)[directory]
    built = build_kustomization(directory, root, store, digest)
    if isinstance(built, SourceError):
        raise AssertionError(f"kubectl kustomize {directory} failed: {built}")
    return built


def _tree_root(directory: Path) -> Path | None:
    """The rendered repository a directory is in (the nearest one with catalog/), if any."""
    return next((p for p in directory.resolve().parents if (p / "catalog").is_dir()), None)


def validation_errors(schemas: SchemaSet, objects: list[dict[str, Any]], where: str) -> list[str]:
    problems = []
    for item in objects:
        name = f"{item.get('kind')} {item.get('metadata', {}).get('name')}"
        problems += [f"{where}: {name}: {e}" for e in schemas.validate(item)]
    return problems


def tree_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def tree_diff(expected: dict[str, str], actual: dict[str, str]) -> str:
    """A readable, path-by-path diff of two trees (empty when identical)."""
    out = []
    for path in sorted(set(expected) | set(actual)):
        if path not in actual:
            out.append(f"missing from render: {path}")
        elif path not in expected:
            out.append(f"new in render (not in golden): {path}")
        elif expected[path] != actual[path]:
            out.extend(
                difflib.unified_diff(
                    expected[path].splitlines(),
                    actual[path].splitlines(),
                    f"golden/{path}",
                    f"render/{path}",
                    lineterm="",
                )
            )
    return "\n".join(out)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real `labgen` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "labgen.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def crd(schema: dict[str, Any], served: bool = True) -> dict[str, Any]:
    """A CustomResourceDefinition of example.com's Widget: v1 with ``schema``, v0 not served."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": served,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                },
                {
                    "name": "v0",
                    "served": False,
                    "storage": False,
                    "schema": {"openAPIV3Schema": schema},
                },
            ],
        },
    }


def argocd_standin(
    namespace: str,
    *,
    operator: bool = False,
    version_label: str | None = "v3.1.5",
    image: str = "quay.io/argoproj/argocd:v3.1.5",
    components: tuple[str, ...] = ("server",),
    settings: bool = False,
) -> list[dict[str, Any]]:
    """Argo CD as its install manifests (or OpenShift GitOps' operator) leave it, as far as
    `labgen bootstrap` looks: the Deployments of ``components`` (no Pod ever runs them)
    and, with ``settings``, the argocd-cm its installer writes. With ``operator``, an
    ArgoCD resource that owns the Deployments, named after the namespace as OpenShift
    GitOps names it."""
    prefix = namespace if operator else "argocd"
    objects: list[dict[str, Any]] = []
    if operator:
        objects.append(
            {
                "apiVersion": "argoproj.io/v1beta1",
                "kind": "ArgoCD",
                "metadata": {"name": namespace, "namespace": namespace},
                "spec": {"server": {"route": {"enabled": True}}},
            }
        )
    for component in components:
        name = f"{prefix}-{component}"
        labels = {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": "argocd",
        }
        if version_label:
            labels["app.kubernetes.io/version"] = version_label
        meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
        if operator:
            owner = {"apiVersion": "argoproj.io/v1beta1", "kind": "ArgoCD", "name": namespace}
            meta["ownerReferences"] = [{**owner, "uid": "00000000-0000-0000-0000-000000000001"}]
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta,
                "spec": {
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": name}},
                        "spec": {"containers": [{"name": f"argocd-{component}", "image": image}]},
                    },
                },
            }
        )
    if settings:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "argocd-cm",
                    "namespace": namespace,
                    "labels": {"app.kubernetes.io/part-of": "argocd"},
                },
                "data": {"url": "https://argocd.example.com"},
            }
        )
    return objects
