"""Every shipped and golden lab, applied to a real kube-apiserver as Argo CD would sync it.

`labgen bootstrap` runs for real against the server (with a stand-in Argo CD Deployment),
then every child Application's desired state (its kustomize build, or its chart rendered
with the pinned helm from ../shared/charts) is applied server-side in sync-wave order, in
the namespaces Argo CD would create. The server must refuse nothing, a second apply must
change nothing, and labgen's own pod templates (serving, benchmarks, matrices, database
clients, Open WebUI: their namespaces carry `pod-security.kubernetes.io/warn: restricted`)
must draw no PodSecurity warning.

What the server cannot do here, and how the test stands in for it:
- Sources in other git repositories (Gateway API's CRDs) are not fetched: their CRDs are
  the ones ../shared/crds installs with the server. A chart version the cache lacks (a
  lab's version override) is not applied either: once everything else has passed, the
  test is reported skipped with the charts it could not apply.
- Admission webhooks and aggregated APIs that charts register would send every later
  request to servers that never run here (no kubelet): those objects are checked with the
  server's dry run instead of being stored.
- Namespaces a real cluster of the platform already has (OpenShift's operator namespaces,
  kube-system) are created first.

One OpenShift and one Kubernetes lab run by default; the rest are marked `slow`.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GOLDEN, REPO
from k8s_api import warning_texts
from k8s_server import (
    WARN_RESTRICTED,
    ApiServer,
    Applied,
    charts_dir,
    install_argocd,
    key_of,
)
from labgen import cli
from labgen.buildcache import BuildStore, cache_dir
from labgen.desired import app_sources, cached_chart, chart_name, template_source
from labgen.plan import LabPlan, build_plan
from labgen.render.argocd import uses_openshift_gitops
from labgen.spec import load_lab
from support import build, render_into

DEFAULT_TIER = {"h100-llmd", "eks-pd"}  # OpenShift and Kubernetes, every kind of pod labgen writes
SPECS = [
    *(("shipped", p) for p in sorted((REPO / "labs").glob("*.yaml"))),
    *(("golden", p) for p in sorted(GOLDEN.glob("*/lab.yaml"))),
]
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# Stored, these would route later requests to webhook and API servers that never run here.
DRY_RUN_ONLY = frozenset(
    {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService"}
)
# Namespaces a fresh cluster of the platform has before any lab is synced.
PLATFORM_NAMESPACES = {
    "openshift": (
        "openshift-config",
        "openshift-gitops",
        "openshift-ingress",
        "openshift-machine-api",
        "openshift-monitoring",
        "openshift-operators",
        "openshift-user-workload-monitoring",
    ),
    "kubernetes": (),
}
EVERY_CLUSTER = ("default", "kube-node-lease", "kube-public", "kube-system")


def platform_namespaces(plan: LabPlan) -> tuple[str, ...]:
    return EVERY_CLUSTER + PLATFORM_NAMESPACES[plan.platform.name]


def _params() -> Iterator[Any]:
    for where, spec in SPECS:
        name = spec.parent.name if where == "golden" else spec.stem
        marks = () if where == "shipped" and name in DEFAULT_TIER else (pytest.mark.slow,)
        yield pytest.param(spec, id=f"{where}-{name}", marks=marks)


def workload_namespaces(plan: LabPlan) -> set[str]:
    """Where labgen's own pod templates run."""
    namespaces = {m.namespace for m in plan.models}
    namespaces |= {b.namespace for b in plan.benchmarks}
    namespaces |= {m.namespace for m in plan.matrices}
    namespaces |= {d.namespace for d in plan.databases}
    if plan.open_webui is not None:
        namespaces.add(plan.open_webui.namespace)
    return namespaces


def is_hook(item: dict[str, Any]) -> bool:
    """A Helm or Argo CD hook: Argo CD recreates it on every sync (its default deletion
    policy, and the charts', is before-hook-creation), so it is deleted before each apply
    and left out of the idempotence check."""
    annotations = item["metadata"].get("annotations") or {}
    return "helm.sh/hook" in annotations or "argocd.argoproj.io/hook" in annotations


def _wave(item: dict[str, Any]) -> int:
    return int((item["metadata"].get("annotations") or {}).get(SYNC_WAVE, "0"))


def desired_state(
    root: Path, plan: LabPlan, app: dict[str, Any], uncached: set[str]
) -> list[dict[str, Any]]:
    """What Argo CD would apply for ``app``: its kustomize build or rendered chart (a
    chart version the cache lacks, such as a lab's version override, goes to
    ``uncached``)."""
    objects: list[dict[str, Any]] = []
    for source in app_sources(app):
        chart = chart_name(source)
        if chart:
            if not charts_dir().is_dir():
                pytest.skip(f"no chart cache at {charts_dir()}: Helm sources need ../shared/charts")
            version = str(source.get("targetRevision"))
            path = cached_chart([charts_dir()], chart, version)
            if path is None:
                uncached.add(f"{chart} {version}")
                continue
            name = app["metadata"]["name"]
            kube = plan.kubernetes_version
            objects += template_source(app, source, path, kube, name, BuildStore(cache_dir()))
        elif (root / str(source.get("path"))).is_dir():
            objects += build(root / str(source["path"]))
        # else: another repository's path (Gateway API CRDs): see the module docstring
    return objects


def desired_states(
    root: Path, plan: LabPlan, uncached: set[str]
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every child Application of the lab with its desired state, in sync-wave order.
    Built once per lab: builds and charts are deterministic, so the second sync applies
    the same objects (copies of them: applying sets their namespace)."""
    apps = sorted(
        (a for a in build(root / "apps" / plan.name / "children") if a["kind"] == "Application"),
        key=lambda a: (_wave(a), a["metadata"]["name"]),
    )
    return [(app, desired_state(root, plan, app, uncached)) for app in apps]


def sync(
    server: ApiServer,
    plan: LabPlan,
    desired: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    restricted: set[str],
) -> Applied:
    """Apply every child Application of the lab (``desired_states``) in sync-wave order,
    each as Argo CD syncs it: namespace first (CreateNamespace), then Namespaces and CRDs,
    then the rest by resource sync wave.

    The server is shared by the session's labs, so a namespace another lab (or an earlier
    run) created would hide one this lab uses before creating it: the namespaces the lab
    has created so far are tracked, and an object in any other is refused here as a
    cluster would refuse it."""
    result = Applied()
    existing = {*platform_namespaces(plan), plan.gitops.argocd_namespace}
    for app, built in desired:
        destination = app["spec"]["destination"]["namespace"]
        options = (app["spec"].get("syncPolicy") or {}).get("syncOptions", [])
        if "CreateNamespace=true" in options:
            server.ensure_namespace(
                destination, WARN_RESTRICTED if destination in restricted else None
            )
            existing.add(destination)
        objects = copy.deepcopy(built)
        first = [o for o in objects if o["kind"] in ("Namespace", "CustomResourceDefinition")]
        existing |= {o["metadata"]["name"] for o in first if o["kind"] == "Namespace"}
        for item in objects:
            namespace = item["metadata"].get("namespace")
            if namespace is not None and namespace not in existing:
                result.errors.append(
                    f"{app['metadata']['name']} (wave {_wave(app)}): {key_of(item)}: "
                    f"namespace {namespace} does not exist yet"
                )
        for item in first:
            if item["kind"] == "Namespace" and item["metadata"]["name"] in restricted:
                item["metadata"].setdefault("labels", {}).update(WARN_RESTRICTED)
        rest = sorted((o for o in objects if o not in first), key=_wave)
        stored = [o for o in rest if o["kind"] not in DRY_RUN_ONLY]
        checked = [o for o in rest if o["kind"] in DRY_RUN_ONLY]
        result.merge(server.apply(first, destination))
        server.wait_established(
            o["metadata"]["name"] for o in first if o["kind"] == "CustomResourceDefinition"
        )
        server.delete([o for o in stored if is_hook(o)], destination)
        result.merge(server.apply(stored, destination))
        result.merge(server.apply(checked, destination, dry_run=True))
    return result


@pytest.mark.parametrize("spec", list(_params()))
def test_lab_applies_to_a_real_api_server(
    spec: Path,
    k8s_server: ApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    loaded = load_lab(spec)
    plan = build_plan(loaded, str(spec))
    root = tmp_path / "repo"
    (root / "labs").mkdir(parents=True)
    shutil.copy(spec, root / "labs" / f"{plan.name}.yaml")
    render_into(root)

    for namespace in platform_namespaces(plan):
        k8s_server.ensure_namespace(namespace)
    install_argocd(k8s_server, plan.gitops.argocd_namespace, operator=uses_openshift_gitops(plan))
    code = cli.main(
        ["bootstrap", plan.name, "--kubeconfig", str(k8s_server.kubeconfig), "--root", str(root)]
    )
    bootstrapped = capsys.readouterr()
    assert code == 0, bootstrapped.err
    assert f"Application {plan.gitops.argocd_namespace}/{plan.name}-root" in bootstrapped.out

    restricted = workload_namespaces(plan)
    uncached: set[str] = set()
    desired = desired_states(root, plan, uncached)
    first = sync(k8s_server, plan, desired, restricted)
    # Labs share the server and the names of many objects (a chart's Jobs, namespaces):
    # what this lab applied goes again once it is checked.
    request.addfinalizer(lambda: k8s_server.delete(first.objects))
    pod_security = [w for w in first.warnings if "PodSecurity" in w]
    kept = [o for o in first.objects if not is_hook(o)]
    before = k8s_server.snapshot(kept)
    second = sync(k8s_server, plan, desired, restricted)
    after = k8s_server.snapshot(kept)
    changed = sorted(k for k in after if before.get(k) != after[k])
    refused = dict.fromkeys(first.errors + second.errors)
    problems = [f"refused: {e}" for e in refused]
    problems += [f"PodSecurity: {w}" for w in pod_security]
    problems += [f"changed by a second apply: {c}" for c in changed]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    if uncached:  # all else applied and passed; say what could not be
        pytest.skip(f"charts not in {charts_dir()}, not applied: {', '.join(sorted(uncached))}")


def test_pod_security_warnings_are_caught_and_attributed(k8s_server: ApiServer) -> None:
    """The harness the lab tests rely on sees PodSecurity's warnings: a Deployment that
    breaks the restricted profile, applied together with a compliant one, is named."""
    namespace = "labgen-psa-probe"
    k8s_server.ensure_namespace(namespace, WARN_RESTRICTED)

    def deployment(name: str, context: dict[str, Any]) -> dict[str, Any]:
        container = {"name": "c", "image": "registry.k8s.io/pause:3.10", "securityContext": context}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [container]},
                },
            },
        }

    restricted = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    good, bad = deployment("good", restricted), deployment("bad", {"privileged": True})
    applied = k8s_server.apply([good, bad], namespace, dry_run=True)
    assert applied.errors == []
    assert applied.warnings, "no PodSecurity warning for a privileged container"
    assert all(w.startswith(f"{key_of(bad)}: Warning:") for w in applied.warnings)


def _probe_config_map(**extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "probe"},
        "data": {"a": "b"},
        **extra,
    }


def test_unknown_fields_are_refused_and_named(k8s_server: ApiServer) -> None:
    """A field the schema does not declare is an error naming its object, not silently
    dropped. Server-side apply refuses it whatever ``fieldValidation`` says (kube-apiserver
    1.33: "field not declared in schema", for built-in kinds and CRDs alike); the harness
    also sends ``Strict``, as kubectl does by default, which adds duplicate keys, and a
    JSON body has none."""
    namespace = "labgen-strict-probe"
    k8s_server.ensure_namespace(namespace)
    typo = _probe_config_map(datta={"a": "b"})
    applied = k8s_server.apply([typo], namespace, dry_run=True)
    assert len(applied.errors) == 1, applied.errors
    assert applied.errors[0].startswith(f"{key_of(typo)}: ")
    assert ".datta: field not declared in schema" in applied.errors[0]


def test_a_dry_run_stores_nothing(k8s_server: ApiServer) -> None:
    namespace = "labgen-dry-run-probe"
    k8s_server.ensure_namespace(namespace)
    item = _probe_config_map()
    k8s_server.delete([item], namespace)  # a reused server's, from an earlier run
    applied = k8s_server.apply([item], namespace, dry_run=True)
    assert (applied.errors, applied.objects) == ([], [])
    path = k8s_server.path(item)
    assert k8s_server.client.request("GET", path).status == 404
    stored = k8s_server.apply([item], namespace)
    assert (stored.errors, stored.objects) == ([], [item])
    assert k8s_server.client.request("GET", path).body["data"] == {"a": "b"}
    k8s_server.delete(stored.objects)
    assert k8s_server.client.request("GET", path).status == 404


def test_warning_headers_are_split_and_unquoted() -> None:
    """A ``Warning`` header value may carry several warnings, comma-joined (repeated
    headers are read apart), with quotes and backslashes escaped in their texts."""
    header = '299 - "would violate \\"restricted\\", a", 299 kube-apiserver "b" "date"'
    assert warning_texts(header) == ['would violate "restricted", a', "b"]
