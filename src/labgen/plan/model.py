"""The resolved plan: frozen records every renderer reads, with no defaults left to decide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from labgen.data.models import ModelArch
from labgen.data.platforms import Platform, Provisioner
from labgen.data.servers import Server
from labgen.data.single_node import SingleNode, single_node
from labgen.data.types import Accelerator, InstanceType, Provider, Release
from labgen.errors import PathPart, format_path
from labgen.plan.fit import Fit

GPU_RESOURCE = "nvidia.com/gpu"
POOL_LABEL = "labgen.dev/gpu-pool"
ACCELERATOR_LABEL = "cluster-api/accelerator"
MIG_CONFIG_LABEL = "nvidia.com/mig.config"


@dataclass(frozen=True)
class Toleration:
    key: str
    effect: str
    operator: Literal["Exists", "Equal"] = "Exists"
    value: str | None = None

    def to_k8s(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "operator": self.operator}
        if self.value is not None:
            out["value"] = self.value
        out["effect"] = self.effect
        return out


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str

    def to_k8s(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "effect": self.effect}

    def __str__(self) -> str:
        """``key=value:effect``, as ``kubectl taint`` and node-taint flags spell it."""
        return f"{self.key}={self.value}:{self.effect}"

    def toleration(self) -> Toleration:
        return Toleration(key=self.key, effect=self.effect)


@dataclass(frozen=True)
class PoolPlan:
    """One node pool with everything derived from its accelerator and provider: GPU nodes,
    or nodes without a GPU (``accelerator.id == "cpu"``: no GPUs, ``memory_gib`` of RAM)."""

    name: str
    accelerator: Accelerator
    gpus_per_node: int
    """0 for a ``cpu`` pool."""
    min_nodes: int
    max_nodes: int
    instance_type: InstanceType | None
    mig_strategy: Literal["none", "single", "mixed"]
    mig_profile: str | None
    zones: tuple[str, ...]
    taint: Taint | None
    """Always set for GPU pools; for a ``cpu`` pool only when the spec sets one."""
    provisioner: Provisioner
    memory_gib: int | None = None
    """RAM of each node of a ``cpu`` pool (the spec's ``memoryGiB``); None for GPU pools."""

    @property
    def cpu(self) -> bool:
        return not self.accelerator.gpu

    @property
    def taints(self) -> list[dict[str, Any]]:
        """The pool's node taints as Kubernetes writes them (none or one)."""
        return [self.taint.to_k8s()] if self.taint is not None else []

    @property
    def taint_text(self) -> str:
        """``key=value:effect``, or empty for an untainted ``cpu`` pool."""
        return str(self.taint) if self.taint is not None else ""

    @property
    def tolerations(self) -> list[dict[str, Any]]:
        """What a workload placed on the pool tolerates: its taint, if it has one."""
        return [self.taint.toleration().to_k8s()] if self.taint is not None else []

    @property
    def accelerator_label(self) -> str:
        """Value of ``cluster-api/accelerator`` (ClusterAutoscaler GPU type)."""
        return self.accelerator.id.lower()

    @property
    def mig_config(self) -> str | None:
        """Value of the GPU Operator's ``nvidia.com/mig.config`` node label, if MIG is used."""
        if self.mig_strategy == "single":
            return f"all-{self.mig_profile}"
        if self.mig_strategy == "mixed":
            return "all-balanced"
        return None

    @property
    def node_labels(self) -> dict[str, str]:
        """Labels labgen puts on the pool's nodes (where it creates them)."""
        labels = {POOL_LABEL: self.name, ACCELERATOR_LABEL: self.accelerator_label}
        if self.mig_config is not None:
            labels[MIG_CONFIG_LABEL] = self.mig_config
        return labels

    @property
    def node_selector(self) -> dict[str, str]:
        return {POOL_LABEL: self.name}

    @property
    def max_gpus(self) -> int:
        """Physical GPUs of the pool at its largest (what Karpenter's limits count)."""
        return self.max_nodes * self.gpus_per_node

    @property
    def gpu_resources_per_node(self) -> int:
        """``nvidia.com/gpu`` a node advertises: with the single MIG strategy every MIG
        instance is one (8 H200 as 3g.71gb give 16). The mixed strategy advertises
        ``nvidia.com/mig-<profile>`` resources instead; physical GPUs are counted then."""
        if self.mig_strategy == "single":
            assert self.mig_profile is not None
            return self.gpus_per_node * self.accelerator.mig_instances(self.mig_profile)
        return self.gpus_per_node


@dataclass(frozen=True)
class GitOpsPlan:
    repo_url: str
    target_revision: str
    argocd_namespace: str
    destination_server: str | None
    destination_name: str | None
    project: str

    def destination(self, namespace: str) -> dict[str, str]:
        out = {"namespace": namespace}
        if self.destination_name is not None:
            out["name"] = self.destination_name
        else:
            out["server"] = self.destination_server or "https://kubernetes.default.svc"
        return out


@dataclass(frozen=True)
class GpuOperatorPlan:
    driver: bool
    toolkit: bool
    dcgm_exporter: bool


@dataclass(frozen=True)
class BenchmarkPlan:
    name: str
    namespace: str
    model: ModelPlan
    url: str
    """OpenAI-compatible base URL (no /v1)."""
    profile: str
    rates: tuple[float, ...]
    sweep_size: int
    prompt_tokens: int
    output_tokens: int
    max_seconds: int
    max_requests: int | None
    tokenizer: str
    storage: str

    @property
    def token_secret(self) -> str | None:
        return self.model.token_secret


@dataclass(frozen=True)
class ObservabilityPlan:
    """Dashboards, alerts and scrape targets, every default decided."""

    grafana: bool
    grafana_admin_secret: str | None
    gpu_metrics: bool
    """Scrape DCGM with the pool label (labgen's ServiceMonitor replaces the GPU
    Operator's), GPU dashboard and Xid alert."""
    alerts: bool
    ttft_slo_seconds: float
    itl_slo_seconds: float


@dataclass(frozen=True)
class PoolerPlan:
    instances: int
    pool_mode: str


@dataclass(frozen=True)
class BackupPlan:
    schedule: str
    """Six cron fields, seconds first."""
    destination: str
    endpoint_url: str | None
    credentials_secret: str
    retention: str


@dataclass(frozen=True)
class DatabasePlan:
    """A pgvector database: a CloudNativePG Cluster and the database inside it."""

    name: str
    namespace: str
    instances: int
    image: str
    """PostgreSQL operand image, tag and digest."""
    storage: str
    storage_class: str | None
    cpu: str
    memory: str
    node_selector: Mapping[str, str]
    database: str
    owner: str
    pooler: PoolerPlan | None
    backup: BackupPlan | None

    @property
    def app_secret(self) -> str:
        """The Secret CloudNativePG writes for the owner (keys username, password, uri...)."""
        return f"{self.name}-app"

    @property
    def pooler_name(self) -> str:
        return f"{self.name}-pooler"


@dataclass(frozen=True)
class OpenWebUIPlan:
    namespace: str
    image: str
    endpoints: tuple[tuple[ModelPlan, str], ...]
    """Each model the UI offers with its base URL (no /v1), in spec order."""
    database: DatabasePlan | None
    storage: str
    storage_class: str | None
    secret: str
    admin_secret: str | None = None
    """Secret with ``WEBUI_ADMIN_EMAIL``/``WEBUI_ADMIN_PASSWORD`` (and optionally
    ``WEBUI_ADMIN_NAME``): the admin account Open WebUI creates on its first start."""
    oidc: OidcPlan | None = None
    url: str | None = None
    """Public URL (``https://<host>``) when the UI is exposed through the lab's Gateway."""


@dataclass(frozen=True)
class OidcPlan:
    """OpenID Connect login for Open WebUI, passed through to its environment."""

    issuer: str
    """OpenID provider URL (its ``.well-known/openid-configuration``)."""
    client_id: str
    client_secret: str
    """Secret holding key ``OAUTH_CLIENT_SECRET``."""
    provider_name: str
    scopes: str


# --- exposure -------------------------------------------------------------------------------

ExposedKind = Literal["model", "open-webui", "grafana"]


@dataclass(frozen=True)
class ExposedRoute:
    """One HTTPS host of the lab's Gateway and the in-cluster backend its HTTPRoute sends
    traffic to. The HTTPRoute lives in the backend's namespace (no ReferenceGrant)."""

    name: str
    """HTTPRoute name: the model's name, ``open-webui`` or ``grafana``."""
    kind: ExposedKind
    host: str
    namespace: str
    backend_group: str
    """``""`` for a core Service, ``inference.networking.k8s.io`` for an InferencePool."""
    backend_kind: Literal["Service", "InferencePool"]
    backend_name: str
    port: int | None
    """Service port the route names; None for an InferencePool (its ``targetPorts``)."""
    target_port: int
    """Container port the Gateway's proxies finally connect to on the backend pods."""
    model: ModelPlan | None = None
    api_keys: bool = False
    """Protected by a Kuadrant AuthPolicy (API keys) with per-key request/token limits."""

    @property
    def listener(self) -> str:
        """The Gateway listener (and its certificate) serving this host."""
        return f"https-{self.name}"

    @property
    def url(self) -> str:
        return f"https://{self.host}"


@dataclass(frozen=True)
class ExposurePlan:
    """The lab's one Gateway: an HTTPS listener per host, certificates from cert-manager,
    and (for models) Kuadrant API keys and limits. Everything outside the cluster reaches
    the lab through the Gateway's data plane in ``gateway_namespace``."""

    domain: str
    gateway_name: str
    gateway_namespace: str
    gateway_class: str
    issuer: str
    """ClusterIssuer signing every listener's certificate."""
    routes: tuple[ExposedRoute, ...]
    api_key_namespace: str | None
    """Where API key Secrets live (the Kuadrant instance's namespace); None without
    Kuadrant (no model exposed)."""
    api_key_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels that make a Secret an API key of this lab."""
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(r.host for r in self.routes)

    @property
    def route_namespaces(self) -> tuple[str, ...]:
        return tuple(sorted({r.namespace for r in self.routes}))

    def app_route(self, kind: ExposedKind) -> ExposedRoute | None:
        """The host of an app with its own login (Open WebUI, Grafana), if exposed."""
        return next((r for r in self.routes if r.kind == kind), None)


@dataclass(frozen=True)
class Downsized:
    """A spec value a single-node lab runs smaller (``labgen.plan.single_node``)."""

    path: tuple[PathPart, ...]
    was: str
    now: str

    @property
    def field(self) -> str:
        return format_path(self.path)


@dataclass(frozen=True)
class LabPlan:
    """Everything the renderers need, resolved from one spec and labgen's tables."""

    name: str
    description: str | None
    spec_file: str
    platform: Platform
    """What differs on the lab's platform (operators from OLM, pod IDs, monitoring...)."""
    provider: Provider
    kubernetes_version: str
    region: str | None
    zones: tuple[str, ...]
    infrastructure_id: str | None
    cluster_name: str
    machine_image: str | None
    gitops: GitOpsPlan
    releases: Mapping[str, Release]
    pools: tuple[PoolPlan, ...]
    operators: frozenset[str]
    gpu_operator: GpuOperatorPlan | None
    models: tuple[ModelPlan, ...] = ()
    gateway_class: str | None = None
    benchmarks: tuple[BenchmarkPlan, ...] = ()
    matrices: tuple[MatrixPlan, ...] = ()
    gpu_budgets: Mapping[str, int] = field(default_factory=dict)
    """GPUs per pool left for benchmark matrices after serving's largest footprint."""
    observability: ObservabilityPlan | None = None
    databases: tuple[DatabasePlan, ...] = ()
    open_webui: OpenWebUIPlan | None = None
    exposure: ExposurePlan | None = None
    cluster_monitoring_config: str | None = None
    """OpenShift: the ``config.yaml`` labgen owns in ``cluster-monitoring-config`` (None:
    the ConfigMap is the user's, see :func:`labgen.plan.describe.monitoring_notes`)."""
    downsized: tuple[Downsized, ...] = ()
    """What a single-node lab runs smaller than its spec says."""

    @property
    def single_node(self) -> SingleNode | None:
        """How the lab's one machine is set up, or None when the lab spans nodes."""
        return single_node(self.provider)

    def has(self, operator: str) -> bool:
        return operator in self.operators

    @property
    def mig_strategy(self) -> Literal["none", "single", "mixed"]:
        strategies = {p.mig_strategy for p in self.pools} - {"none"}
        if "mixed" in strategies:
            return "mixed"
        return "single" if strategies else "none"

    def gpu_tolerations(self) -> list[dict[str, Any]]:
        """Tolerations for everything that must run on every GPU pool (one place)."""
        tolerations = sorted(
            {p.taint.toleration() for p in self.pools if p.taint is not None},
            key=lambda t: (t.key, t.effect),
        )
        return [t.to_k8s() for t in tolerations]


def pool_placement(pool: PoolPlan) -> dict[str, Any]:
    """nodeSelector and tolerations for a workload that runs on ``pool``."""
    return {"nodeSelector": pool.node_selector, "tolerations": pool.tolerations}


# --- serving --------------------------------------------------------------------------------

Routing = Literal["load", "prefix-cache", "precise-prefix-cache", "pd"]


@dataclass(frozen=True)
class AutoscalingPlan:
    min_replicas: int
    max_replicas: int
    metric: Literal["queue-depth", "kv-cache-usage"]
    target: float
    engine: Literal["keda", "hpa"] = "keda"


@dataclass(frozen=True)
class CachePlan:
    size: str
    storage_class: str | None
    access_mode: str


@dataclass(frozen=True)
class PrefillPlan:
    replicas: int
    fit: Fit


@dataclass(frozen=True)
class ModelPlan:
    """One served model, with its memory plan and everything its server renders from."""

    name: str
    namespace: str
    server: Server
    arch: ModelArch
    uri: str
    """``hf://org/name``, ``s3://bucket/path`` or ``pvc://claim/path``."""
    token_secret: str | None
    pool: PoolPlan
    fit: Fit
    nodes_per_replica: int
    """1, or the LeaderWorkerSet group size of a multi-node replica."""
    replicas: int
    autoscaling: AutoscalingPlan | None
    routing: Routing | None
    prefill: PrefillPlan | None
    cache: CachePlan | None
    extra_args: tuple[str, ...]
    quantization: str | None
    """``--quantization`` value when vLLM quantizes on load (fp8), else None (the
    checkpoint says)."""

    @property
    def served_name(self) -> str:
        """The model name clients send: the Hugging Face id for catalog models."""
        return self.arch.id

    @property
    def gpus_per_pod(self) -> int:
        return self.fit.gpus // self.nodes_per_replica

    @property
    def max_replicas(self) -> int:
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas

    @property
    def gpus_at_most(self) -> int:
        """GPUs of the pool the model takes at its largest (decode and prefill)."""
        total = self.max_replicas * self.fit.gpus
        if self.prefill is not None:
            total += self.prefill.replicas * self.prefill.fit.gpus
        return total


# --- benchmark matrices ---------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixConfig:
    """One measured configuration: a server setup and one GuideLLM workload against it."""

    id: str
    """Stable hash of :meth:`parameters`: the result file's name, so reruns skip it."""
    model: ModelArch
    uri: str
    token_secret: str | None
    pool: PoolPlan
    gpus: int
    server: str
    dtype: str
    profile: str
    load: int | None
    """Concurrent streams (concurrent) or requests/s (constant, poisson); None otherwise."""
    prompt_tokens: int
    output_tokens: int
    quantization: str | None
    """``--quantization`` of the server (fp8 on load without an fp8 checkpoint)."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def parameters(self) -> dict[str, Any]:
        return {
            "model": self.model.id,
            "uri": self.uri,
            "accelerator": self.pool.accelerator.id,
            "gpus": self.gpus,
            "server": self.server,
            "dtype": self.dtype,
            "profile": self.profile,
            "load": self.load,
            "promptTokens": self.prompt_tokens,
            "outputTokens": self.output_tokens,
        }


@dataclass(frozen=True)
class MatrixBatch:
    """Configurations sharing one server start: one Job, admitted by Kueue as a unit."""

    index: int
    server: ModelPlan
    """The sidecar server, sized for the longest request of the batch."""
    configs: tuple[MatrixConfig, ...]


@dataclass(frozen=True)
class MatrixPlan:
    name: str
    namespace: str
    expanded: int
    """Configurations before pruning (duplicates included)."""
    pruned: tuple[tuple[str, int], ...]
    """(reason, how many configurations) for every configuration dropped, largest first."""
    batches: tuple[MatrixBatch, ...]
    max_seconds: int
    max_requests: int | None
    storage_size: str
    storage_class: str | None
    access_mode: str
    cache: CachePlan | None

    @property
    def configs(self) -> tuple[MatrixConfig, ...]:
        return tuple(c for b in self.batches for c in b.configs)

    @property
    def pools(self) -> tuple[PoolPlan, ...]:
        seen: dict[str, PoolPlan] = {}
        for b in self.batches:
            seen.setdefault(b.server.pool.name, b.server.pool)
        return tuple(seen.values())
