"""KServe from its OCI Helm charts (CRDs, controllers, runtime presets), versioned with
KServe; which charts exist and the deployment-mode value depend on the pinned version
(``labgen.data.serving.KSERVE``). Plain Deployments (no Knative); Gateway API routing.

KServe's ingress Gateway (``kserve/kserve-ingress-gateway``, the default Gateway of
LLMInferenceServices) is labgen's, with the lab's GatewayClass: the v0.20.0 chart's own
(``createGateway``) hard-codes ``gatewayClassName: envoy`` whatever
``ingressGateway.className`` says. The InferencePool CRD has one owner: the lab's
inference-extension Application when it has one (``createGIECRDs: false``), else the
llmisvc chart."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from labgen.components.base import (
    App,
    Component,
    HelmSource,
    K8sObject,
    KustomizeSource,
    obj,
    webhook_ca_bundle_ignores,
)
from labgen.data.releases import release_as
from labgen.data.serving import KSERVE, generation
from labgen.data.types import HelmRelease
from labgen.plan.model import LabPlan

KEY = "kserve"
NAMESPACE = "kserve"
INGRESS_GATEWAY = "kserve-ingress-gateway"
GATEWAY = (NAMESPACE, INGRESS_GATEWAY)
"""(namespace, name) of the Gateway KServe routes InferenceServices and, with
``router.gateway: {}``, LLMInferenceServices from (the chart's ``kserveGateway``)."""
"""The chart's default ``kserveGateway`` (``kserve/kserve-ingress-gateway``)."""


def ingress_gateway(gateway_class: str) -> K8sObject:
    """KServe's ingress Gateway as the v0.20.0 chart renders it, with the lab's class."""
    return obj(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        INGRESS_GATEWAY,
        NAMESPACE,
        spec={
            "gatewayClassName": gateway_class,
            "listeners": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "HTTP",
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                }
            ],
            "infrastructure": {"labels": {"serving.kserve.io/gateway": INGRESS_GATEWAY}},
        },
    )


def _values(
    chart: str, mode: str, version: str, gateway_class: str | None, owns_gie_crds: bool
) -> K8sObject:
    if chart.endswith("-crd"):
        return {}
    kserve: K8sObject = {"version": version}
    if chart == "kserve-runtime-configs":
        kserve["llmisvcConfigs"] = {"enabled": True}
        return {"kserve": kserve}
    controller: K8sObject = {"deploymentMode": mode}
    if gateway_class is not None:
        controller["gateway"] = {
            "ingressGateway": {
                "enableGatewayApi": True,
                "className": gateway_class,
                "createGateway": False,  # the chart's is hard-coded to class `envoy`
            },
            "disableIstioVirtualHost": True,
        }
    kserve["controller"] = controller
    if chart == "kserve-llmisvc-resources":
        kserve["createSharedResources"] = False  # the kserve chart creates them
        kserve["llmisvc"] = {"createGIECRDs": owns_gie_crds}
    return {"kserve": kserve}


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = release_as(plan.releases, KEY, HelmRelease)
    gen = generation(KSERVE, release.version)
    owns_gie_crds = not plan.has("inference-extension")
    by_app: dict[str, list[HelmSource]] = {}
    waves: dict[str, int] = {}
    for suffix, chart, wave in gen.charts:
        helm = dataclasses.replace(release.helm, chart=chart)
        values = _values(
            chart, gen.deployment_mode, release.version, plan.gateway_class, owns_gie_crds
        )
        by_app.setdefault(suffix, []).append(HelmSource(helm, chart, values))
        waves[suffix] = wave
    for suffix, (first, *more) in by_app.items():
        gateway = suffix == KEY and plan.gateway_class is not None  # the controller chart
        yield App(
            suffix,
            waves[suffix],
            NAMESPACE,
            first,
            create_namespace=True,
            ignore_differences=webhook_ca_bundle_ignores(),
            extra_source=KustomizeSource(objects=(ingress_gateway(str(plan.gateway_class)),))
            if gateway
            else None,
            extra_charts=tuple(more),
        )


COMPONENT = Component(KEY, apps=apps)
