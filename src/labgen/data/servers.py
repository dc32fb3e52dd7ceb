"""The serving engines a spec can name, and what the plan must know of each before anything
is rendered: the operators it needs, what it can do (routing, autoscaling, multi-node
replicas, a model cache, a matrix sidecar), the releases it runs, and where clients reach
it.

This table is the one list of server names: the spec's allowed values (and the JSON
Schema enum editors read) are its keys. What an engine renders lives in its module under
``labgen.components.serving``, registered in ``components/serving/kinds.py`` next to these
traits (a test checks the two lists are the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal


@dataclass(frozen=True)
class Service:
    """Clients call a Service the engine renders in the model's namespace."""

    name: str
    """Its name; ``{model}`` is the model's name."""
    port: int | None = None
    """Its port, or None for the scheme's default (80)."""


@dataclass(frozen=True)
class ViaGateway:
    """Clients call the Service the lab's GatewayClass creates for the model's Gateway
    (named like the model): the engine needs Gateway API and a Gateway implementation."""


@dataclass(frozen=True)
class Unpublished:
    """labgen cannot know the URL before the cluster runs the model."""

    why: str


Endpoint = Service | ViaGateway | Unpublished


@dataclass(frozen=True)
class Backend:
    """What a public HTTPRoute (``spec.exposure``) sends a model's OpenAI traffic to."""

    kind: Literal["Service", "InferencePool"]
    name: str
    """Its name; ``{model}`` is the model's name."""
    port: int | None
    """The Service port; None for an InferencePool (it names its target port)."""
    target_port: int
    """The port of the pods behind it (NetworkPolicies open it)."""
    group: str = ""
    """API group of the backend ('' for core Services)."""


Metric = Literal["vllm", "epp"]
"""Series a server's rendered monitors let Prometheus scrape: ``vllm`` (a PodMonitor on its
vLLM pods, which dashboards, alerts and autoscaling read), ``epp`` (llm-d's endpoint
picker, for EPP releases whose metrics need no token)."""


@dataclass(frozen=True)
class ServerTraits:
    """One serving engine as the spec and the plan see it."""

    name: str
    """Spec name (``spec.models[].server``)."""
    endpoint: Endpoint
    operators: tuple[str, ...] = ()
    """Operators (plan keys) the engine's objects need, besides Gateway API (see
    :class:`ViaGateway`)."""
    routings: tuple[str, ...] = ()
    """The llm-d routing presets it renders (default ``prefix-cache``); empty: the engine
    has no router."""
    routing_limit: str = ""
    """Why only those presets, when the engine renders fewer than llm-d's."""
    autoscaled: bool = False
    """Its vLLM Deployment can be scaled by KEDA or an HPA (``spec.models[].autoscaling``)."""
    multi_node: bool = False
    """It renders replicas that span nodes (LeaderWorkerSet)."""
    weights_fetched_by: str = ""
    """What fetches weights when the engine does not let labgen do it (no model cache);
    empty: labgen's download Job or vLLM itself."""
    sidecar: bool = False
    """It runs as a sidecar in a benchmark matrix batch pod."""
    releases: tuple[str, ...] = ()
    """Release-table keys it runs images of (``labgen plan`` lists them as used)."""
    public: Backend | Unpublished = Unpublished("labgen renders no public route for it")
    """The backend of a public route to the model (``spec.exposure.models``), or why there
    is none."""


SERVERS: dict[str, ServerTraits] = {
    t.name: t
    for t in (
        ServerTraits(
            "vllm",
            Service("{model}", 8000),
            autoscaled=True,
            multi_node=True,
            sidecar=True,
            releases=("vllm",),
            public=Backend("Service", "{model}", 8000, 8000),
        ),
        ServerTraits(
            "kserve",
            Service("{model}-predictor"),
            operators=("kserve",),
            weights_fetched_by="KServe's storage initializer",
            releases=("vllm",),
            # raw deployment mode: the predictor Service listens on 80 and forwards to the
            # container port of labgen's ServingRuntime (serving/kserve.py)
            public=Backend("Service", "{model}-predictor", 80, 8080),
        ),
        ServerTraits(
            "llm-d",
            ViaGateway(),
            operators=("inference-extension",),
            routings=("load", "prefix-cache", "precise-prefix-cache", "pd"),
            autoscaled=True,
            releases=("vllm", "llm-d-router"),
            # the EPP picks the pod behind the pool
            public=Backend("InferencePool", "{model}", None, 8000, "inference.networking.k8s.io"),
        ),
        ServerTraits(
            "llm-d-kserve",
            Unpublished("an LLMInferenceService publishes its URL only in its status"),
            operators=("kserve",),
            routings=("prefix-cache", "pd"),
            routing_limit="runs KServe's managed scheduler preset (prefix-cache, or pd with "
            "prefill workers); use server llm-d for other routing modes",
            weights_fetched_by="KServe's storage initializer",
            public=Unpublished("its LLMInferenceService manages its own Gateway and HTTPRoute"),
        ),
    )
}

# The spec's type of a server name: pydantic reads the Literal (allowed values, JSON Schema
# enum, error messages) built from the table; mypy sees a plain string.
if TYPE_CHECKING:
    Server = str
else:
    Server = Literal[tuple(SERVERS)]
