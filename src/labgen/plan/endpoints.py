"""Where a served model answers inside the cluster: its OpenAI-compatible base URL per
server, shared by everything that talks to models (benchmarks, Open WebUI)."""

from __future__ import annotations

from labgen.data.platforms import PLATFORMS
from labgen.data.releases import ISTIO_CRD_GROUPS
from labgen.data.servers import SERVERS, Service, Unpublished, ViaGateway
from labgen.plan.model import ModelPlan
from labgen.spec import Lab

# The Service a Gateway implementation creates for a Gateway, by GatewayClass: Istio (and
# OpenShift's default class, which is Istio) names it <gateway>-<class>; kgateway and
# agentgateway use the Gateway's name.
GATEWAY_SERVICES = {
    "istio": "{gateway}-istio",
    "openshift-default": "{gateway}-openshift-default",
    "kgateway": "{gateway}",
    "agentgateway": "{gateway}",
}
# GatewayClasses whose data plane is Istio's: its proxies talk plaintext to an upstream
# unless a DestinationRule says TLS, and the EPP serves TLS, so llm-d renders one per EPP
# (llm-d/llm-d-router v0.10.0 config/charts/llm-d-router-gateway/templates/istio.yaml).
# kgateway and agentgateway speak TLS to an InferencePool's EPP by themselves.
ISTIO_GATEWAY_CLASSES = frozenset({"istio", "openshift-default"})


def gateway_class_of(lab: Lab) -> str | None:
    """The lab's GatewayClass: the spec's, else the platform's own (OpenShift's)."""
    if lab.spec.gateway.className is not None:
        return lab.spec.gateway.className
    builtin = PLATFORMS[lab.spec.cluster.platform].gateway
    return builtin.class_name if builtin is not None else None


def gateway_crd_groups(gateway_class: str | None) -> frozenset[str]:
    """API groups the cluster's Gateway implementation installs (Istio's, for its
    classes: OpenShift's Ingress Operator installs Service Mesh with them, and an `istio`
    class exists only where Istio does)."""
    return ISTIO_CRD_GROUPS if gateway_class in ISTIO_GATEWAY_CLASSES else frozenset()


def model_url(model: ModelPlan, gateway_class: str | None) -> str | None:
    """The model's in-cluster base URL (without ``/v1``), or None when labgen cannot know
    it (see :func:`why_no_url`)."""
    endpoint = SERVERS[model.server].endpoint
    if isinstance(endpoint, Service):
        service = endpoint.name.format(model=model.name)
        port = "" if endpoint.port is None else f":{endpoint.port}"
        return f"http://{service}.{model.namespace}.svc.cluster.local{port}"
    if isinstance(endpoint, ViaGateway) and gateway_class in GATEWAY_SERVICES:
        service = GATEWAY_SERVICES[gateway_class].format(gateway=model.name)
        return f"http://{service}.{model.namespace}.svc.cluster.local"
    return None


def why_no_url(model: ModelPlan, gateway_class: str | None) -> str:
    """Why :func:`model_url` has no answer for ``model``."""
    endpoint = SERVERS[model.server].endpoint
    if isinstance(endpoint, Unpublished):
        return endpoint.why
    return f"labgen does not know the Service GatewayClass {gateway_class!r} creates"
