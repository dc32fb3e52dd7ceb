"""Record types of labgen's fact tables (hardware, releases).

The tables themselves live beside this module (``hardware.py``, ``releases.py``); every
entry there names the vendor page its facts were checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

# The names a spec may use. Each is written once: the spec's models, the plan and `labgen
# init` take them from here or from the table that owns them (weight formats below, GPU
# models in hardware.py, servers in servers.py); tests/unit/test_spec_tables.py checks the
# spec against the fact tables.
Platform = Literal["openshift", "kubernetes"]
Provider = Literal["aws", "ibmcloud", "gcp", "baremetal", "kind", "k3s"]

BYTES_PER_PARAM: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,  # W8A8
    "int4": 0.5,  # AWQ / GPTQ; group scales are not counted
    "mxfp4": 4.25 / 8,  # 4-bit values plus one 8-bit scale per 32
}
"""The weight formats (``dtype``) a model can be served in, and the bytes one parameter
takes in each (what the fit planner counts)."""

# pydantic reads the Literal built from the table (allowed values, JSON Schema enum, error
# messages); mypy sees a plain string.
if TYPE_CHECKING:
    Dtype = str
else:
    Dtype = Literal[tuple(BYTES_PER_PARAM)]


AcceleratorKind = Literal["datacenter", "workstation", "cpu"]
"""``datacenter``: a GPU clouds sell (instance types, serving catalog entry points);
``workstation``: a desktop or workstation card (no instance types, no catalog entry points);
``cpu``: no GPU at all, vLLM's CPU image in the node's RAM."""


@dataclass(frozen=True)
class Accelerator:
    """One NVIDIA GPU model as labgen knows it (or ``cpu``: none)."""

    id: str
    """Spec name, e.g. ``H100-80GB``."""
    memory_gib: int
    """Device memory in GiB as sold (80 for an H100 80GB; 0 for ``cpu``, whose pools give
    their nodes' memory)."""
    product_label: str
    """Value GPU Feature Discovery puts in ``nvidia.com/gpu.product`` (the NVML device name
    with spaces as ``-``); empty for ``cpu``."""
    gke_label: str | None
    """Value of ``cloud.google.com/gke-accelerator`` on GKE, or None if GKE does not offer it."""
    mig: tuple[tuple[str, int], ...]
    """MIG profiles (``1g.10gb`` ...), each with how many instances of it one GPU holds when
    the whole GPU uses that profile; empty when the GPU is not MIG-capable."""
    source: str
    """Vendor page the facts were checked against."""
    cuda_memory_mib: int = 0
    """Device memory CUDA sees (``nvidia-smi --query-gpu=memory.total``), which is what
    vLLM's ``gpu-memory-utilization`` is a fraction of; less than the marketing figure."""
    kind: AcceleratorKind = "datacenter"

    @property
    def gpu(self) -> bool:
        return self.kind != "cpu"

    @property
    def mig_profiles(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.mig)

    def mig_instances(self, profile: str) -> int:
        return dict(self.mig)[profile]


@dataclass(frozen=True)
class InstanceType:
    """One cloud machine type carrying GPUs."""

    provider: Provider
    name: str
    accelerator: str
    """``Accelerator.id`` of its GPUs."""
    gpus: int
    vcpus: int
    memory_gib: int
    source: str


@dataclass(frozen=True)
class HelmChart:
    """A pinned Helm chart."""

    repo_url: str
    """Chart repository URL: ``https://...`` (a Helm repository with an index.yaml) or
    ``oci://registry/path`` (the chart is the artifact ``<repo_url>/<chart>``)."""
    chart: str
    version: str

    @property
    def oci(self) -> bool:
        return self.repo_url.startswith("oci://")

    @property
    def source_repo(self) -> str:
        """The repoURL an Argo CD source (and AppProject) names: OCI charts are Argo CD's
        native OCI sources (v3.1+), which need no pre-registered repository."""
        return f"{self.repo_url}/{self.chart}" if self.oci else self.repo_url


@dataclass(frozen=True)
class OlmPackage:
    """A pinned OLM package on OpenShift."""

    package: str
    channel: str
    source: str
    """CatalogSource: ``redhat-operators``, ``certified-operators``, ``community-operators``."""
    starting_csv: str
    namespace: str
    all_namespaces: bool
    """True: OperatorGroup without targetNamespaces (AllNamespaces install mode)."""


@dataclass(frozen=True)
class GitManifests:
    """Plain manifests at a path of a git repository, pinned to a tag."""

    repo_url: str
    path: str
    ref: str


@dataclass(frozen=True)
class Release:
    """One row of the pinned release table: an image or version-only release (a server,
    a benchmark tool); the subclasses below say how an operator is installed.

    Code that needs a chart, an OLM package or a git path narrows the row with
    ``isinstance``/``match`` (or :func:`labgen.data.releases.release_as`), so mypy proves
    the field is there and a wrong row fails loudly, also under ``python -O``."""

    key: str
    """Release key users override in ``spec.versions`` (e.g. ``gpu-operator``)."""
    version: str
    """Upstream application version (the tag whose CRDs labgen validates against)."""
    images: dict[str, str] = field(default_factory=dict)
    """Pinned images by role."""
    crd_groups: tuple[str, ...] = ()
    """API groups whose CRDs installing this release by OLM or from git creates (``labgen
    check`` uses them to order custom resources after the Application that provides their
    CRDs). A Helm chart's are measured: ``labgen.data.charts``."""
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class HelmRelease(Release):
    """Installed from its pinned Helm chart."""

    helm: HelmChart


@dataclass(frozen=True, kw_only=True)
class OlmRelease(HelmRelease):
    """An operator installed through OLM where the platform has it (OpenShift), from its
    Helm chart elsewhere."""

    olm: OlmPackage


@dataclass(frozen=True, kw_only=True)
class GitRelease(Release):
    """Plain manifests (CRDs) applied from a git repository."""

    git: GitManifests
