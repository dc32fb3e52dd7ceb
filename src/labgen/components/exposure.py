"""The lab's way in (`spec.exposure`): one Gateway of the lab's GatewayClass with an
HTTPS listener per host, a cert-manager Certificate per listener, an HTTPRoute per host in
its backend's namespace and, on every model route, Kuadrant's API key AuthPolicy with
per-key RateLimitPolicy and TokenRateLimitPolicy.

Certificates are cert-manager Certificates rather than a Kuadrant TLSPolicy: a lab that
exposes only Open WebUI or Grafana installs no Kuadrant, and the certificates are the same.
Listeners admit routes only from the namespaces of the lab's backends. API keys are never
rendered: they are Secrets the user creates (see `labgen plan`).
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import App, Component, K8sObject, KustomizeSource, obj
from labgen.plan.exposure import USER_ANNOTATION
from labgen.plan.model import ExposedRoute, ExposurePlan, LabPlan

KEY = "exposure"
WAVE_EXPOSURE = 13
"""After serving (10) and the apps (12): the routes' backends exist; before observability."""
GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_GROUP = "gateway.networking.k8s.io"
HTTPS_PORT = 443
REQUEST_TIMEOUT = "300s"
"""Long generations: the llm-d model Gateways' routes use the same."""
LABELS = {"app.kubernetes.io/part-of": "labgen-exposure"}
USER_ID = "auth.identity.userid"
"""The API key holder, as the AuthPolicy's identity filter exposes it to the limits."""


def route_name(route: ExposedRoute) -> str:
    """HTTPRoute name: ``-public`` keeps it apart from an llm-d model's own HTTPRoute."""
    return f"{route.name}-public"


def tls_secret(plan: LabPlan, route: ExposedRoute) -> str:
    return f"{plan.name}-{route.name}-tls"


def _only(namespace: str) -> K8sObject:
    """A listener admits HTTPRoutes from its backend's namespace only."""
    return {
        "from": "Selector",
        "selector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
    }


def gateway(plan: LabPlan, exposure: ExposurePlan) -> K8sObject:
    listeners = [
        {
            "name": route.listener,
            "hostname": route.host,
            "port": HTTPS_PORT,
            "protocol": "HTTPS",
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"kind": "Secret", "name": tls_secret(plan, route)}],
            },
            "allowedRoutes": {
                "namespaces": _only(route.namespace),
                "kinds": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}],
            },
        }
        for route in exposure.routes
    ]
    return obj(
        GATEWAY_API,
        "Gateway",
        exposure.gateway_name,
        exposure.gateway_namespace,
        LABELS,
        spec={"gatewayClassName": exposure.gateway_class, "listeners": listeners},
    )


def certificate(plan: LabPlan, exposure: ExposurePlan, route: ExposedRoute) -> K8sObject:
    return obj(
        "cert-manager.io/v1",
        "Certificate",
        f"{plan.name}-{route.name}",
        exposure.gateway_namespace,
        LABELS,
        spec={
            "secretName": tls_secret(plan, route),
            "dnsNames": [route.host],
            "issuerRef": {
                "group": "cert-manager.io",
                "kind": "ClusterIssuer",
                "name": exposure.issuer,
            },
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        },
    )


def http_route(exposure: ExposurePlan, route: ExposedRoute) -> K8sObject:
    backend: K8sObject = {"name": route.backend_name}
    if route.backend_group:
        backend = {"group": route.backend_group, "kind": route.backend_kind, **backend}
    if route.port is not None:
        backend["port"] = route.port
    rule: K8sObject = {
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [backend],
    }
    if route.kind == "model":
        rule["timeouts"] = {"request": REQUEST_TIMEOUT}
    return obj(
        GATEWAY_API,
        "HTTPRoute",
        route_name(route),
        route.namespace,
        LABELS,
        spec={
            "parentRefs": [
                {
                    "group": GATEWAY_GROUP,
                    "kind": "Gateway",
                    "name": exposure.gateway_name,
                    "namespace": exposure.gateway_namespace,
                    "sectionName": route.listener,
                }
            ],
            "hostnames": [route.host],
            "rules": [rule],
        },
    )


def _target(route: ExposedRoute) -> K8sObject:
    return {"group": GATEWAY_GROUP, "kind": "HTTPRoute", "name": route_name(route)}


def auth_policy(exposure: ExposurePlan, route: ExposedRoute) -> K8sObject:
    """API keys as OpenAI clients send them (``Authorization: Bearer <key>``), from the
    Secrets carrying the lab's API key label; the key's holder (the Secret's
    ``secret.kuadrant.io/user-id`` annotation) becomes ``auth.identity.userid`` for the
    limits (Kuadrant v1.5 token rate limiting tutorial)."""
    holder = "auth.identity.metadata.annotations." + USER_ANNOTATION.replace(".", "\\.")
    return obj(
        "kuadrant.io/v1",
        "AuthPolicy",
        route_name(route),
        route.namespace,
        LABELS,
        spec={
            "targetRef": _target(route),
            "rules": {
                "authentication": {
                    "api-key": {
                        "apiKey": {"selector": {"matchLabels": dict(exposure.api_key_labels)}},
                        "credentials": {"authorizationHeader": {"prefix": "Bearer"}},
                    }
                },
                "response": {
                    "success": {
                        "filters": {
                            "identity": {"json": {"properties": {"userid": {"selector": holder}}}}
                        }
                    }
                },
            },
        },
    )


def _per_key_limit(api_version: str, kind: str, limit: int, route: ExposedRoute) -> K8sObject:
    return obj(
        api_version,
        kind,
        route_name(route),
        route.namespace,
        LABELS,
        spec={
            "targetRef": _target(route),
            "limits": {
                "per-key": {
                    "rates": [{"limit": limit, "window": "1m"}],
                    "counters": [{"expression": USER_ID}],
                }
            },
        },
    )


def limit_policies(exposure: ExposurePlan, route: ExposedRoute) -> list[K8sObject]:
    """Requests per minute per key (RateLimitPolicy) and tokens per minute per key
    (TokenRateLimitPolicy: ``usage.total_tokens`` of OpenAI-style responses; streamed ones
    carry it only with ``stream_options.include_usage``)."""
    assert exposure.requests_per_minute is not None
    assert exposure.tokens_per_minute is not None
    return [
        _per_key_limit("kuadrant.io/v1", "RateLimitPolicy", exposure.requests_per_minute, route),
        _per_key_limit(
            "kuadrant.io/v1alpha1", "TokenRateLimitPolicy", exposure.tokens_per_minute, route
        ),
    ]


def objects(plan: LabPlan, exposure: ExposurePlan) -> list[K8sObject]:
    out = [gateway(plan, exposure)]
    for route in exposure.routes:
        out += [certificate(plan, exposure, route), http_route(exposure, route)]
        if route.api_keys:
            out += [auth_policy(exposure, route), *limit_policies(exposure, route)]
    return out


def apps(plan: LabPlan) -> Iterator[App]:
    exposure = plan.exposure
    if exposure is None:
        return
    others = tuple(ns for ns in exposure.route_namespaces if ns != exposure.gateway_namespace)
    yield App(
        KEY,
        WAVE_EXPOSURE,
        exposure.gateway_namespace,
        KustomizeSource(objects=tuple(objects(plan, exposure))),
        create_namespace=plan.platform.gateway is None,  # else the platform's namespace
        extra_namespaces=others,
    )


COMPONENT = Component(KEY, apps=apps)
