"""spec.exposure -> ExposurePlan: one host per exposed model and app, the backend each
host's HTTPRoute sends traffic to, the certificate issuer and the API key settings.

Nothing is exposed unless the spec lists it. Models are exposed only behind API keys
(Kuadrant), so listing one needs `operators.kuadrant`; Open WebUI and Grafana have their
own logins.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from labgen.data.platforms import PLATFORMS
from labgen.data.servers import SERVERS, Unpublished
from labgen.errors import PathPart
from labgen.plan.model import (
    ExposedKind,
    ExposedRoute,
    ExposurePlan,
    ModelPlan,
    ObservabilityPlan,
    OpenWebUIPlan,
)
from labgen.spec import Exposure, Lab

Report = Callable[[tuple[PathPart, ...], str], None]

SELF_SIGNED_ISSUER = "labgen-selfsigned"
"""The self-signed ClusterIssuer of labgen's cert-manager catalog base."""
KUADRANT_NAMESPACE = "kuadrant-system"
"""Namespace of the Kuadrant operator and instance; Authorino reads API key Secrets there."""
API_KEY_LABEL = "labgen.dev/api-key"
AUTHORINO_MANAGED_LABEL = ("authorino.kuadrant.io/managed-by", "authorino")
USER_ANNOTATION = "secret.kuadrant.io/user-id"
"""The annotation of an API key Secret naming its holder: the per-key limits count by it."""
GRAFANA_SERVICE = "kube-prometheus-stack-grafana"
"""kube-prometheus-stack's Grafana Service (release `kube-prometheus-stack`), port 80 ->
3000 (grafana chart values `service.port`/`targetPort`)."""
UI_HOST = "chat"
GRAFANA_HOST = "grafana"


def gateway_namespace(lab: Lab) -> str:
    """The platform's Gateway namespace, else one of the lab's own."""
    builtin = PLATFORMS[lab.spec.cluster.platform].gateway
    return builtin.namespace if builtin else f"{lab.metadata.name}-gateway"


def resolve_exposure(
    lab: Lab,
    models: Sequence[ModelPlan],
    operators: frozenset[str],
    gateway_class: str | None,
    open_webui: OpenWebUIPlan | None,
    observability: ObservabilityPlan | None,
    error: Report,
) -> ExposurePlan | None:
    spec = lab.spec.exposure
    if spec is None:
        return None
    at: tuple[PathPart, ...] = ("spec", "exposure")
    _check_requirements(lab, operators, gateway_class, error)
    tls = spec.tls
    if (tls.clusterIssuer is None) == (not tls.selfSigned):
        error(
            (*at, "tls"),
            "set either clusterIssuer (an ACME or CA ClusterIssuer) or selfSigned: true",
        )
    issuer = tls.clusterIssuer or SELF_SIGNED_ISSUER
    if not (spec.models or spec.openWebUI or spec.grafana):
        error(at, "exposes nothing: list models, or set openWebUI or grafana")

    routes = list(_model_routes(lab, spec, models, error))
    if spec.models and "kuadrant" not in operators:
        error(
            (*at, "models"),
            "models are exposed only behind API keys and limits: add `kuadrant: {}` to "
            "spec.operators",
        )
    routes += _app_routes(lab, spec, open_webui, observability, error)
    _check_hosts(routes, error)
    name = lab.metadata.name
    keys = any(r.api_keys for r in routes)
    return ExposurePlan(
        domain=spec.domain,
        gateway_name=name,
        gateway_namespace=gateway_namespace(lab),
        gateway_class=gateway_class or "",
        issuer=issuer,
        routes=tuple(routes),
        api_key_namespace=KUADRANT_NAMESPACE if keys else None,
        api_key_labels={AUTHORINO_MANAGED_LABEL[0]: AUTHORINO_MANAGED_LABEL[1], API_KEY_LABEL: name}
        if keys
        else {},
        requests_per_minute=spec.limits.requestsPerMinute if keys else None,
        tokens_per_minute=spec.limits.tokensPerMinute if keys else None,
    )


def _app_routes(
    lab: Lab,
    spec: Exposure,
    open_webui: OpenWebUIPlan | None,
    observability: ObservabilityPlan | None,
    error: Report,
) -> list[ExposedRoute]:
    """Open WebUI's and Grafana's hosts: each keeps its own login, so no API keys."""
    at: tuple[PathPart, ...] = ("spec", "exposure")
    platform = PLATFORMS[lab.spec.cluster.platform]
    monitoring = platform.monitoring
    routes: list[ExposedRoute] = []
    if spec.openWebUI:
        if open_webui is None:
            error((*at, "openWebUI"), "there is no spec.apps.openWebUI to expose")
        else:
            ui = (open_webui.namespace, "open-webui", 8080, 8080)
            routes.append(_service_route("open-webui", f"{UI_HOST}.{spec.domain}", *ui))
    if spec.grafana:
        if not monitoring.installed_by_labgen:
            error(
                (*at, "grafana"),
                f"labgen installs no Grafana on {platform.title} "
                "(its dashboards are ConfigMaps to import)",
            )
        elif observability is None or not observability.grafana:
            error((*at, "grafana"), "needs spec.observability with grafana: true")
        else:
            grafana = (monitoring.namespace, GRAFANA_SERVICE, 80, 3000)
            routes.append(_service_route("grafana", f"{GRAFANA_HOST}.{spec.domain}", *grafana))
    return routes


def _service_route(
    kind: ExposedKind, host: str, namespace: str, service: str, port: int, target_port: int
) -> ExposedRoute:
    """A host of an app with its own login, routed to its Service."""
    return ExposedRoute(
        name=kind,
        kind=kind,
        host=host,
        namespace=namespace,
        backend_group="",
        backend_kind="Service",
        backend_name=service,
        port=port,
        target_port=target_port,
    )


def _check_requirements(
    lab: Lab, operators: frozenset[str], gateway_class: str | None, error: Report
) -> None:
    at: tuple[PathPart, ...] = ("spec", "exposure")
    cluster = lab.spec.cluster
    if "cert-manager" not in operators:
        error(at, "certificates come from cert-manager: add `certManager: {}` to spec.operators")
    if "gateway-api" not in operators:
        error(
            at,
            "the lab's Gateway needs Gateway API: add `gatewayApi: {}` to spec.operators",
        )
    if gateway_class is None:
        error(
            at,
            "the lab's Gateway needs a GatewayClass: set spec.gateway.className (e.g. istio)",
        )
    major, minor = (int(x) for x in cluster.kubernetesVersion.split("."))
    builtin = PLATFORMS[cluster.platform].gateway
    if builtin is not None and (major, minor) < builtin.since_kubernetes:
        error(
            ("spec", "cluster", "kubernetesVersion"),
            "exposure needs Gateway API, which OpenShift has from 4.19 (Kubernetes 1.32); "
            "labgen renders no Routes",
        )


def _model_routes(
    lab: Lab, spec: Exposure, models: Sequence[ModelPlan], error: Report
) -> list[ExposedRoute]:
    at: tuple[PathPart, ...] = ("spec", "exposure", "models")
    by_name = {m.name: m for m in models}
    declared = [m.name for m in lab.spec.models]
    routes = []
    for j, name in enumerate(spec.models):
        if name in spec.models[:j]:
            error((*at, j), f"{name!r} is listed twice")
            continue
        model = by_name.get(name)
        if model is None:
            if name not in declared:  # an invalid model already has its own error
                match = difflib.get_close_matches(name, declared, n=1)
                hint = f" (did you mean {match[0]!r}?)" if match else ""
                error((*at, j), f"no model named {name!r} in spec.models{hint}")
            continue
        public = SERVERS[model.server].public
        if isinstance(public, Unpublished):
            error((*at, j), f"{name!r} is served by {model.server}: {public.why}")
            continue
        routes.append(
            ExposedRoute(
                name=model.name,
                kind="model",
                host=f"{name}.{spec.domain}",
                namespace=model.namespace,
                backend_group=public.group,
                backend_kind=public.kind,
                backend_name=public.name.format(model=model.name),
                port=public.port,
                target_port=public.target_port,
                model=model,
                api_keys=True,
            )
        )
    return routes


def _check_hosts(routes: Sequence[ExposedRoute], error: Report) -> None:
    seen: dict[str, str] = {}
    for route in routes:
        other = seen.setdefault(route.host, route.name)
        if other != route.name:
            error(
                ("spec", "exposure", "models"),
                f"model {route.name!r} would take host {route.host}, which {other} uses",
            )
