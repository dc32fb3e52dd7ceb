"""The lab spec as people write it: pydantic models, loading with positions.

This module only checks the shape of a spec (types, enums, unknown keys). Rules that
need facts (which instance types a provider sells, which MIG profiles a GPU has) live
in :mod:`labgen.plan`, which turns a valid spec into a resolved plan.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from labgen.errors import Diagnostic, SpecError
from labgen.yamlio import LoadedDocument, YamlSyntaxError, load_document

API_VERSION = "labgen.dev/v1alpha1"

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
AcceleratorName = Literal["L4", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200-141GB"]
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
    platform: Literal["openshift", "kubernetes"] = Field(
        description="`openshift` installs operators through OLM; `kubernetes` through Helm."
    )
    provider: Literal["aws", "ibmcloud", "gcp", "baremetal", "kind"] = Field(
        description="Where the cluster runs; decides how GPU node pools are created."
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
            "OpenShift on aws: the RHCOS AMI ID of the cluster's worker MachineSets "
            "(`ami-...`); default: looked up by the RHCOS name filter. OpenShift on "
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
    accelerator: AcceleratorName = Field(description="GPU model of every node in the pool.")
    gpusPerNode: int = Field(ge=1, le=16, description="GPUs per node; picks the instance type.")
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
        description="Taint on the pool's nodes; everything placed there tolerates it.",
    )


class OperatorOptions(_Model):
    """Options shared by every operator; `{}` enables the operator with defaults."""


class GpuOperatorOptions(_Model):
    driver: bool | None = Field(
        default=None,
        description=(
            "Let the GPU Operator install the NVIDIA driver (default: true, except on gcp "
            "and on Kubernetes on aws, whose GKE and EKS accelerated node images ship it)."
        ),
    )
    dcgmExporter: bool = Field(default=True, description="Run the DCGM exporter for GPU metrics.")


class Operators(_Model):
    gpuOperator: GpuOperatorOptions | None = Field(default=None, description="NVIDIA GPU Operator.")
    nfd: OperatorOptions | None = Field(default=None, description="Node Feature Discovery.")
    certManager: OperatorOptions | None = Field(default=None, description="cert-manager.")
    keda: OperatorOptions | None = Field(default=None, description="KEDA event-driven autoscaling.")
    gatewayApi: OperatorOptions | None = Field(
        default=None, description="Gateway API (CRDs on Kubernetes, a GatewayClass on OpenShift)."
    )
    leaderWorkerSet: OperatorOptions | None = Field(
        default=None, description="LeaderWorkerSet, for multi-node serving."
    )
    cnpg: OperatorOptions | None = Field(default=None, description="CloudNativePG.")
    monitoring: OperatorOptions | None = Field(
        default=None,
        description=(
            "Metrics for lab workloads: user-workload monitoring on OpenShift, "
            "kube-prometheus-stack elsewhere."
        ),
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
