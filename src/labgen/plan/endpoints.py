"""Where a served model answers inside the cluster: its OpenAI-compatible base URL per
server, shared by everything that talks to models (benchmarks, Open WebUI)."""

from __future__ import annotations

from labgen.plan.model import ModelPlan

KSERVE_PREDICTOR_SUFFIX = "-predictor"
# The Service a Gateway implementation creates for a Gateway, by GatewayClass: Istio (and
# OpenShift's default class, which is Istio) names it <gateway>-<class>; kgateway and
# agentgateway use the Gateway's name.
GATEWAY_SERVICES = {
    "istio": "{gateway}-istio",
    "openshift-default": "{gateway}-openshift-default",
    "kgateway": "{gateway}",
    "agentgateway": "{gateway}",
}


def model_url(model: ModelPlan, gateway_class: str | None) -> str | None:
    """The model's in-cluster base URL (without ``/v1``), or None when labgen cannot know
    it (see :func:`why_no_url`)."""
    ns = model.namespace
    if model.server == "vllm":
        return f"http://{model.name}.{ns}.svc.cluster.local:8000"
    if model.server == "kserve":
        return f"http://{model.name}{KSERVE_PREDICTOR_SUFFIX}.{ns}.svc.cluster.local"
    if model.server == "llm-d" and gateway_class in GATEWAY_SERVICES:
        service = GATEWAY_SERVICES[gateway_class].format(gateway=model.name)
        return f"http://{service}.{ns}.svc.cluster.local"
    return None


def why_no_url(model: ModelPlan, gateway_class: str | None) -> str:
    """Why :func:`model_url` has no answer for ``model``."""
    if model.server == "llm-d-kserve":
        return "an LLMInferenceService publishes its URL only in its status"
    return f"labgen does not know the Service GatewayClass {gateway_class!r} creates"
