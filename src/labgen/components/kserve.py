"""KServe from its OCI Helm charts (CRDs, controllers, runtime presets), versioned with
KServe; which charts exist and the deployment-mode value depend on the pinned version
(``labgen.data.serving.KSERVE``). Plain Deployments (no Knative); Gateway API routing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from labgen.components.base import (
    HELM_OPERATOR_CLUSTER_KINDS,
    App,
    Component,
    HelmSource,
    K8sObject,
    webhook_ca_bundle_ignores,
)
from labgen.data.serving import KSERVE, generation
from labgen.plan.model import LabPlan

KEY = "kserve"
NAMESPACE = "kserve"


def _values(chart: str, mode: str, version: str, gateway_class: str | None) -> K8sObject:
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
                "createGateway": True,
            },
            "disableIstioVirtualHost": True,
        }
    kserve["controller"] = controller
    if chart == "kserve-llmisvc-resources":
        kserve["createSharedResources"] = False  # the kserve chart creates them
    return {"kserve": kserve}


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.has(KEY):
        return
    release = plan.releases[KEY]
    assert release.helm is not None
    gen = generation(KSERVE, release.version)
    for suffix, chart, wave in gen.charts:
        helm = dataclasses.replace(release.helm, chart=chart)
        yield App(
            suffix,
            wave,
            NAMESPACE,
            HelmSource(
                helm,
                chart,
                _values(chart, gen.deployment_mode, release.version, plan.gateway_class),
            ),
            create_namespace=True,
            ignore_differences=webhook_ca_bundle_ignores(),
            chart_cluster_kinds=HELM_OPERATOR_CLUSTER_KINDS,
        )


COMPONENT = Component(KEY, apps=apps)
