"""server: kserve — a ServingRuntime running the pinned vLLM image with the same
`vllm serve` arguments as server vllm, and an InferenceService in KServe's plain
Deployment mode. KServe's storage initializer fetches `storageUri` into /mnt/models."""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components import kserve as kserve_operator
from labgen.components.base import K8sObject, obj
from labgen.components.network import model as network
from labgen.components.network.model import Client, Flow, Pods
from labgen.components.podsecurity import pod_context
from labgen.components.serving import common
from labgen.components.serving.common import Versions
from labgen.data.servers import SERVERS, Metric
from labgen.plan.model import LabPlan, ModelPlan

ISVC_LABEL = "serving.kserve.io/inferenceservice"
"""The label KServe v0.20.0 puts on an InferenceService's pods (pkg/constants)."""

KSERVE_MODEL_DIR = "/mnt/models"
KSERVE_PORT = 8080
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"


def runtime_name(model: ModelPlan) -> str:
    return f"{model.name}-vllm"


def objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    fit = model.fit
    args = common.vllm_args(model, fit.tp, fit.pp, port=KSERVE_PORT, model_path=KSERVE_MODEL_DIR)
    container = common.vllm_container(
        model, versions, args, fit.gpus, port=KSERVE_PORT, name="kserve-container"
    )
    container["volumeMounts"] = [{"name": "dshm", "mountPath": "/dev/shm"}, common.home_mount()]
    # A ServingRuntime has no pod securityContext: the pod's settings go on the container.
    container["securityContext"] = {
        **container["securityContext"],
        **pod_context(common.VLLM_UID, 0),
    }
    resources = container.pop("resources")
    container.pop("lifecycle")
    runtime = obj(
        "serving.kserve.io/v1alpha1",
        "ServingRuntime",
        runtime_name(model),
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        spec={
            "supportedModelFormats": [{"name": "vllm", "autoSelect": False}],
            "protocolVersions": ["v1"],
            "multiModel": False,
            "containers": [container],
            "volumes": [
                {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": common.SHM_SIZE}},
                common.home_volume(),
            ],
        },
    )
    predictor_model: K8sObject = {
        "modelFormat": {"name": "vllm"},
        "runtime": runtime_name(model),
        "storageUri": model.uri,
        "resources": resources,
    }
    if model.token_secret is not None:
        if model.uri.startswith("hf://"):
            predictor_model["env"] = [common.hf_token_env(model.token_secret)]
        else:
            predictor_model["envFrom"] = [{"secretRef": {"name": model.token_secret}}]
    service = obj(
        "serving.kserve.io/v1beta1",
        "InferenceService",
        model.name,
        model.namespace,
        labels={common.MODEL_LABEL: model.name},
        annotations={
            DEPLOYMENT_MODE: versions.kserve.deployment_mode,
            "argocd.argoproj.io/sync-wave": "1",
        },
        spec={
            "predictor": {
                "minReplicas": model.replicas,
                "maxReplicas": max(model.replicas, 1),
                **common.placement(model.pool),
                "model": predictor_model,
            }
        },
    )
    return [runtime, service]


# The module as a ServerKind (labgen.components.serving.kinds).
TRAITS = SERVERS["kserve"]
CATALOG = True
METRICS: frozenset[Metric] = frozenset()


def model_objects(plan: LabPlan, model: ModelPlan, versions: Versions) -> list[K8sObject]:
    return objects(model, versions)


def catalog_objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    return objects(model, versions)


def scaled(model: ModelPlan) -> str | None:
    return None


def pods(model: ModelPlan) -> Pods:
    """The InferenceService's predictor pods, by the label KServe puts on them."""
    return network.pods(model.namespace, model.name, {ISVC_LABEL: model.name})


def ingress_gateway_pods() -> Pods:
    """The data-plane pods of KServe's ingress Gateway (InferenceServices and, with
    ``router.gateway: {}``, LLMInferenceServices are routed from it)."""
    return network.gateway_pods(*kserve_operator.GATEWAY)


def client(plan: LabPlan, model: ModelPlan) -> Client:
    return Client(pods(model), KSERVE_PORT)  # the predictor Service is KServe's


def flows(plan: LabPlan, model: ModelPlan) -> Iterator[Flow]:
    if plan.gateway_class is not None:
        # Gateway API ingress on: KServe routes the InferenceService from its Gateway
        gateway = ingress_gateway_pods()
        yield Flow(pods(model), KSERVE_PORT, gateway, "KServe's ingress Gateway routes to it")
