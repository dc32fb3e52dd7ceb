"""Version-dependent facts of the serving stack, keyed by the pinned release's version.

Upstream renames things between releases: vLLM's KV-cache metric, llm-d's endpoint-picker
config apiVersion and plugin names, the InferencePool API group, KServe's
LLMInferenceService version. Each table below maps a version floor to the facts that hold
from it on; :func:`generation` picks the row for a release's version, so overriding a
version in ``spec.versions`` switches every dependent detail together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


def parse_version(version: str) -> tuple[int, int, int]:
    major, minor, patch = version.removeprefix("v").split(".")[:3]
    return int(major), int(minor), int(patch.split("-")[0])


@dataclass(frozen=True)
class VllmGeneration:
    since: str
    kv_usage_metric: str
    """Gauge of the fraction of the KV cache in use."""
    itl_metric: str
    """Histogram of the time between output tokens."""
    waiting_metric: str = "vllm:num_requests_waiting"
    running_metric: str = "vllm:num_requests_running"
    ttft_metric: str = "vllm:time_to_first_token_seconds"
    e2e_metric: str = "vllm:e2e_request_latency_seconds"
    prefix_queries_metric: str = "vllm:prefix_cache_queries_total"
    """Counter of prompt tokens looked up in the prefix cache (with its ``_total``)."""
    prefix_hits_metric: str = "vllm:prefix_cache_hits_total"
    """Counter of prompt tokens found in the prefix cache (with its ``_total``)."""
    kv_events: bool = True
    """``--kv-events-config`` exists (KV-cache events for precise prefix routing)."""
    render_flag: str | None = None
    """Flag that makes ``vllm serve`` expose its render endpoints
    (``/v1/completions/render``, ``/v1/chat/completions/render``), which the EPP's
    token producer calls; None: exposed without one."""
    until: str | None = None


VLLM: tuple[VllmGeneration, ...] = (
    # vllm/engine/metrics.py and v1/metrics/loggers.py before the 0.9 renames
    VllmGeneration(
        "v0.8.0",
        until="v0.9.0",
        kv_usage_metric="vllm:gpu_cache_usage_perc",
        itl_metric="vllm:time_per_output_token_seconds",
        prefix_queries_metric="vllm:gpu_prefix_cache_queries_total",
        prefix_hits_metric="vllm:gpu_prefix_cache_hits_total",
        kv_events=False,
    ),
    # gpu_cache_usage_perc -> kv_cache_usage_perc and gpu_prefix_cache_{queries,hits} ->
    # prefix_cache_{queries,hits} (vLLM PR #18354, deprecated in 0.9, removed in 0.12);
    # time_per_output_token_seconds -> inter_token_latency_seconds (0.11, removed in 0.13)
    VllmGeneration(
        "v0.11.0",
        until="v0.30.0",
        kv_usage_metric="vllm:kv_cache_usage_perc",
        itl_metric="vllm:inter_token_latency_seconds",
    ),
    # v0.30.0 release notes, breaking changes: scale-out endpoints (render, derender,
    # /inference/v1/generate) are opt-in on plain `vllm serve` via `--enable-scale-out`
    # (vLLM PRs #54579, #55176; `vllm launch render` always serves them)
    VllmGeneration(
        "v0.30.0",
        kv_usage_metric="vllm:kv_cache_usage_perc",
        itl_metric="vllm:inter_token_latency_seconds",
        render_flag="--enable-scale-out",
    ),
)


@dataclass(frozen=True)
class EppGeneration:
    """The endpoint picker (EPP) of llm-d's inference scheduler."""

    since: str
    image: str
    """Image repository (the tag is the release version)."""
    sidecar_image: str
    """P/D routing sidecar repository."""
    config_api_version: str
    """apiVersion of ``EndpointPickerConfig``."""
    pool_api_version: str
    """InferencePool apiVersion the EPP watches."""
    precise_scorer: str
    """Plugin type of the scorer of the precise prefix-cache preset: the KV-events scorer
    itself, or (with ``precise_producer``) the generic prefix-cache scorer reading the
    producer's matches."""
    pd_handler: str
    """Profile handler that splits prefill and decode."""
    pd_decider: str | None
    """Decider plugin the P/D handler consults (None: the handler takes a threshold)."""
    pd_header_handler: str | None = None
    """Plugin that sets the prefill header (None: the P/D handler does it)."""
    precise_producer: str | None = None
    """Data producer that owns the KV-block index and subscribes to every vLLM pod's
    KV-events socket, fed by ``token_producer`` (None: the scorer does both, tokenizing
    with ``indexerConfig.tokenizersPoolConfig`` and binding one ZMQ socket that every
    vLLM pod publishes to)."""
    token_producer: str | None = None
    """Data producer that tokenizes the prompt by calling vLLM's render endpoints."""
    endpoint_source: str | None = None
    """Data-layer source whose endpoint events start and stop the per-pod subscribers."""
    until: str | None = None
    """First version this row no longer describes (None: open-ended)."""
    default_kv_usage_metric: str = "vllm:kv_cache_usage_perc"
    """KV-cache metric the EPP reads unless told otherwise
    (``--kv-cache-usage-percentage-metric``)."""
    metrics_auth_flag: str | None = None
    """Flag that lets Prometheus scrape the EPP without a token (None: unknown, so the
    EPP gets no ServiceMonitor)."""
    role_label: str = "llm-d.ai/role"
    sidecar_model_port_flag: str = "--model-server-port"
    sidecar_connector_flag: str = "--kv-connector"
    sidecar_tls_flag: str = "--secure-proxy"


EPP: tuple[EppGeneration, ...] = (
    # llm-d-inference-scheduler v0.5.x-v0.7.x (llm-d/llm-d guides at v0.5.0): GIE's
    # config group, pd-profile-handler with a threshold plus prefill-header-handler, and
    # the routing sidecar's --vllm-port/--connector flags
    EppGeneration(
        "v0.5.0",
        until="v0.8.0",
        image="ghcr.io/llm-d/llm-d-inference-scheduler",
        sidecar_image="ghcr.io/llm-d/llm-d-routing-sidecar",
        config_api_version="inference.networking.x-k8s.io/v1alpha1",
        pool_api_version="inference.networking.k8s.io/v1",
        precise_scorer="precise-prefix-cache-scorer",
        pd_handler="pd-profile-handler",
        pd_decider=None,
        pd_header_handler="prefill-header-handler",
        # GIE's default until vLLM's rename; the llm-d v0.5.0 guides pass the new name
        default_kv_usage_metric="vllm:gpu_cache_usage_perc",
        sidecar_model_port_flag="--vllm-port",
        sidecar_connector_flag="--connector",
    ),
    # llm-d-router (the EPP moved here from GIE): llm-d.ai config group,
    # disagg-profile-handler with a decider (it sets the prefill header itself).
    # Precise prefix caching is split in three (llm-d/llm-d-router v0.10.0,
    # deploy/config/epp-precise-prefix-cache-config.yaml): token-producer ->
    # precise-prefix-cache-producer -> prefix-cache-scorer. The old
    # precise-prefix-cache-scorer builds the deprecated UDS tokenizer pool from
    # `indexerConfig.tokenizersPoolConfig` and fails at start-up without its socket;
    # the new producer rejects that key outright
    # (pkg/epp/framework/plugins/requestcontrol/dataproducer/preciseprefixcache/producer.go).
    EppGeneration(
        "v0.10.0",
        until="v0.11.0",
        image="ghcr.io/llm-d/llm-d-router-endpoint-picker",
        sidecar_image="ghcr.io/llm-d/llm-d-router-disagg-sidecar",
        config_api_version="llm-d.ai/v1alpha1",
        pool_api_version="inference.networking.k8s.io/v1",
        precise_scorer="prefix-cache-scorer",
        precise_producer="precise-prefix-cache-producer",
        token_producer="token-producer",
        endpoint_source="endpoint-notification-source",
        pd_handler="disagg-profile-handler",
        pd_decider="prefix-based-pd-decider",
        metrics_auth_flag="--metrics-endpoint-auth=false",
    ),
)


@dataclass(frozen=True)
class KserveGeneration:
    since: str
    llmisvc_api_version: str
    deployment_mode: str
    """``kserve.controller.deploymentMode`` for plain Deployments (no Knative)."""
    charts: tuple[tuple[str, str, int], ...]
    """(Application suffix, chart, sync wave) of every chart, from
    ``oci://ghcr.io/kserve/charts``, versioned like KServe (with the ``v``). The controller
    charts render cert-manager Certificates and Issuers: they sync in wave 2, after the
    cert-manager Application (wave 1) has installed the CRDs; runtime presets after them.
    Charts sharing a suffix share an Application: both CRD charts ship the
    ClusterStorageContainer CRD (each guarded by a Helm ``lookup``, which Argo CD's
    ``helm template`` cannot run), so two Applications would own it."""
    until: str | None = None


KSERVE: tuple[KserveGeneration, ...] = (
    # v0.16: LLMInferenceService v1alpha1 only; the controller chart is still `kserve`
    KserveGeneration(
        "v0.16.0",
        "serving.kserve.io/v1alpha1",
        "RawDeployment",
        (
            ("kserve-crd", "kserve-crd", 0),
            ("kserve-crd", "kserve-llmisvc-crd", 0),
            ("kserve", "kserve", 2),
            ("kserve-llmisvc", "kserve-llmisvc-resources", 2),
        ),
        until="v0.17.0",
    ),
    # v0.17 split the charts (kserve -> kserve-resources, runtime configs apart) and
    # served LLMInferenceService v1alpha2 (storage version), converting v1alpha1
    KserveGeneration(
        "v0.17.0",
        "serving.kserve.io/v1alpha2",
        "Standard",
        (
            ("kserve-crd", "kserve-crd", 0),
            ("kserve-crd", "kserve-llmisvc-crd", 0),
            ("kserve", "kserve-resources", 2),
            ("kserve-llmisvc", "kserve-llmisvc-resources", 2),
            ("kserve-runtimes", "kserve-runtime-configs", 3),
        ),
    ),
)


@dataclass(frozen=True)
class PrefixCacheSettings:
    """Values vLLM (publisher of KV-cache events) and the EPP (their indexer) must share.

    Both sides are rendered from this one record: vLLM's ``--block-size``,
    ``--prefix-caching-hash-algo``, ``PYTHONHASHSEED`` and ``--kv-events-config``
    (publisher, endpoint, topic) and the EPP scorer's ``blockSize``, ``hashSeed``,
    ``zmqEndpoint`` and ``topicFilter``.
    """

    block_size: int = 64
    hash_seed: str = "42"
    hash_algo: str = "sha256_cbor"
    zmq_port: int = 5557
    topic_prefix: str = "kv@"

    def topic(self, pod_ip: str, model: str) -> str:
        return f"{self.topic_prefix}{pod_ip}@{model}"


PREFIX_CACHE = PrefixCacheSettings()


class _Generation(Protocol):
    @property
    def since(self) -> str: ...
    @property
    def until(self) -> str | None: ...


G = TypeVar("G", bound=_Generation)


def generation(table: Sequence[G], version: str) -> G:
    """The row describing ``version``; ValueError when no row does."""
    wanted = parse_version(version)
    for row in table:
        if parse_version(row.since) <= wanted and (
            row.until is None or wanted < parse_version(row.until)
        ):
            return row
    known = ", ".join(f"{r.since}-{r.until or 'on'}" for r in table)
    raise ValueError(f"labgen knows {known}, not {version}")
