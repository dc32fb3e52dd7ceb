"""Every Helm source rendered with the real `helm template` from the chart cache
(``../shared/charts``) and checked like any other object: the golden labs' trees pass
`labgen check --chart-dir` with no Helm source left unrendered and zero errors, and the
committed chart inventory (``labgen/data/charts.json``) is what the charts really render."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import GOLDEN, REPO
from labgen.buildcache import cache_dir
from labgen.check import DEFAULT_PATHS, CheckOptions, check_tree
from labgen.check.inventory import lab_specs, measure
from labgen.check.model import Report
from labgen.components.base import HelmSource, KustomizeSource
from labgen.data.charts import chart_inventory, inventories
from labgen.desired import app_sources, chart_name
from labgen.plan import LabPlan, build_plan
from labgen.render import argocd_objects, lab_apps
from labgen.spec import load_lab
from support import render_into

GOLDEN_LABS = sorted(GOLDEN.glob("*/lab.yaml"))
# What a lab's Applications deploy: the overlays build the catalog bases they use. Every
# catalog base on its own too (the whole catalog: ~770 kustomize builds, mostly of bases the
# lab does not use; 58 CPU-s instead of 8 for the KServe lab) is `make check`'s job and the
# slow tier's.
LAB_PATHS = ("overlays", "apps")


def _checked(
    specs: list[Path],
    root: Path,
    charts: Path,
    crd_schemas: Path,
    paths: tuple[str, ...] = DEFAULT_PATHS,
) -> Report:
    (root / "labs").mkdir(parents=True)
    for spec in specs:
        shutil.copy(spec, root / "labs" / f"{load_lab(spec).lab.metadata.name}.yaml")
    render_into(root)
    return _check(root, charts, crd_schemas, paths)


def _errors(report: Report) -> list[str]:
    lines = [f"{r.origin}: {r.label}: schema {e}" for r in report.resources for e in r.errors]
    lines += [
        f"{r.origin}: {r.label}: {f.rule}: {f.message}"
        for r in report.resources
        for f in r.findings
        if f.severity == "error"
    ]
    return lines + [f"{f.rule}: {f.message}" for f in report.problems if f.severity == "error"]


def _helm_sourced(root: Path) -> bool:
    """Whether any Application of the rendered tree has a Helm chart source, by the
    checker's own definition (a ``chart:`` or a native OCI ``repoURL``); a lab on
    OpenShift may install every operator through OLM and have none."""
    apps = (yaml.safe_load(p.read_text()) for p in (root / "apps").rglob("application-*.yaml"))
    return any(chart_name(source) for app in apps for source in app_sources(app))


def _assert_clean(report: Report, root: Path) -> None:
    helm_unrendered = [s for s in report.not_rendered if not s.startswith("https://github.com/")]
    assert helm_unrendered == [], "Helm sources not rendered"
    assert _errors(report) == []
    rendered = any(r.origin.startswith("helm/") for r in report.resources)
    assert rendered == _helm_sourced(root), "a Helm source was not rendered"


KSERVE_LAB = GOLDEN / "kserve-llmisvc" / "lab.yaml"


@pytest.fixture(scope="module")
def kserve_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kserve") / "repo"
    (root / "labs").mkdir(parents=True)
    shutil.copy(KSERVE_LAB, root / "labs" / "kserve-llmisvc.yaml")
    render_into(root)
    return root


def _check(
    root: Path, charts: Path, crd_schemas: Path, paths: tuple[str, ...] = DEFAULT_PATHS
) -> Report:
    options = CheckOptions((crd_schemas,), chart_dirs=(charts,), build_cache=cache_dir())
    return check_tree(root, [Path(p) for p in paths], options)


@pytest.mark.slow  # `make check` (in `make test`) checks the shipped KServe lab with its charts
def test_kserve_lab_passes_check_with_every_chart_rendered(
    kserve_repo: Path, chart_cache: Path, crd_schemas: Path
) -> None:
    """The representative lab (KServe's five charts, cert-manager, the GPU Operator,
    kube-prometheus-stack, LWS, NFD): chart Gateways use the lab's class, the AppProject
    allows what the charts render, one owner per CRD, Certificates after cert-manager."""
    report = _check(kserve_repo, chart_cache, crd_schemas)
    _assert_clean(report, kserve_repo)
    waived = {(who, rule) for who, rule, _ in report.waived}
    assert ("chart gpu-operator", "hygiene/resource-requests") in waived  # reported, not dropped
    gateways = [r for r in report.resources if r.kind == "Gateway"]
    assert [(g.namespace, g.name) for g in gateways] == [("kserve", "kserve-ingress-gateway")]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def test_chart_rules_catch_what_the_charts_render(
    kserve_repo: Path, tmp_path: Path, chart_cache: Path, crd_schemas: Path
) -> None:
    """The KServe lab as labgen rendered it before the charts were checked: the chart's own
    `envoy` Gateway, the llmisvc chart's InferencePool CRD beside the inference-extension
    Application's, the controllers in cert-manager's wave, no ClusterStorageContainer in the
    AppProject. Each is an error only the rendered charts show."""
    root = tmp_path / "repo"
    shutil.copytree(kserve_repo, root)
    children = root / "apps" / "kserve-llmisvc" / "children"
    controller = children / "application-kserve-llmisvc-kserve.yaml"
    _edit(controller, "createGateway: false", "createGateway: true")
    _edit(controller, "sync-wave: '2'", "sync-wave: '1'")
    llmisvc = children / "application-kserve-llmisvc-kserve-llmisvc.yaml"
    _edit(llmisvc, "createGIECRDs: false", "createGIECRDs: true")
    project = root / "apps" / "kserve-llmisvc" / "project" / "appproject-kserve-llmisvc.yaml"
    _edit(project, "  - kind: ClusterStorageContainer\n    group: serving.kserve.io\n", "")
    report = _check(root, chart_cache, crd_schemas, LAB_PATHS)
    found = {
        (r.kind, r.name, f.rule)
        for r in report.resources
        for f in r.findings
        if f.severity == "error"
    }
    assert ("Gateway", "kserve-ingress-gateway", "gateway/class") in found
    assert (
        "CustomResourceDefinition",
        "inferencepools.inference.networking.k8s.io",
        "argocd/duplicate-resource",
    ) in found
    assert ("Certificate", "serving-cert", "argocd/crd-order") in found
    assert ("ClusterStorageContainer", "default", "argocd/project-cluster-kind") in found


@pytest.mark.slow
@pytest.mark.parametrize("spec", GOLDEN_LABS, ids=lambda p: p.parent.name)
def test_every_golden_lab_passes_check_with_every_chart_rendered(
    spec: Path, tmp_path: Path, chart_cache: Path, crd_schemas: Path
) -> None:
    """Each lab in its own repository: labs are separate clusters here (several labs on
    one cluster is issue 14's cluster-singleton work)."""
    _assert_clean(_checked([spec], tmp_path, chart_cache, crd_schemas), tmp_path)


def test_a_chart_missing_from_the_cache_is_an_error(tmp_path: Path, crd_schemas: Path) -> None:
    empty = tmp_path / "charts"
    empty.mkdir()
    lab = REPO / "labs" / "gke-l4.yaml"
    report = _checked([lab], tmp_path / "repo", empty, crd_schemas, LAB_PATHS)
    missing = [f.message for f in report.problems if f.rule == "build/helm"]
    assert missing
    assert all("is not in the chart cache" in m for m in missing)
    assert report.failed


@pytest.mark.slow  # the whole inventory is regenerated and compared in the slow tier too
def test_the_inventory_covers_what_the_kserve_lab_renders(chart_cache: Path) -> None:
    """One lab's charts, each a subset of the committed (union) inventory."""
    committed = inventories()
    crds = REPO.parent / "shared" / "crds"
    specs = [REPO / "labs" / "kserve-llmisvc.yaml"]
    for measured in measure(specs, (chart_cache,), (crds,) if crds.is_dir() else ()):
        entry = committed[(measured.chart, measured.version)]
        assert set(measured.cluster_kinds) <= set(entry.cluster_kinds), measured.chart
        assert set(measured.crds) <= set(entry.crds), measured.chart
        assert set(measured.kinds) <= set(entry.kinds), measured.chart


@pytest.mark.slow
def test_the_committed_inventory_is_what_the_charts_render(chart_cache: Path) -> None:
    crds = REPO.parent / "shared" / "crds"
    if not crds.is_dir():
        pytest.skip(f"upstream CRDs not found at {crds} (scopes of kinds no chart installs)")
    measured = {(i.chart, i.version): i for i in measure(lab_specs(REPO), (chart_cache,), (crds,))}
    assert measured == inventories(), "stale: run scripts/chart_inventory.py"


# --- what render takes from the inventory (no chart cache needed) ---------------------------


def _plan(spec: Path) -> LabPlan:
    return build_plan(load_lab(spec), str(spec))


@pytest.mark.parametrize("spec", [*sorted((REPO / "labs").glob("*.yaml")), *GOLDEN_LABS], ids=str)
def test_the_project_allows_every_cluster_kind_its_charts_render(spec: Path) -> None:
    plan = _plan(spec)
    project = argocd_objects(plan).project
    allowed = {(e["group"], e["kind"]) for e in project["spec"]["clusterResourceWhitelist"]}
    for app in lab_apps(plan):
        if isinstance(app.source, HelmSource):
            inventory = chart_inventory(app.source.chart.chart, app.source.chart.version)
            assert inventory is not None, app.source.chart
            assert set(inventory.cluster_kinds) <= allowed, app.component


def test_kserve_storage_containers_are_allowed() -> None:
    project = argocd_objects(_plan(REPO / "labs" / "kserve-llmisvc.yaml")).project
    whitelist = project["spec"]["clusterResourceWhitelist"]
    assert {"group": "serving.kserve.io", "kind": "ClusterStorageContainer"} in whitelist


def test_kserve_ingress_gateway_is_labgens_with_the_lab_class() -> None:
    plan = _plan(REPO / "labs" / "kserve-llmisvc.yaml")
    apps = {a.component: a for a in lab_apps(plan)}
    controller = apps["kserve"]
    assert isinstance(controller.source, HelmSource)
    ingress = controller.source.values["kserve"]["controller"]["gateway"]["ingressGateway"]
    assert ingress["createGateway"] is False  # the chart's Gateway is hard-coded to `envoy`
    assert isinstance(controller.extra_source, KustomizeSource)
    (gateway,) = controller.extra_source.objects
    assert gateway["spec"]["gatewayClassName"] == plan.gateway_class == "istio"
    # one owner for the InferencePool CRD: the lab's inference-extension Application
    llmisvc = apps["kserve-llmisvc"].source
    assert isinstance(llmisvc, HelmSource)
    assert llmisvc.values["kserve"]["llmisvc"]["createGIECRDs"] is False
    assert "inference-extension" in apps
    # the controllers' Certificates and Issuers sync after cert-manager installs their CRDs
    assert controller.wave > apps["cert-manager"].wave


def test_a_chart_version_not_measured_falls_back_to_the_measured_one() -> None:
    measured = [v for c, v in inventories() if c == "keda"]
    assert measured == ["2.20.2"]
    assert chart_inventory("keda", "2.19.0") == chart_inventory("keda", "2.20.2")
    assert chart_inventory("no-such-chart", "1.0.0") is None


def test_check_reads_the_chart_cache_from_labgen_charts(tmp_path: Path, crd_schemas: Path) -> None:
    """`$LABGEN_CHARTS` is the default chart cache of `labgen check` (and of `labgen diff`,
    by the same code): here an empty cache, so the case's chart is missing."""
    case = REPO / "tests" / "cases" / "check" / "valid" / "helm-chart-cache"
    empty = tmp_path / "charts"
    empty.mkdir()
    args = [sys.executable, "-m", "labgen.cli", "check", "--root", str(case)]
    args += ["--schema-location", str(crd_schemas)]
    env = {**os.environ, "LABGEN_CHARTS": str(empty)}
    result = subprocess.run(args, cwd=case, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "is not in the chart cache" in result.stdout
    env.pop("LABGEN_CHARTS")
    result = subprocess.run(args, cwd=case, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout  # the case's own charts/
