"""spec.exposure: the lab's Gateway, its routes to each server kind's OpenAI endpoint,
Kuadrant's API key and limit policies, Kuadrant's install per platform, and Open WebUI's
access settings; every object strictly valid against the upstream schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labgen.components import exposure as exposure_component
from labgen.components import kuadrant, open_webui
from labgen.components.base import App, HelmSource, KustomizeSource
from labgen.plan import build_plan
from labgen.plan.describe import exposure_notes
from labgen.plan.model import LabPlan
from labgen.render import argocd_objects, lab_apps
from labgen.schemas import SchemaSet
from labgen.spec import parse_lab
from support import validation_errors

SPEC = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{name: pub}}
spec:
  cluster: {{platform: {platform}, provider: baremetal, kubernetesVersion: "1.33"}}
  gitops: {{repoURL: https://github.com/example/lab.git}}
  gpuPools:
    - {{name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {{min: 1, max: 4}}}}
  gateway: {{className: {gateway_class}}}
  operators:
    {{gpuOperator: {{}}, nfd: {{}}, gatewayApi: {{}}, inferenceExtension: {{}}, kserve: {{}},
     certManager: {{}}, monitoring: {{}}, kuadrant: {{}}}}
  models:
    - {{name: small, model: ibm-granite/granite-3.3-8b-instruct, server: vllm, pool: h100,
       maxModelLen: 8192}}
    - {{name: predictor, model: ibm-granite/granite-3.3-8b-instruct, server: kserve,
       pool: h100, maxModelLen: 8192}}
    - {{name: routed, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, routing: load,
       maxModelLen: 8192}}
  apps:
    openWebUI: {{models: [small], adminSecret: webui-admin}}
  exposure:
    domain: lab.example.com
    tls: {{clusterIssuer: letsencrypt}}
    models: [small, predictor, routed]
    openWebUI: true
    limits: {{requestsPerMinute: 10, tokensPerMinute: 2000}}
"""


def _plan(platform: str = "kubernetes", gateway_class: str = "istio", spec: str = SPEC) -> LabPlan:
    text = spec.format(platform=platform, gateway_class=gateway_class)
    return build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")


def _app(plan: LabPlan, component: str) -> App:
    (app,) = [a for a in lab_apps(plan) if a.component == component]
    return app


def _objects(app: App) -> list[dict[str, Any]]:
    assert isinstance(app.source, KustomizeSource)
    return list(app.source.objects)


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_routes_reach_each_servers_openai_endpoint() -> None:
    routes = _by_kind(_objects(_app(_plan(), "exposure")), "HTTPRoute")
    backends = {name: r["spec"]["rules"][0]["backendRefs"] for name, r in routes.items()}
    assert backends == {
        "small-public": [{"name": "small", "port": 8000}],
        "predictor-public": [{"name": "predictor-predictor", "port": 80}],
        "routed-public": [
            {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "routed"}
        ],
        "open-webui-public": [{"name": "open-webui", "port": 8080}],
    }
    hosts = {name: r["spec"]["hostnames"] for name, r in routes.items()}
    assert hosts["routed-public"] == ["routed.lab.example.com"]
    assert hosts["open-webui-public"] == ["chat.lab.example.com"]


def test_one_gateway_with_an_https_listener_per_host_admitting_only_its_backend() -> None:
    plan = _plan()
    objects = _objects(_app(plan, "exposure"))
    (gateway,) = _by_kind(objects, "Gateway").values()
    assert gateway["metadata"]["namespace"] == "pub-gateway"
    assert gateway["spec"]["gatewayClassName"] == "istio"
    listeners = gateway["spec"]["listeners"]
    assert {li["hostname"] for li in listeners} == {
        "small.lab.example.com",
        "predictor.lab.example.com",
        "routed.lab.example.com",
        "chat.lab.example.com",
    }
    assert all(li["protocol"] == "HTTPS" and li["port"] == 443 for li in listeners)
    allowed = {
        li["hostname"]: li["allowedRoutes"]["namespaces"]["selector"]["matchLabels"]
        for li in listeners
    }
    assert allowed["chat.lab.example.com"] == {"kubernetes.io/metadata.name": "open-webui"}
    assert allowed["small.lab.example.com"] == {"kubernetes.io/metadata.name": "llm"}
    certificates = _by_kind(objects, "Certificate")
    secrets = {c["spec"]["secretName"]: c["spec"]["dnsNames"] for c in certificates.values()}
    for li in listeners:
        (ref,) = li["tls"]["certificateRefs"]
        assert secrets[ref["name"]] == [li["hostname"]]
    assert {c["spec"]["issuerRef"]["name"] for c in certificates.values()} == {"letsencrypt"}


def test_models_alone_carry_api_keys_and_per_key_limits() -> None:
    objects = _objects(_app(_plan(), "exposure"))
    model_routes = {"small-public", "predictor-public", "routed-public"}
    for kind in ("AuthPolicy", "RateLimitPolicy", "TokenRateLimitPolicy"):
        policies = _by_kind(objects, kind)
        assert {p["spec"]["targetRef"]["name"] for p in policies.values()} == model_routes
    auth = _by_kind(objects, "AuthPolicy")["small-public"]["spec"]["rules"]["authentication"]
    assert auth["api-key"]["apiKey"]["selector"]["matchLabels"] == {
        "authorino.kuadrant.io/managed-by": "authorino",
        "labgen.dev/api-key": "pub",
    }
    assert auth["api-key"]["credentials"] == {"authorizationHeader": {"prefix": "Bearer"}}
    requests = _by_kind(objects, "RateLimitPolicy")["small-public"]["spec"]["limits"]
    tokens = _by_kind(objects, "TokenRateLimitPolicy")["small-public"]["spec"]["limits"]
    assert requests["per-key"]["rates"] == [{"limit": 10, "window": "1m"}]
    assert tokens["per-key"]["rates"] == [{"limit": 2000, "window": "1m"}]
    assert requests["per-key"]["counters"] == [{"expression": "auth.identity.userid"}]
    assert not [o for o in objects if o["kind"] == "Secret"], "API keys never go to git"


def test_every_exposure_object_is_valid_upstream(
    schema_set: Callable[[str], SchemaSet],
) -> None:
    for platform, gateway_class in (("kubernetes", "istio"), ("openshift", "openshift-default")):
        plan = _plan(platform, gateway_class)
        objects = _objects(_app(plan, "exposure"))
        objects += _objects(_app(plan, "open-webui"))
        objects += list(kuadrant.catalog())[1].objects
        assert not validation_errors(schema_set("1.33"), objects, platform)


def test_kuadrant_from_olm_on_openshift_and_its_chart_elsewhere() -> None:
    operator = _app(_plan(), "kuadrant")
    assert isinstance(operator.source, HelmSource)
    chart = operator.source.chart
    assert (chart.repo_url, chart.chart, chart.version) == (
        "https://kuadrant.io/helm-charts/",
        "kuadrant-operator",
        "1.5.2",
    )
    assert operator.namespace == "kuadrant-system"
    openshift = _plan("openshift", "openshift-default")
    olm = _app(openshift, "kuadrant")
    assert isinstance(olm.source, KustomizeSource)
    assert olm.source.bases == (kuadrant.OPERATOR.olm_base,)
    assert _app(openshift, "exposure").namespace == "openshift-ingress"
    instance = _app(openshift, "kuadrant-instance")
    assert instance.wave > olm.wave


def test_open_webui_access_comes_from_secrets_and_the_public_url() -> None:
    ui = _plan().open_webui
    assert ui is not None
    env = {e["name"]: e for e in open_webui.env(ui)}
    assert env["WEBUI_AUTH"]["value"] == "true"
    assert env["WEBUI_URL"]["value"] == "https://chat.lab.example.com"
    assert env["WEBUI_SESSION_COOKIE_SECURE"]["value"] == "true"
    assert env["ENABLE_SIGNUP"]["value"] == "false"
    for key in ("WEBUI_ADMIN_EMAIL", "WEBUI_ADMIN_PASSWORD"):
        assert env[key]["valueFrom"]["secretKeyRef"] == {"name": "webui-admin", "key": key}
    assert "OAUTH_CLIENT_ID" not in env


def test_oidc_settings_pass_through() -> None:
    spec = SPEC.replace(
        "adminSecret: webui-admin}}",
        "oidc: {{issuer: 'https://sso.example.com/.well-known/openid-configuration', "
        "clientId: webui, clientSecret: webui-oidc}}}}",
    )
    ui = _plan(spec=spec).open_webui
    assert ui is not None
    env = {e["name"]: e for e in open_webui.env(ui)}
    assert env["OPENID_PROVIDER_URL"]["value"].startswith("https://sso.example.com/")
    assert env["OAUTH_CLIENT_ID"]["value"] == "webui"
    assert env["OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "webui-oidc"
    assert env["ENABLE_OAUTH_SIGNUP"]["value"] == "true"
    assert "ENABLE_SIGNUP" not in env


@pytest.mark.parametrize("platform", ["kubernetes", "openshift"])
def test_nothing_is_exposed_unless_asked(platform: str) -> None:
    spec = SPEC.split("  exposure:", maxsplit=1)[0].replace("kuadrant: {{}}", "")
    plan = _plan(platform, "istio" if platform == "kubernetes" else "openshift-default", spec)
    assert plan.exposure is None
    components = {a.component for a in lab_apps(plan)}
    assert not components & {"exposure", "kuadrant", "kuadrant-instance"}
    ui = plan.open_webui
    assert ui is not None
    assert "WEBUI_URL" not in {e["name"] for e in open_webui.env(ui)}
    assert exposure_notes(plan) == []


def test_plan_tells_how_to_create_a_key_and_call_a_model() -> None:
    notes = "\n".join(exposure_notes(_plan()))
    assert "kubectl -n kuadrant-system create secret generic" in notes
    assert "labgen.dev/api-key=pub" in notes
    assert "curl https://small.lab.example.com/v1/chat/completions" in notes
    assert "small.lab.example.com, predictor.lab.example.com" in notes


def test_route_names_do_not_collide_with_llm_d_routes() -> None:
    plan = _plan()
    serving = _objects(_app(plan, "serve-routed"))
    theirs = set(_by_kind(serving, "HTTPRoute"))
    assert plan.exposure is not None
    ours = set(_by_kind(exposure_component.objects(plan, plan.exposure), "HTTPRoute"))
    assert theirs
    assert not theirs & ours


def test_the_project_admits_what_the_kuadrant_chart_installs() -> None:
    """The chart is not in the measured inventory: its cluster kinds are declared."""
    text = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {name: keys}
spec:
  cluster: {platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}
  gitops: {repoURL: https://github.com/example/lab.git}
  operators: {kuadrant: {}}
"""
    plan = build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")
    project = argocd_objects(plan).project
    allowed = {(k["group"], k["kind"]) for k in project["spec"]["clusterResourceWhitelist"]}
    assert allowed == {*kuadrant.CHART_CLUSTER_KINDS, ("", "Namespace")}
