"""The lab spec as people write it: pydantic models, loading with positions.

This module only checks the shape of a spec (types, enums, unknown keys). Rules that
need facts (which instance types a provider sells, which MIG profiles a GPU has) live
in :mod:`labgen.plan`, which turns a valid spec into a resolved plan.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from labgen.data.hardware import AcceleratorName
from labgen.data.servers import Server
from labgen.data.types import Dtype, Platform, Provider
from labgen.errors import Diagnostic, SpecError
from labgen.limits import MAX_SPEC_BYTES, size_problem
from labgen.yamlio import LoadedDocument, YamlSyntaxError, load_document

DnsLabel = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        max_length=63,
        description="A DNS label (RFC 1123): lower-case letters, digits and '-', at most 63.",
    ),
]
KubernetesVersion = Annotated[
    str,
    Field(pattern=r"^1\.[0-9]{2}$", description='Kubernetes minor version, e.g. "1.33".'),
]
MigSetting = Annotated[
    str,
    Field(
        pattern=r"^(none|mixed|single:[0-9]+g\.[0-9]+gb)$",
        description=(
            "MIG partitioning of every GPU in the pool: `none` (whole GPUs), "
            "`single:<profile>` (every GPU split into one profile, e.g. `single:3g.40gb`; "
            "pods request `nvidia.com/gpu`) or `mixed` (profiles chosen per node by the "
            "`nvidia.com/mig.config` label; pods request `nvidia.com/mig-<profile>`)."
        ),
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Metadata(_Model):
    name: DnsLabel = Field(description="Lab name; prefixes every Argo CD Application.")
    description: str | None = Field(default=None, description="One line about the lab.")


class Cluster(_Model):
    platform: Platform = Field(
        description="`openshift` installs operators through OLM; `kubernetes` through Helm."
    )
    provider: Provider = Field(
        description=(
            "Where the cluster runs; decides how GPU node pools are created. `k3s`: the lab "
            "is one machine (one GPU pool of one node; replicas, autoscaling and database "
            "instances run as one; `labgen plan` prints the setup commands)."
        )
    )
    kubernetesVersion: KubernetesVersion = Field(
        description="Kubernetes minor version of the cluster; selects the core schemas."
    )
    region: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+$",
        description="Cloud region (required on aws, gcp, ibmcloud).",
    )
    zones: list[str] = Field(
        default_factory=list,
        description=(
            "Zones GPU pools may use, in the region (aws: `us-east-2a`, gcp: "
            "`us-central1-a`, ibmcloud: `us-south-1`). OpenShift renders one MachineSet "
            "per pool and zone."
        ),
    )
    infrastructureId: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description=(
            "OpenShift infrastructure ID (`oc get infrastructure cluster -o "
            "jsonpath='{.status.infrastructureName}'`); names MachineSets, subnets, "
            "security groups. Required for OpenShift on aws and ibmcloud."
        ),
    )
    clusterName: str | None = Field(
        default=None,
        pattern=r"^[a-zA-Z0-9][-a-zA-Z0-9_]*$",
        description=(
            "Cloud-side cluster name (EKS cluster for Karpenter discovery tags and node "
            "role, GKE cluster for `labgen plan` commands). Default: the lab name."
        ),
    )
    machineImage: str | None = Field(
        default=None,
        description=(
            "OpenShift on aws (required with gpuPools): the RHCOS AMI ID of the cluster's "
            "worker MachineSets (`ami-...`), the image the installer booted. OpenShift on "
            "ibmcloud: the VPC image name; default `<infrastructureId>-rhcos`."
        ),
    )


class Destination(_Model):
    server: str | None = Field(
        default=None, description="API server URL of the target cluster (default: in-cluster)."
    )
    name: str | None = Field(
        default=None, description="Name of a cluster registered in Argo CD (instead of server)."
    )


class GitOps(_Model):
    repoURL: str = Field(
        pattern=r"^(https://|ssh://|git@)\S+$",
        description="Git repository Argo CD syncs the rendered tree from.",
    )
    targetRevision: str = Field(
        default="HEAD", min_length=1, description="Branch, tag or commit Argo CD follows."
    )
    argocdNamespace: str | None = Field(
        default=None,
        description=(
            "Namespace of the Argo CD instance (default: `openshift-gitops` on OpenShift, "
            "`argocd` elsewhere)."
        ),
    )
    destination: Destination = Field(
        default_factory=Destination,
        description="Target cluster; a remote one lets one Argo CD drive several labs.",
    )


class VersionOverride(_Model):
    chartVersion: str | None = Field(default=None, description="Helm chart version to pin.")
    channel: str | None = Field(default=None, description="OLM channel to subscribe to.")
    startingCSV: str | None = Field(
        default=None, description="OLM ClusterServiceVersion to start from."
    )
    gitRef: str | None = Field(
        default=None, description="Git tag for components installed from git."
    )
    version: str | None = Field(
        default=None,
        pattern=r"^v[0-9]+\.[0-9]+\.[0-9]+$",
        description=(
            "Upstream version of an image-based release (`vllm`, `llm-d-router`, `kserve`): "
            "picks the image tag and the version-dependent flags, plugin names and APIs."
        ),
    )


class NodeCount(_Model):
    min: int = Field(ge=0, le=1000, description="Fewest nodes (0 allows scale to zero).")
    max: int = Field(ge=1, le=1000, description="Most nodes the autoscaler may create.")


class Taint(_Model):
    key: str = Field(default="nvidia.com/gpu", description="Taint key.")
    value: str | None = Field(default=None, description="Taint value (default: the accelerator).")
    effect: Literal["NoSchedule", "NoExecute", "PreferNoSchedule"] = Field(
        default="NoSchedule", description="Taint effect."
    )


class GpuPool(_Model):
    name: DnsLabel = Field(description="Pool name; workloads refer to it.")
    accelerator: AcceleratorName = Field(
        description=(
            "GPU model of every node in the pool, or `cpu` for nodes without a GPU (vLLM's "
            "CPU image serves from their RAM: give `memoryGiB`)."
        )
    )
    gpusPerNode: int | None = Field(
        default=None,
        ge=1,
        le=16,
        description="GPUs per node; picks the instance type. Required for GPUs; not for `cpu`.",
    )
    memoryGiB: int | None = Field(
        default=None,
        ge=1,
        le=65536,
        description=(
            "`accelerator: cpu` only (required there): memory of each node in GiB, as "
            "`free -g` reports it. The model's weights, its KV cache and labgen's reserve "
            "for the rest of the machine must fit in it."
        ),
    )
    nodes: NodeCount = Field(description="Autoscaling bounds of the pool.")
    mig: MigSetting = Field(default="none")
    instanceType: str | None = Field(
        default=None,
        description="Instance type instead of labgen's pick (must match GPU model and count).",
    )
    zones: list[str] | None = Field(
        default=None, description="Subset of `cluster.zones` for this pool (default: all)."
    )
    taint: Taint = Field(
        default_factory=Taint,
        description=(
            "Taint on the pool's nodes; everything placed there tolerates it. GPU pools "
            "always have one (default `nvidia.com/gpu=<accelerator>:NoSchedule`); `cpu` "
            "pools only when it is set."
        ),
    )


class OperatorOptions(_Model):
    """Options shared by every operator; `{}` enables the operator with defaults."""


class MonitoringOptions(_Model):
    clusterMonitoringConfig: dict[str, Any] | None = Field(
        default=None,
        description=(
            "OpenShift only: the whole `config.yaml` of ConfigMap "
            "`openshift-monitoring/cluster-monitoring-config`, which labgen then owns "
            "(it must set `enableUserWorkload: true`; every other setting the cluster had "
            "there is replaced). Unset: labgen leaves that ConfigMap to you and "
            "`labgen plan` says what it needs."
        ),
    )


class GpuOperatorOptions(_Model):
    driver: bool | None = Field(
        default=None,
        description=(
            "Let the GPU Operator install the NVIDIA driver (default: true, except on gcp "
            "and on Kubernetes on aws, whose GKE and EKS accelerated node images ship it)."
        ),
    )
    dcgmExporter: bool = Field(default=True, description="Run the DCGM exporter for GPU metrics.")


@dataclass(frozen=True)
class Enables:
    """Marks a ``spec.operators`` field with the key of the component (and release, where
    one exists) it turns on: ``plan.has(key)`` is true when the field is set."""

    operator: str


class Operators(_Model):
    # Each field names the operator component it turns on (`Enables`); no docstring here,
    # pydantic would publish it in the spec's JSON Schema.
    gpuOperator: Annotated[GpuOperatorOptions | None, Enables("gpu-operator")] = Field(
        default=None, description="NVIDIA GPU Operator."
    )
    nfd: Annotated[OperatorOptions | None, Enables("nfd")] = Field(
        default=None, description="Node Feature Discovery."
    )
    certManager: Annotated[OperatorOptions | None, Enables("cert-manager")] = Field(
        default=None, description="cert-manager."
    )
    keda: Annotated[OperatorOptions | None, Enables("keda")] = Field(
        default=None, description="KEDA event-driven autoscaling."
    )
    gatewayApi: Annotated[OperatorOptions | None, Enables("gateway-api")] = Field(
        default=None, description="Gateway API (CRDs on Kubernetes, a GatewayClass on OpenShift)."
    )
    leaderWorkerSet: Annotated[OperatorOptions | None, Enables("leaderworkerset")] = Field(
        default=None, description="LeaderWorkerSet, for multi-node serving."
    )
    cnpg: Annotated[OperatorOptions | None, Enables("cnpg")] = Field(
        default=None, description="CloudNativePG."
    )
    inferenceExtension: Annotated[OperatorOptions | None, Enables("inference-extension")] = Field(
        default=None,
        description="Gateway API Inference Extension CRDs (InferencePool), for llm-d.",
    )
    kserve: Annotated[OperatorOptions | None, Enables("kserve")] = Field(
        default=None,
        description="KServe (InferenceService, LLMInferenceService) in standard deployment mode.",
    )
    monitoring: Annotated[MonitoringOptions | None, Enables("monitoring")] = Field(
        default=None,
        description=(
            "Metrics for lab workloads: user-workload monitoring on OpenShift, "
            "kube-prometheus-stack elsewhere."
        ),
    )
    kueue: Annotated[OperatorOptions | None, Enables("kueue")] = Field(
        default=None, description="Kueue job queueing, for benchmark matrices."
    )
    kuadrant: Annotated[OperatorOptions | None, Enables("kuadrant")] = Field(
        default=None,
        description="Kuadrant (Authorino, Limitador): API keys and limits on exposed models.",
    )

    def enabled(self) -> frozenset[str]:
        """Component keys of the operators this spec turns on."""
        return frozenset(
            key for name, key in OPERATOR_FIELDS.items() if getattr(self, name) is not None
        )


OPERATOR_FIELDS: dict[str, str] = {
    name: meta.operator
    for name, info in Operators.model_fields.items()
    for meta in info.metadata
    if isinstance(meta, Enables)
}
"""``spec.operators`` field -> the key of the operator component it turns on."""


class Architecture(_Model):
    """Architecture facts of a model missing from labgen's catalog (from its config.json)."""

    paramsB: float = Field(gt=0, description="Total parameters, billions.")
    activeParamsB: float | None = Field(
        default=None, gt=0, description="Active parameters per token (mixture of experts)."
    )
    layers: int = Field(ge=1, description="`num_hidden_layers`.")
    hidden: int = Field(ge=1, description="`hidden_size`.")
    heads: int = Field(ge=1, description="`num_attention_heads`.")
    kvHeads: int = Field(ge=1, description="`num_key_value_heads`.")
    headDim: int = Field(ge=1, description="`head_dim` (do not derive it: Qwen3 differs).")
    maxContext: int = Field(ge=1, description="`max_position_embeddings`.")
    slidingLayers: int = Field(default=0, ge=0, description="Layers with sliding windows.")
    slidingWindow: int = Field(default=0, ge=0, description="`sliding_window` in tokens.")


class Autoscaling(_Model):
    min: int = Field(ge=0, le=100, description="Fewest replicas (0 scales to zero).")
    max: int = Field(ge=1, le=100, description="Most replicas.")
    metric: Literal["queue-depth", "kv-cache-usage"] = Field(
        default="queue-depth",
        description=(
            "vLLM metric from Prometheus: requests waiting per replica, or the fraction of "
            "the KV cache in use (0-1)."
        ),
    )
    target: float | None = Field(
        default=None,
        gt=0,
        description="Target per replica (default: 5 waiting requests, or 0.8 KV usage).",
    )
    engine: Literal["keda", "hpa"] = Field(
        default="keda",
        description=(
            "keda: a KEDA ScaledObject querying Prometheus (needs operators.keda). hpa: an "
            "autoscaling/v2 HorizontalPodAutoscaler on a per-pod custom metric served by "
            "prometheus-adapter, which labgen installs (needs operators.monitoring; "
            "Kubernetes only, min >= 1)."
        ),
    )


class Prefill(_Model):
    replicas: int = Field(default=1, ge=1, le=100, description="Prefill replicas.")
    tensorParallel: int | None = Field(
        default=None, ge=1, le=64, description="Prefill TP (default: the decode TP)."
    )


class ModelCache(_Model):
    size: str = Field(
        pattern=r"^[1-9][0-9]*(Gi|Ti)$", description="PersistentVolumeClaim size, e.g. 200Gi."
    )
    storageClass: str | None = Field(
        default=None, description="StorageClass (default: the cluster's)."
    )
    accessMode: Literal["ReadWriteOnce", "ReadWriteMany"] = Field(
        default="ReadWriteMany",
        description="ReadWriteMany lets every replica on every node share one download.",
    )


class ServedModel(_Model):
    name: DnsLabel = Field(description="Name of the deployment, service and routes.")
    model: str | None = Field(
        default=None,
        description="A model-catalog id (`labgen models`), e.g. `Qwen/Qwen3-32B`.",
    )
    architecture: Architecture | None = Field(
        default=None, description="Architecture facts for a model that is not in the catalog."
    )
    uri: str | None = Field(
        default=None,
        pattern=r"^(hf://[^/\s]+/[^\s]+|s3://[^/\s]+/[^\s]*|pvc://[a-z0-9][-a-z0-9.]*(/[^\s]*)?)$",
        description=(
            "Where the weights come from: `hf://org/name`, `s3://bucket/path` or "
            "`pvc://claim/path` (default: `hf://<model>`)."
        ),
    )
    tokenSecret: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description=(
            "Secret with the credentials, by name (never inlined): key `HF_TOKEN` for hf://, "
            "`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and optional `AWS_ENDPOINT_URL`) "
            "for s3://."
        ),
    )
    server: Server = Field(description="How the model is served.")
    pool: DnsLabel = Field(description="GPU pool (spec.gpuPools[].name) it runs on.")
    namespace: DnsLabel = Field(default="llm", description="Namespace of the serving objects.")
    tensorParallel: int | None = Field(
        default=None, ge=1, le=64, description="GPUs per replica (default: smallest that fits)."
    )
    pipelineParallel: int = Field(default=1, ge=1, le=16, description="Pipeline stages.")
    multiNode: bool = Field(
        default=False,
        description=(
            "Let one replica span nodes (LeaderWorkerSet); TP x PP must then be a "
            "multiple of gpusPerNode."
        ),
    )
    replicas: int | None = Field(
        default=None, ge=0, le=100, description="Fixed replicas (default 1)."
    )
    autoscaling: Autoscaling | None = Field(
        default=None, description="Scale replicas with KEDA on vLLM metrics instead."
    )
    dtype: Dtype | None = Field(
        default=None,
        description=(
            "Weight format (default: the checkpoint's). fp8 quantizes a 16-bit checkpoint on "
            "load; int8 (W8A8) and int4 (AWQ/GPTQ) need a quantized checkpoint in `uri`."
        ),
    )
    kvCacheDtype: Literal["auto", "fp8"] = Field(default="auto", description="KV cache format.")
    maxModelLen: int | None = Field(
        default=None, ge=256, description="Context length served (default: the model's)."
    )
    gpuMemoryUtilization: float = Field(
        default=0.9, ge=0.5, le=0.98, description="vLLM --gpu-memory-utilization."
    )
    routing: Literal["load", "prefix-cache", "precise-prefix-cache", "pd"] | None = Field(
        default=None,
        description="llm-d endpoint-picker preset (default prefix-cache).",
    )
    prefill: Prefill | None = Field(default=None, description="Prefill workers (routing: pd).")
    cache: ModelCache | None = Field(
        default=None,
        description="Shared model-cache PVC, filled by a download Job before the server starts.",
    )
    extraArgs: list[str] = Field(default_factory=list, description="More `vllm serve` flags.")


class BenchmarkData(_Model):
    promptTokens: int = Field(ge=1, le=1_000_000, description="Synthetic prompt length.")
    outputTokens: int = Field(ge=1, le=1_000_000, description="Synthetic output length.")


class Benchmark(_Model):
    name: DnsLabel = Field(description="Benchmark name (its Job and results volume).")
    target: DnsLabel = Field(description="The model (spec.models[].name) it measures.")
    profile: Literal["sweep", "synchronous", "constant", "poisson", "concurrent", "throughput"] = (
        Field(
            default="sweep",
            description=(
                "GuideLLM load profile: sweep (synchronous, throughput, then rates between), "
                "one stream, fixed or Poisson request rates, fixed concurrent streams, or "
                "all at once."
            ),
        )
    )
    rates: list[float] = Field(
        default_factory=list,
        description=(
            "Requests/s for constant and poisson, streams for concurrent (one benchmark "
            "each); not used by the other profiles."
        ),
    )
    sweepSize: int = Field(
        default=10, ge=3, le=100, description="Benchmarks in a sweep (including the two ends)."
    )
    data: BenchmarkData = Field(description="Synthetic requests.")
    maxSeconds: int = Field(default=120, ge=1, le=86400, description="Duration of each benchmark.")
    maxRequests: int | None = Field(
        default=None, ge=1, description="Stop each benchmark after this many requests."
    )
    tokenizer: str | None = Field(
        default=None,
        description=(
            "Hugging Face id of the tokenizer for synthetic data (default: the target's "
            "hf:// model)."
        ),
    )
    url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description=(
            "OpenAI-compatible base URL (default: the target's in-cluster Service or "
            "Gateway; required for llm-d-kserve targets)."
        ),
    )
    storage: str = Field(
        default="5Gi",
        pattern=r"^[1-9][0-9]*(Mi|Gi|Ti)$",
        description="Size of the results volume.",
    )


MatrixProfile = Literal["concurrent", "constant", "poisson", "synchronous", "throughput"]


class MatrixModel(_Model):
    model: str = Field(
        description=(
            "A model-catalog entry (Hugging Face id or short name, see `labgen models`) or "
            "a spec.models[].name, whose architecture, uri and tokenSecret it reuses."
        )
    )
    checkpoints: dict[Literal["fp8", "int8", "int4"], str] = Field(
        default_factory=dict,
        description=(
            "Pre-quantized checkpoint URI per dtype (`hf://`, `s3://`, `pvc://`). int8 and "
            "int4 need one; fp8 without one quantizes the bf16 weights on load."
        ),
    )
    tokenSecret: str | None = Field(
        default=None, description="Secret with HF_TOKEN for gated or private checkpoints."
    )


class MatrixHardware(_Model):
    pool: DnsLabel = Field(description="GPU pool (spec.gpuPools[].name).")
    gpus: list[Annotated[int, Field(ge=1, le=64)]] = Field(
        min_length=1, description="GPU counts (tensor parallel sizes) to measure on it."
    )


class MatrixWorkloads(_Model):
    profiles: list[MatrixProfile] = Field(
        default_factory=lambda: list[MatrixProfile](["concurrent"]),
        min_length=1,
        description=(
            "GuideLLM profiles. The load level of concurrent is streams, of constant and "
            "poisson requests/s (both from batchSizes); synchronous and throughput take none."
        ),
    )
    batchSizes: list[Annotated[int, Field(ge=1, le=4096)]] = Field(
        default_factory=lambda: [1],
        min_length=1,
        description="Load levels: concurrent streams, or requests/s for constant and poisson.",
    )
    promptTokens: list[Annotated[int, Field(ge=1, le=1_000_000)]] = Field(
        min_length=1, description="Synthetic prompt lengths."
    )
    outputTokens: list[Annotated[int, Field(ge=1, le=1_000_000)]] = Field(
        min_length=1, description="Synthetic output lengths."
    )


class MatrixStorage(_Model):
    size: str = Field(
        default="20Gi", pattern=r"^[1-9][0-9]*(Mi|Gi|Ti)$", description="Results volume size."
    )
    storageClass: str | None = Field(default=None, description="StorageClass (default: cluster's).")
    accessMode: Literal["ReadWriteMany", "ReadWriteOnce"] = Field(
        default="ReadWriteMany",
        description=(
            "Batches run in parallel on several nodes and share the volume: ReadWriteOnce "
            "only works when they all land on one node."
        ),
    )


class Matrix(_Model):
    name: DnsLabel = Field(description="Matrix name (its Jobs, queue and results volume).")
    namespace: DnsLabel = Field(default="benchmarks", description="Namespace of its Jobs.")
    models: list[str | MatrixModel] = Field(
        min_length=1, description="Models: names, or objects with quantized checkpoints."
    )
    hardware: list[MatrixHardware] = Field(min_length=1, description="Pools and GPU counts.")
    servers: list[Server] = Field(
        default_factory=lambda: list[Server](["vllm"]),
        min_length=1,
        description="Servers (each configuration runs its server as a sidecar: vllm).",
    )
    dtypes: list[Dtype] = Field(
        default_factory=list,
        description="Weight formats (default: each model's native one).",
    )
    workloads: MatrixWorkloads = Field(description="Request shapes and load levels.")
    batchSize: int = Field(
        default=100, ge=1, le=1000, description="Configurations per Job (one server start)."
    )
    maxSeconds: int = Field(
        default=120, ge=1, le=86400, description="Duration of each configuration's run."
    )
    maxRequests: int | None = Field(
        default=None, ge=1, description="Stop each configuration's run after this many requests."
    )
    gpuMemoryUtilization: float = Field(
        default=0.9, gt=0, le=0.98, description="vLLM `--gpu-memory-utilization`."
    )
    storage: MatrixStorage = Field(
        default_factory=MatrixStorage, description="The results volume (resume reads it)."
    )
    cache: ModelCache | None = Field(
        default=None,
        description="Shared model cache (HF_HOME) for every batch, so weights download once.",
    )


class Slo(_Model):
    """Latency objectives the alerts hold every model of the lab to."""

    ttftSeconds: float = Field(
        default=2.0,
        gt=0,
        le=600,
        description="p95 time to first token, seconds, over 10 minutes (default 2).",
    )
    itlSeconds: float = Field(
        default=0.1,
        gt=0,
        le=60,
        description="p95 time between output tokens, seconds, over 10 minutes (default 0.1).",
    )


class Observability(_Model):
    """Dashboards, alerts and extra scrape targets on top of `operators.monitoring`."""

    grafana: bool = Field(
        default=True,
        description=(
            "Grafana dashboards generated from the lab (vLLM per model, GPUs per pool, "
            "llm-d routing). Kubernetes: turns on kube-prometheus-stack's Grafana, which "
            "loads them; OpenShift: ConfigMaps to import (see docs/observability.md)."
        ),
    )
    grafanaAdminSecret: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description=(
            "Kubernetes: Secret in the `monitoring` namespace with keys `admin-user` and "
            "`admin-password` for Grafana's admin (default: the chart's well-known "
            "`admin`/`prom-operator`)."
        ),
    )
    dcgmExporter: bool | None = Field(
        default=None,
        description=(
            "GPU metrics per pool: scrape the GPU Operator's DCGM exporter with the node's "
            "pool as a label (replacing the operator's own ServiceMonitor), GPU dashboard "
            "and Xid alert. Default: on when the GPU Operator runs its DCGM exporter."
        ),
    )
    alerts: bool = Field(
        default=True,
        description=(
            "PrometheusRules with runbooks: TTFT/ITL over the SLO, waiting queue growing, "
            "KV cache saturated, GPU Xid errors, benchmark Job failed."
        ),
    )
    logs: Literal["none", "loki"] = Field(
        default="none", description="Log collection; `loki` is not supported yet."
    )
    slo: Slo = Field(default_factory=Slo, description="Latency objectives of the alerts.")


StorageSize = Annotated[
    str,
    Field(pattern=r"^[1-9][0-9]*(Mi|Gi|Ti)$", description="A volume size, e.g. 50Gi."),
]
SecretName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        max_length=253,
        description="Name of a Secret in the same namespace (never its content).",
    ),
]


class Pooler(_Model):
    instances: int = Field(default=2, ge=1, le=10, description="PgBouncer pods.")
    poolMode: Literal["session", "transaction"] = Field(
        default="session",
        description=(
            "PgBouncer pool mode: `session` (a server connection per client session, safe "
            "for every client) or `transaction` (shared between transactions; clients must "
            "not rely on session state)."
        ),
    )


class BackupDestination(_Model):
    path: str = Field(
        pattern=r"^s3://[a-z0-9][-a-z0-9.]{1,61}[a-z0-9](/[^\s]*)?$",
        description=(
            "S3 bucket and optional prefix, e.g. `s3://lab-backups/pg`; base backups and "
            "WAL archives go under `<path>/<name>/` (the database's `name`)."
        ),
    )
    endpointURL: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="Endpoint of an S3-compatible store (MinIO, Ceph RGW); default AWS S3.",
    )
    credentialsSecret: SecretName = Field(
        description=(
            "Secret in the database's namespace with keys `ACCESS_KEY_ID` and "
            "`ACCESS_SECRET_KEY`, created outside git."
        )
    )


class Backup(_Model):
    schedule: str = Field(
        default="0 0 3 * * *",
        description=(
            "When to take a base backup: six cron fields, seconds first (CloudNativePG's "
            "format), e.g. `0 0 3 * * *` for 03:00 every day."
        ),
    )
    destination: BackupDestination = Field(description="Object store for backups and WALs.")
    retention: str = Field(
        default="30d",
        pattern=r"^[1-9][0-9]*[dwm]$",
        description="How long backups and WALs are kept: days, weeks or months, e.g. `30d`.",
    )


class Database(_Model):
    name: DnsLabel = Field(
        description="Name of the CloudNativePG Cluster (and its Services and Secrets)."
    )
    engine: Literal["pgvector"] = Field(
        description="`pgvector`: PostgreSQL with the `vector` extension, on CloudNativePG."
    )
    namespace: DnsLabel = Field(default="data", description="Namespace of the cluster.")
    instances: int = Field(
        default=3,
        ge=1,
        le=9,
        description=(
            "PostgreSQL instances: one primary and streaming replicas, each on its own node "
            "(required anti-affinity), so the cluster needs that many schedulable nodes."
        ),
    )
    postgresVersion: Literal[17, 18] = Field(default=18, description="PostgreSQL major version.")
    storage: StorageSize = Field(default="20Gi", description="Volume size of each instance.")
    storageClass: str | None = Field(
        default=None, description="StorageClass of the volumes (default: the cluster's)."
    )
    cpu: str = Field(
        default="1",
        pattern=r"^([1-9][0-9]*|[0-9]+\.[0-9]+|[1-9][0-9]*m)$",
        description="CPU request of each instance.",
    )
    memory: StorageSize = Field(
        default="2Gi", description="Memory of each instance (request and limit)."
    )
    nodeSelector: dict[str, str] = Field(
        default_factory=dict, description="Node labels the instances must run on."
    )
    database: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="Name of the database inside PostgreSQL (default: `name` with `_` for `-`).",
    )
    pooler: Pooler | None = Field(
        default=None, description="A PgBouncer Pooler in front of the primary (`<name>-pooler`)."
    )
    backup: Backup | None = Field(
        default=None, description="Scheduled base backups and WAL archiving to S3."
    )


class OpenWebUI(_Model):
    models: list[DnsLabel] = Field(
        min_length=1, description="Models (spec.models[].name) the UI offers, in this order."
    )
    vectorDB: DnsLabel | None = Field(
        default=None,
        description=(
            "A spec.databases[].name: Open WebUI keeps its data and its RAG vectors there "
            "(default: SQLite and Chroma on its own volume)."
        ),
    )
    namespace: DnsLabel | None = Field(
        default=None,
        description=(
            "Namespace (default: the vectorDB's, whose credentials Secret it reads; "
            "else `open-webui`)."
        ),
    )
    storage: StorageSize = Field(
        default="10Gi", description="Volume for uploads, caches and embedding models."
    )
    storageClass: str | None = Field(
        default=None, description="StorageClass of the volume (default: the cluster's)."
    )
    secret: SecretName = Field(
        default="open-webui",
        description="Secret with key `WEBUI_SECRET_KEY` (signs sessions), created outside git.",
    )
    adminSecret: SecretName | None = Field(
        default=None,
        description=(
            "Secret with keys `WEBUI_ADMIN_EMAIL` and `WEBUI_ADMIN_PASSWORD` (optionally "
            "`WEBUI_ADMIN_NAME`), created outside git: Open WebUI creates that admin on its "
            "first start and closes sign-up (default: the first account to sign up is admin)."
        ),
    )
    oidc: OpenWebUIOidc | None = Field(
        default=None, description="Log in through an OpenID Connect provider as well."
    )


class OpenWebUIOidc(_Model):
    issuer: str = Field(
        pattern=r"^https://[^\s/]+(/\S*)?$",
        description=(
            "The provider's `.well-known/openid-configuration` URL (`OPENID_PROVIDER_URL`)."
        ),
    )
    clientId: str = Field(min_length=1, description="OAuth client ID (`OAUTH_CLIENT_ID`).")
    clientSecret: SecretName = Field(
        description="Secret with key `OAUTH_CLIENT_SECRET`, created outside git."
    )
    providerName: str = Field(default="SSO", min_length=1, description="Name on the login button.")
    scopes: str = Field(
        default="openid email profile",
        pattern=r"(^|\s)openid(\s|$)",
        description="Scopes requested (`openid` and `email` are required).",
    )


class Apps(_Model):
    openWebUI: OpenWebUI | None = Field(
        default=None, description="Open WebUI, a chat UI over the lab's models."
    )


class Gateway(_Model):
    className: str | None = Field(
        default=None,
        description=(
            "GatewayClass of llm-d Gateways (default: `openshift-default` on OpenShift; "
            "required elsewhere, e.g. `istio` or `kgateway`)."
        ),
    )


Hostname = Annotated[
    str,
    Field(
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$",
        max_length=200,
        description="A DNS name of lower-case labels, e.g. `lab.example.com`.",
    ),
]


class ExposureTls(_Model):
    clusterIssuer: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description=(
            "A cert-manager ClusterIssuer that signs the lab's certificates, created outside "
            "the lab: an ACME issuer (Let's Encrypt with a DNS-01 or HTTP-01 solver) or your "
            "own CA."
        ),
    )
    selfSigned: bool = Field(
        default=False,
        description=(
            "Sign with labgen's self-signed ClusterIssuer instead (clients must skip "
            "verification: for a lab without a public domain)."
        ),
    )


class ApiKeyLimits(_Model):
    requestsPerMinute: int = Field(default=60, ge=1, description="Requests per minute per key.")
    tokensPerMinute: int = Field(
        default=100000,
        ge=1,
        description="Tokens (prompt + completion, `usage.total_tokens`) per minute per key.",
    )


class Exposure(_Model):
    domain: Hostname = Field(
        description=(
            "Base domain: models at `<model>.<domain>`, Open WebUI at `chat.<domain>`, "
            "Grafana at `grafana.<domain>` (point them, or `*.<domain>`, at the Gateway)."
        )
    )
    tls: ExposureTls = Field(description="Where the certificates come from (cert-manager).")
    models: list[DnsLabel] = Field(
        default_factory=list,
        description=(
            "Models (spec.models[].name) reachable from outside, each on its own host, "
            "behind API keys (needs `operators.kuadrant`)."
        ),
    )
    openWebUI: bool = Field(
        default=False, description="Open WebUI (`apps.openWebUI`) on `chat.<domain>`."
    )
    grafana: bool = Field(
        default=False,
        description="Grafana (Kubernetes, `observability.grafana`) on `grafana.<domain>`.",
    )
    limits: ApiKeyLimits = Field(
        default_factory=ApiKeyLimits, description="Per API key limits on every exposed model."
    )


class RuleWaiver(_Model):
    rule: str = Field(
        pattern=r"^[a-z]+/[a-z-]+$",
        description="A `labgen check` rule id, e.g. `hygiene/resource-requests`.",
    )
    reason: str = Field(min_length=10, description="Why the lab accepts what the rule flags.")


class CheckSettings(_Model):
    disable: list[RuleWaiver] = Field(
        default_factory=list,
        description=(
            "`labgen check` rules disabled for this lab's overlays and Applications, each "
            "with a reason (per object: the `labgen.dev/check-skip` annotation)."
        ),
    )


class LabSpec(_Model):
    cluster: Cluster = Field(description="The cluster the lab runs on.")
    gitops: GitOps = Field(description="Where Argo CD finds the rendered tree.")
    versions: dict[str, VersionOverride] = Field(
        default_factory=dict,
        description="Overrides of the pinned release table by release key (see `labgen plan`).",
    )
    gpuPools: list[GpuPool] = Field(default_factory=list, description="GPU node pools.")
    operators: Operators = Field(
        default_factory=Operators, description="Cluster operators the lab installs."
    )
    models: list[ServedModel] = Field(default_factory=list, description="Models to serve.")
    gateway: Gateway = Field(
        default_factory=Gateway, description="Gateway for llm-d inference routing."
    )
    benchmarks: list[Benchmark] = Field(
        default_factory=list, description="GuideLLM benchmarks, run after serving is ready."
    )
    matrices: list[Matrix] = Field(
        default_factory=list,
        description="Benchmark matrices: every configuration of models x hardware x workloads.",
    )
    observability: Observability | None = Field(
        default=None,
        description=(
            "Dashboards, alerts and GPU/EPP/CloudNativePG scrape targets (needs "
            "`operators.monitoring`); `{}` enables them with defaults."
        ),
    )
    databases: list[Database] = Field(
        default_factory=list, description="PostgreSQL databases (CloudNativePG)."
    )
    apps: Apps = Field(default_factory=Apps, description="Applications that use the lab.")
    exposure: Exposure | None = Field(
        default=None,
        description=(
            "What is reachable from outside the cluster, over HTTPS through one Gateway "
            "(default: nothing)."
        ),
    )
    check: CheckSettings = Field(
        default_factory=CheckSettings, description="How `labgen check` treats this lab."
    )


class Lab(_Model):
    """A whole LLM inference lab."""

    apiVersion: Literal["labgen.dev/v1alpha1"] = Field(description="Spec version.")
    kind: Literal["Lab"] = Field(description="Always `Lab`.")
    metadata: Metadata = Field(description="Name and description of the lab.")
    spec: LabSpec = Field(description="What the lab contains.")


class LoadedLab(BaseModel):
    """A validated spec with the document it came from (for positioned errors later)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    lab: Lab
    document: LoadedDocument


def json_schema() -> dict[str, Any]:
    """JSON Schema of the spec, for editors (``schemas/lab.schema.json``)."""
    schema = Lab.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://labgen.dev/schemas/lab.schema.json"
    schema["title"] = "labgen Lab"
    return schema


def parse_lab(text: str, file: str) -> LoadedLab:
    """Parse and shape-check one spec; raises SpecError with every problem found."""
    too_large = size_problem(
        len(text.encode("utf-8", "surrogatepass")), MAX_SPEC_BYTES, "a lab spec"
    )
    if too_large is not None:
        raise SpecError([Diagnostic(file, 1, 1, "", too_large)])
    try:
        document = load_document(text, file)
    except YamlSyntaxError as exc:
        raise SpecError([exc.diagnostic]) from None
    if not isinstance(document.data, dict):
        raise SpecError([Diagnostic(file, 1, 1, "", "a lab spec must be a YAML mapping")])
    try:
        lab = Lab.model_validate(document.data, strict=True)
    except ValidationError as exc:
        raise SpecError(_diagnostics(exc, document)) from None
    return LoadedLab(lab=lab, document=document)


def load_lab(path: Path, display: str | None = None) -> LoadedLab:
    """Read and parse the spec at ``path``; ``display`` is the name used in messages."""
    name = display or str(path)
    try:
        too_large = size_problem(path.stat().st_size, MAX_SPEC_BYTES, "a lab spec")
        if too_large is not None:  # not even read
            raise SpecError([Diagnostic(name, 1, 1, "", too_large)])
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([Diagnostic(name, 0, 0, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise SpecError([Diagnostic(name, 0, 0, "", "not UTF-8 text")]) from None
    return parse_lab(text, name)


def _diagnostics(exc: ValidationError, document: LoadedDocument) -> list[Diagnostic]:
    out = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        out.append(document.diagnostic(loc, _message(error, loc)))
    return out


def _message(error: ErrorDetails, loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        hint = _did_you_mean(str(loc[-1]), known)
        return f"unknown field {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}, got {error['input']!r}".replace(
            " or ", ", "
        ) + _did_you_mean(str(error["input"]), _literal_choices(str(ctx.get("expected", ""))))
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} does not match {ctx.get('pattern')}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"must be a mapping, got {_type_name(error['input'])}"
    if kind == "list_type":
        return f"must be a list, got {_type_name(error['input'])}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be an integer, got {error['input']!r}"
    if kind in {"string_type"}:
        got = error["input"]
        hint = (
            f' (quote it: "{got}"; YAML reads 1.30 as the number 1.3)'
            if isinstance(got, int | float) and not isinstance(got, bool)
            else ""
        )
        return f"must be a string, got {_type_name(got)} {got!r}{hint}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false, got {error['input']!r}"
    return error["msg"][0].lower() + error["msg"][1:]


def _type_name(value: object) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a value")


def _literal_choices(expected: str) -> list[str]:
    return [c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",")]


def _did_you_mean(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at ``loc`` (for did-you-mean hints)."""
    model: Any = Lab
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            continue  # a key of a mapping field such as spec.versions
        model = _inner_model(field.annotation)
    return list(model.model_fields) if model is not None else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
