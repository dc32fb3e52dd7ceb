"""Every catalog base, overlay and apps/ directory builds with the real `kubectl kustomize`,
and every object the builds produce validates strictly against upstream schemas."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import GOLDEN, REPO, RenderedRepo
from labgen.components import REGISTRY
from labgen.components.base import KustomizeSource
from labgen.components.serving.catalog import SERVERS, as_built
from labgen.data.releases import DEFAULT_KUBERNETES_VERSION
from labgen.plan.serving import APP_PREFIX
from labgen.render import lab_apps
from labgen.schemas import SchemaSet
from labgen.spec import load_lab
from support import build, kustomization_dirs, validation_errors

LABS = sorted([*(REPO / "labs").glob("*.yaml"), *GOLDEN.glob("*/lab.yaml")])


# The session's rendered repositories never change: each directory is built once, however
# many tests read its objects (they must not modify them).
built = functools.cache(build)


def _lab_id(path: Path) -> str:
    return path.parent.name if path.name == "lab.yaml" else path.stem


@pytest.fixture(scope="session")
def repos(shipped_repo: RenderedRepo, golden_repo: RenderedRepo) -> dict[Path, RenderedRepo]:
    """Spec path -> the rendered repository holding its lab (shipped and golden labs share
    some names, so they are rendered apart)."""
    return {spec: golden_repo if GOLDEN in spec.parents else shipped_repo for spec in LABS}


@pytest.mark.slow
def test_catalog_bases_build_and_validate(
    shipped_repo: RenderedRepo, schema_set: Callable[[str], SchemaSet]
) -> None:
    """Every catalog base on its own (the lab builds below build the bases they use), to
    exactly the objects labgen models for it (lab overlays patch those); Components only
    build as part of a base."""
    rendered_repo = shipped_repo.root
    schemas = schema_set(DEFAULT_KUBERNETES_VERSION)
    catalog = {b.path: b for c in REGISTRY for b in c.catalog()}
    dirs = kustomization_dirs(rendered_repo, "catalog")
    assert {str(d.relative_to(rendered_repo / "catalog")) for d in dirs} == set(catalog)
    problems: list[str] = []
    for directory in dirs:
        base = catalog[str(directory.relative_to(rendered_repo / "catalog"))]
        if base.component:
            continue
        objects = built(directory)
        assert objects, f"{directory} builds to nothing"
        assert sorted(objects, key=_identity) == sorted(base.objects, key=_identity), base.path
        problems += validation_errors(schemas, objects, str(directory.relative_to(rendered_repo)))
    assert not problems, "\n".join(problems)


def _identity(item: dict[str, Any]) -> tuple[str, str]:
    return item["kind"], item["metadata"]["name"]


@pytest.mark.parametrize("spec", LABS, ids=_lab_id)
def test_lab_builds_and_validates(
    spec: Path, repos: dict[Path, RenderedRepo], schema_set: Callable[[str], SchemaSet]
) -> None:
    loaded = load_lab(spec).lab
    schemas = schema_set(loaded.spec.cluster.kubernetesVersion)
    lab = loaded.metadata.name
    rendered_repo = repos[spec].root
    dirs = [
        *kustomization_dirs(rendered_repo, f"overlays/{lab}"),
        *kustomization_dirs(rendered_repo, f"apps/{lab}"),
    ]
    assert any("apps" in d.parts for d in dirs)
    problems: list[str] = []
    for directory in dirs:
        objects = built(directory)
        assert objects, f"{directory} builds to nothing"
        problems += validation_errors(schemas, objects, str(directory.relative_to(rendered_repo)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec", LABS, ids=_lab_id)
def test_project_allows_everything_the_lab_applies(
    spec: Path, repos: dict[Path, RenderedRepo]
) -> None:
    """Argo CD refuses to sync an object its AppProject does not allow: every namespace and
    every cluster-scoped kind the overlays build to must be in the lab's AppProject."""
    lab = load_lab(spec).lab.metadata.name
    rendered_repo = repos[spec].root
    (project,) = built(rendered_repo / "apps" / lab / "project")
    allowed_kinds = {
        (k["group"], k["kind"]) for k in project["spec"].get("clusterResourceWhitelist", [])
    }
    allowed_namespaces = {d["namespace"] for d in project["spec"]["destinations"]}
    problems = []
    for app in built(rendered_repo / "apps" / lab / "children"):
        options = app["spec"].get("syncPolicy", {}).get("syncOptions", [])
        if "CreateNamespace=true" in options and ("", "Namespace") not in allowed_kinds:
            problems.append(f"{app['metadata']['name']}: creates a Namespace the project forbids")
    for directory in kustomization_dirs(rendered_repo, f"overlays/{lab}"):
        for item in built(directory):
            group = item["apiVersion"].rpartition("/")[0]
            namespace = item["metadata"].get("namespace")
            where = f"{directory.name}: {item['kind']} {item['metadata']['name']}"
            if namespace is None and (group, item["kind"]) not in allowed_kinds:
                problems.append(f"{where}: cluster-scoped kind not in clusterResourceWhitelist")
            if namespace is not None and namespace not in allowed_namespaces:
                problems.append(f"{where}: namespace {namespace} not in destinations")
    assert not problems, "\n".join(problems)


def test_overlays_on_catalog_bases_build_to_the_planned_objects(
    shipped_repo: RenderedRepo, golden_repo: RenderedRepo
) -> None:
    """An overlay that reuses a catalog base through JSON patches builds, with the real
    kustomize, to exactly the objects the lab planned (plus the lab label)."""
    checked: set[str] = set()
    for repo, plan in [(r, p) for r in (shipped_repo, golden_repo) for p in r.rendered.plans]:
        rendered_repo = repo.root
        servers = {f"{APP_PREFIX}{m.name}": m.server for m in plan.models}
        for app in lab_apps(plan):
            source = app.source
            if not isinstance(source, KustomizeSource) or not source.json_patches:
                continue
            # a copy: the session's plans are shared
            expected = copy.deepcopy(
                [
                    *as_built(list(source.objects), source.components),
                    *(patch.result for patch in source.json_patches),
                ]
            )
            for item in expected:
                item["metadata"].setdefault("labels", {})["labgen.dev/lab"] = plan.name
            objects = built(rendered_repo / "overlays" / plan.name / app.component)

            def key(item: dict[str, Any]) -> tuple[str, str]:
                return item["kind"], item["metadata"]["name"]

            assert sorted(objects, key=key) == sorted(expected, key=key), app.component
            checked.add(servers[app.component])
    assert checked == set(SERVERS), f"only {sorted(checked)} overlays reuse a catalog base"
