"""server: llm-d-kserve — one KServe LLMInferenceService: KServe runs the vLLM pods, the
llm-d scheduler (EPP), the InferencePool and the HTTPRoute on its managed Gateway, all
from its pinned presets. The apiVersion follows the pinned KServe (v1alpha2 from v0.17)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from labgen.components.base import K8sObject, obj
from labgen.components.network import model as network
from labgen.components.network.model import Client, Flow, Pods
from labgen.components.serving import common, kserve
from labgen.components.serving.common import Versions
from labgen.data.servers import SERVERS, Metric
from labgen.plan.model import LabPlan, ModelPlan

# KServe v0.20.0 pkg/constants: the labels of an LLMInferenceService's pods.
NAME_LABEL = "app.kubernetes.io/name"
PART_OF = ("app.kubernetes.io/part-of", "llminferenceservice")


def objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    fit = model.fit
    role = "decode" if model.routing == "pd" else None
    spec: K8sObject = {
        "model": {"uri": model.uri, "name": model.served_name},
        "replicas": model.replicas,
        "parallelism": _parallelism(fit.tp, fit.pp),
        "template": _template(model, fit.gpus, role),
        "router": {"scheduler": {}, "route": {}, "gateway": {}},
    }
    if model.prefill is not None:
        spec["prefill"] = {
            "replicas": model.prefill.replicas,
            "parallelism": _parallelism(model.prefill.fit.tp, 1),
            "template": _template(model, model.prefill.fit.gpus, "prefill"),
        }
    return [
        obj(
            versions.kserve.llmisvc_api_version,
            "LLMInferenceService",
            model.name,
            model.namespace,
            labels={common.MODEL_LABEL: model.name},
            annotations={"argocd.argoproj.io/sync-wave": "1"},
            spec=spec,
        )
    ]


def _parallelism(tp: int, pp: int) -> K8sObject:
    out: K8sObject = {"tensor": tp}
    if pp > 1:
        out["pipeline"] = pp
    return out


def _template(model: ModelPlan, gpus: int, role: str | None) -> K8sObject:
    """KServe's preset owns the vLLM command; our flags go in VLLM_ADDITIONAL_ARGS."""
    flags = common.tuning_args(model, [], role, None)
    env = [e for e in common.vllm_env(model, role) if e["name"] != "HF_HOME"]
    env.append({"name": "VLLM_ADDITIONAL_ARGS", "value": shlex.join(flags)})
    container: K8sObject = {"name": "main", "env": env, "resources": common.resources(gpus)}
    return {"containers": [container], **common.placement(model.pool)}


# The module as a ServerKind (labgen.components.serving.kinds).
TRAITS = SERVERS["llm-d-kserve"]
CATALOG = False
METRICS: frozenset[Metric] = frozenset()


def model_objects(plan: LabPlan, model: ModelPlan, versions: Versions) -> list[K8sObject]:
    return objects(model, versions)


def catalog_objects(model: ModelPlan, versions: Versions) -> list[K8sObject]:
    raise NotImplementedError("llm-d-kserve has no catalog entry points (CATALOG = False)")


def scaled(model: ModelPlan) -> str | None:
    return None


def pods(model: ModelPlan) -> Pods:
    """The LLMInferenceService's pods (workload, prefill, scheduler), by KServe's labels."""
    return network.pods(model.namespace, model.name, (PART_OF, (NAME_LABEL, model.name)))


def client(plan: LabPlan, model: ModelPlan) -> Client:
    return Client(kserve.ingress_gateway_pods(), None)


def flows(plan: LabPlan, model: ModelPlan) -> Iterator[Flow]:
    # its pods listen on ports the LLMInferenceServiceConfig presets choose: every port
    yield Flow(
        pods(model),
        None,
        kserve.ingress_gateway_pods(),
        "KServe's ingress Gateway reaches the workload",
    )
    yield network.own_pods_flow(pods(model))
