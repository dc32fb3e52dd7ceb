"""spec -> plan: apply defaults, look facts up in labgen's tables, check cross-field rules.

Pure: no I/O. Every problem is collected (with its position in the spec) before raising.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from labgen.data.benchmarks import GUIDELLM
from labgen.data.hardware import ACCELERATORS, CPU, INSTANCE_TYPES
from labgen.data.platforms import PLATFORMS, Platform, Provisioner
from labgen.data.releases import RELEASES
from labgen.data.rules import RULES
from labgen.data.serving import EPP, KSERVE, VLLM, generation
from labgen.data.types import (
    Accelerator,
    GitRelease,
    HelmRelease,
    InstanceType,
    OlmRelease,
    Release,
)
from labgen.errors import Diagnostic, PathPart, SpecError
from labgen.plan import single_node
from labgen.plan.benchmarks import resolve_benchmarks
from labgen.plan.data import resolve_databases, resolve_open_webui
from labgen.plan.endpoints import gateway_class_of
from labgen.plan.exposure import resolve_exposure
from labgen.plan.matrix import gpu_budgets, resolve_matrices
from labgen.plan.model import GitOpsPlan, GpuOperatorPlan, LabPlan, PoolPlan, Taint
from labgen.plan.observability import resolve_cluster_monitoring_config, resolve_observability
from labgen.plan.serving import resolve_models
from labgen.spec import OPERATOR_FIELDS, GpuPool, Lab, LoadedLab

# Longest suffix labgen appends to the lab name for an Application (see components).
LONGEST_APP_SUFFIX = "-gpu-operator-instance"
MAX_APP_NAME = 63

_ZONE_SHAPES = {
    "aws": ("{region}[a-z]", "us-east-2a"),
    "gcp": ("{region}-[a-z]", "us-central1-a"),
    "ibmcloud": ("{region}-[1-3]", "us-south-1"),
}
_CLOUDS = ("aws", "gcp", "ibmcloud")
# Releases whose version picks version-dependent serving facts (data/serving.py).
_VERSIONED: dict[str, Sequence[Any]] = {
    "vllm": VLLM,
    "llm-d-router": EPP,
    "kserve": KSERVE,
    "guidellm": GUIDELLM,
}
OPERATORS = frozenset(OPERATOR_FIELDS.values())
"""Keys of the operators a spec can enable (each cluster-wide)."""


class _Collector:
    def __init__(self, loaded: LoadedLab) -> None:
        self.document = loaded.document
        self.diagnostics: list[Diagnostic] = []

    def error(self, path: tuple[PathPart, ...], message: str) -> None:
        self.diagnostics.append(self.document.diagnostic(path, message))


def build_plan(loaded: LoadedLab, spec_file: str) -> LabPlan:
    """Resolve a shape-valid spec into a plan, or raise SpecError with every problem."""
    # one machine runs one replica of everything (recorded, shown by `labgen plan`)
    lab, downsized = single_node.downsize(loaded.lab)
    errors = _Collector(loaded)
    cluster = lab.spec.cluster
    platform = PLATFORMS[cluster.platform]
    _check_cluster(lab, platform, errors)
    releases = _releases(lab, errors)
    checked = tuple(
        _pool(lab, platform, i, pool, errors) for i, pool in enumerate(lab.spec.gpuPools)
    )
    _check_pools(lab, checked, errors)
    pools = tuple(p for p in checked if p is not None)
    operators = lab.spec.operators.enabled()
    _check_operators(lab, platform, operators, errors)
    models = resolve_models(lab, list(pools), operators, releases, errors.error)
    single_node.check(lab, pools, models, errors.error)
    if any(m.autoscaling is not None and m.autoscaling.engine == "hpa" for m in models):
        operators |= {"prometheus-adapter"}  # serves vLLM metrics to the HPAs
    gateway_class = gateway_class_of(lab)
    benchmarks = resolve_benchmarks(lab, models, gateway_class, errors.error)
    pinned = {key: releases[key].version for key in ("vllm", "guidellm") if key in releases}
    matrices = resolve_matrices(lab, list(pools), models, operators, pinned, errors.error)
    observability = resolve_observability(lab, operators, errors.error)
    monitoring_config = resolve_cluster_monitoring_config(lab, errors.error)
    databases = resolve_databases(lab, operators, releases, errors.error)
    open_webui = resolve_open_webui(lab, models, databases, gateway_class, releases, errors.error)
    exposure = resolve_exposure(
        lab, models, operators, gateway_class, open_webui, observability, errors.error
    )
    if open_webui is not None and exposure is not None:
        route = exposure.app_route("open-webui")
        open_webui = dataclasses.replace(open_webui, url=route.url if route else None)
    if open_webui is not None and open_webui.oidc is not None and open_webui.url is None:
        errors.error(
            ("spec", "apps", "openWebUI", "oidc"),
            "OIDC login redirects to the UI's public URL: expose it with "
            "spec.exposure.openWebUI: true",
        )
    _check_waivers(lab, errors)
    _check_name(lab, errors)
    if errors.diagnostics:
        raise SpecError(errors.diagnostics)
    return LabPlan(
        name=lab.metadata.name,
        description=lab.metadata.description,
        spec_file=spec_file,
        platform=platform,
        provider=cluster.provider,
        kubernetes_version=cluster.kubernetesVersion,
        region=cluster.region,
        zones=tuple(cluster.zones),
        infrastructure_id=cluster.infrastructureId,
        cluster_name=cluster.clusterName or lab.metadata.name,
        machine_image=cluster.machineImage,
        gitops=_gitops(lab, platform),
        releases=releases,
        pools=pools,
        operators=operators,
        gpu_operator=_gpu_operator(lab, platform),
        models=models,
        gateway_class=gateway_class,
        benchmarks=benchmarks,
        matrices=matrices,
        gpu_budgets=gpu_budgets(list(pools), models),
        observability=observability,
        databases=databases,
        open_webui=open_webui,
        exposure=exposure,
        cluster_monitoring_config=monitoring_config,
        downsized=downsized,
    )


def _check_waivers(lab: Lab, errors: _Collector) -> None:
    for i, waiver in enumerate(lab.spec.check.disable):
        if waiver.rule not in RULES:
            errors.error(
                ("spec", "check", "disable", i, "rule"),
                f"unknown rule {waiver.rule!r}{_hint(waiver.rule, list(RULES))}",
            )


def _check_name(lab: Lab, errors: _Collector) -> None:
    if len(lab.metadata.name) + len(LONGEST_APP_SUFFIX) > MAX_APP_NAME:
        errors.error(
            ("metadata", "name"),
            f"too long: Application names are '<lab>{LONGEST_APP_SUFFIX}' and must fit in "
            f"{MAX_APP_NAME} characters, so the lab name may have at most "
            f"{MAX_APP_NAME - len(LONGEST_APP_SUFFIX)}",
        )


def _gitops(lab: Lab, platform: Platform) -> GitOpsPlan:
    gitops = lab.spec.gitops
    return GitOpsPlan(
        repo_url=gitops.repoURL,
        target_revision=gitops.targetRevision,
        argocd_namespace=gitops.argocdNamespace or platform.argocd_namespace,
        destination_server=gitops.destination.server,
        destination_name=gitops.destination.name,
        project=lab.metadata.name,
    )


def _gpu_operator(lab: Lab, platform: Platform) -> GpuOperatorPlan | None:
    """The GPU Operator's switches: its driver and toolkit stay off where the node image
    brings them (the platform's table, by provider)."""
    options = lab.spec.operators.gpuOperator
    if options is None:
        return None
    provider = lab.spec.cluster.provider
    return GpuOperatorPlan(
        driver=options.driver
        if options.driver is not None
        else provider not in platform.host_driver,
        toolkit=provider not in platform.host_toolkit,
        dcgm_exporter=options.dcgmExporter,
    )


def _check_cluster(lab: Lab, platform: Platform, errors: _Collector) -> None:
    cluster = lab.spec.cluster
    at = ("spec", "cluster")
    if cluster.provider not in platform.providers:
        elsewhere = [p.name for p in PLATFORMS.values() if cluster.provider in p.providers]
        errors.error(
            (*at, "provider"),
            f"{platform.title} does not run on {cluster.provider}; use platform: "
            f"{' or '.join(elsewhere)}",
        )
    if cluster.provider in _CLOUDS and cluster.region is None:
        errors.error((*at, "region"), f"required on provider {cluster.provider}")
    if cluster.provider not in _CLOUDS:
        if cluster.region is not None:
            errors.error((*at, "region"), f"has no meaning on provider {cluster.provider}")
        if cluster.zones:
            errors.error((*at, "zones"), f"have no meaning on provider {cluster.provider}")
    _check_machinesets(lab, platform, errors)
    _check_zones(lab, errors)
    destination = lab.spec.gitops.destination
    if destination.server is not None and destination.name is not None:
        errors.error(("spec", "gitops", "destination"), "set either server or name, not both")


def _check_machinesets(lab: Lab, platform: Platform, errors: _Collector) -> None:
    """The fields OpenShift's MachineSets need, and only they use."""
    cluster = lab.spec.cluster
    at = ("spec", "cluster")
    machinesets = platform.provisioner(cluster.provider) == "machineset"
    if machinesets and cluster.infrastructureId is None:
        errors.error(
            (*at, "infrastructureId"),
            f"required for OpenShift on {cluster.provider} (it names MachineSets, subnets "
            "and security groups); read it with `oc get infrastructure cluster "
            "-o jsonpath='{.status.infrastructureName}'`",
        )
    if machinesets and not cluster.zones:
        errors.error(
            (*at, "zones"), "list at least one zone: OpenShift renders a MachineSet per zone"
        )
    if not machinesets and cluster.infrastructureId is not None:
        errors.error((*at, "infrastructureId"), "only used by OpenShift on aws or ibmcloud")
    if cluster.machineImage is not None and not machinesets:
        errors.error((*at, "machineImage"), "only used by OpenShift on aws or ibmcloud")
    aws_machinesets = machinesets and cluster.provider == "aws" and bool(lab.spec.gpuPools)
    if aws_machinesets and cluster.machineImage is None:
        # openshift/machine-api-provider-aws resolves AMI filters to the newest matching
        # image (pkg/actuators/machine/instances.go, getAMI), so a name filter boots the
        # newest RHCOS, not the cluster's boot image; OpenShift's docs copy the AMI from
        # an existing worker MachineSet.
        errors.error(
            (*at, "machineImage"),
            "required for GPU pools on OpenShift on aws: the AMI of the cluster's worker "
            "MachineSets (a name filter would boot the newest RHCOS, not the cluster's "
            "boot image); read it with `oc -n openshift-machine-api get machineset "
            "-o jsonpath='{.items[0].spec.template.spec.providerSpec.value.ami.id}'`",
        )
    if (
        aws_machinesets
        and cluster.machineImage is not None
        and not re.fullmatch(r"ami-[0-9a-f]{8,17}", cluster.machineImage)
    ):
        errors.error((*at, "machineImage"), "an AMI ID looks like `ami-0123456789abcdef0`")


def _check_zones(lab: Lab, errors: _Collector) -> None:
    """Zones of the cluster's region, each once."""
    cluster = lab.spec.cluster
    at = ("spec", "cluster")
    if cluster.provider in _ZONE_SHAPES and cluster.region is not None:
        shape, example = _ZONE_SHAPES[cluster.provider]
        pattern = re.compile(shape.format(region=re.escape(cluster.region)) + "$")
        for i, zone in enumerate(cluster.zones):
            if not pattern.match(zone):
                example = (
                    example
                    if cluster.region in example
                    else _zone_example(cluster.provider, cluster.region)
                )
                errors.error(
                    (*at, "zones", i),
                    f"{zone!r} is not a zone of {cluster.provider} region {cluster.region!r} "
                    f"(expected e.g. {example!r})",
                )
        if len(set(cluster.zones)) != len(cluster.zones):
            errors.error((*at, "zones"), "zones must be unique")


def _zone_example(provider: str, region: str) -> str:
    return {"aws": f"{region}a", "gcp": f"{region}-a", "ibmcloud": f"{region}-1"}[provider]


def _releases(lab: Lab, errors: _Collector) -> Mapping[str, Release]:
    resolved = dict(RELEASES)
    for key, override in lab.spec.versions.items():
        at: tuple[PathPart, ...] = ("spec", "versions", key)
        release = RELEASES.get(key)
        if release is None:
            errors.error(
                at,
                f"unknown release {key!r}{_hint(key, list(RELEASES))}; "
                f"known: {', '.join(sorted(RELEASES))}",
            )
            continue
        if override.chartVersion is not None:
            if isinstance(release, HelmRelease):
                chart = dataclasses.replace(release.helm, version=override.chartVersion)
                release = dataclasses.replace(release, helm=chart)
            else:
                errors.error((*at, "chartVersion"), f"{key} is not installed from a Helm chart")
        if override.channel is not None or override.startingCSV is not None:
            if isinstance(release, OlmRelease):
                olm = dataclasses.replace(
                    release.olm,
                    channel=override.channel or release.olm.channel,
                    starting_csv=override.startingCSV or release.olm.starting_csv,
                )
                release = dataclasses.replace(release, olm=olm)
            else:
                field = "channel" if override.channel is not None else "startingCSV"
                errors.error((*at, field), f"{key} is not installed through OLM")
        if override.version is not None:
            release = _versioned(release, override.version, at, errors)
        if override.gitRef is not None:
            if isinstance(release, GitRelease):
                git = dataclasses.replace(release.git, ref=override.gitRef)
                release = dataclasses.replace(release, git=git)
            else:
                errors.error((*at, "gitRef"), f"{key} is not installed from git")
        resolved[key] = release
    return resolved


def _versioned(
    release: Release, version: str, at: tuple[PathPart, ...], errors: _Collector
) -> Release:
    """``release`` at the ``version`` a spec asks for, where labgen knows that version's
    facts (``labgen.data.serving``); unchanged with an error otherwise."""
    key = release.key
    table = _VERSIONED.get(key)
    if table is None:
        errors.error(
            (*at, "version"),
            f"{key} is pinned by chart, channel or git ref, not by `version`; "
            f"versionable: {', '.join(sorted(_VERSIONED))}",
        )
        return release
    try:
        generation(table, version)
    except ValueError as exc:
        errors.error((*at, "version"), f"{key}: {exc}")
        return release
    if isinstance(release, HelmRelease):  # KServe's charts are versioned with KServe
        chart = dataclasses.replace(release.helm, version=version)
        return dataclasses.replace(release, version=version, helm=chart)
    return dataclasses.replace(release, version=version)


def _pool(
    lab: Lab, platform: Platform, index: int, pool: GpuPool, errors: _Collector
) -> PoolPlan | None:
    """One GPU pool resolved (instance type, MIG, zones), or None when it has errors."""
    at: tuple[PathPart, ...] = ("spec", "gpuPools", index)
    cluster = lab.spec.cluster
    accelerator = ACCELERATORS[pool.accelerator]
    provisioner = platform.provisioner(cluster.provider)
    ok = True
    if pool.nodes.min > pool.nodes.max:
        errors.error(
            (*at, "nodes", "min"), f"min ({pool.nodes.min}) is above max ({pool.nodes.max})"
        )
        ok = False
    if not _check_node_shape(cluster.provider, pool, accelerator, at, errors):
        return None
    instance = _instance_type(cluster.provider, pool, at, errors)
    if cluster.provider in _CLOUDS and instance is None:
        ok = False
    mig = _mig(pool, accelerator, cluster.provider, at, errors)
    zones, zones_ok = _pool_zones(lab, pool, at, errors)
    sized = _check_size(provisioner, pool, zones, at, errors)
    if not (ok and zones_ok and sized and mig is not None):
        return None
    strategy, profile = mig
    taint = Taint(
        key=pool.taint.key,
        value=pool.taint.value if pool.taint.value is not None else accelerator.id,
        effect=pool.taint.effect,
    )
    return PoolPlan(
        name=pool.name,
        accelerator=accelerator,
        gpus_per_node=pool.gpusPerNode or 0,
        min_nodes=pool.nodes.min,
        max_nodes=pool.nodes.max,
        instance_type=instance,
        mig_strategy=strategy,
        mig_profile=profile,
        zones=zones,
        # A GPU pool's nodes keep other work off; a cpu pool's nodes (a workstation) need no
        # taint unless the spec asks for one.
        taint=taint if accelerator.gpu or "taint" in pool.model_fields_set else None,
        provisioner=provisioner,
        memory_gib=pool.memoryGiB,
    )


def _check_node_shape(
    provider: str,
    pool: GpuPool,
    accelerator: Accelerator,
    at: tuple[PathPart, ...],
    errors: _Collector,
) -> bool:
    """GPU pools give their GPUs per node, cpu pools their memory; cpu pools run on nodes
    labgen does not make (a workstation, a bare-metal server). False on an error."""
    ok = True
    if accelerator.gpu:
        if pool.gpusPerNode is None:
            errors.error((*at, "gpusPerNode"), f"required for a GPU pool ({accelerator.id})")
            ok = False
        if pool.memoryGiB is not None:
            errors.error(
                (*at, "memoryGiB"),
                "only for accelerator: cpu (a GPU pool's memory is its GPUs')",
            )
            ok = False
        return ok
    if pool.gpusPerNode is not None:
        errors.error((*at, "gpusPerNode"), "a cpu pool has no GPUs: drop gpusPerNode")
        ok = False
    if pool.memoryGiB is None:
        errors.error(
            (*at, "memoryGiB"),
            "required for accelerator: cpu: the memory of each node in GiB (`free -g`), which "
            "the model's weights and KV cache must fit in",
        )
        ok = False
    if provider in _CLOUDS:
        errors.error(
            (*at, "accelerator"),
            f"cpu pools are nodes labgen does not make (provider kind, k3s or baremetal); on "
            f"{provider} labgen makes GPU nodes only",
        )
        ok = False
    return ok


MigStrategy = Literal["none", "single", "mixed"]


def _mig(
    pool: GpuPool,
    accelerator: Accelerator,
    provider: str,
    at: tuple[PathPart, ...],
    errors: _Collector,
) -> tuple[MigStrategy, str | None] | None:
    """The pool's MIG strategy and single profile, or None when ``mig`` is wrong."""
    if pool.mig == "none":
        return "none", None
    if not accelerator.mig_profiles:
        errors.error((*at, "mig"), f"{accelerator.id} is not MIG-capable; use mig: none")
        return None
    if pool.mig == "mixed":
        if provider == "gcp":
            errors.error(
                (*at, "mig"),
                "GKE partitions GPUs with a single profile per node "
                "pool; use mig: single:<profile>",
            )
            return None
        return "mixed", None
    profile = pool.mig.split(":", 1)[1]
    if profile not in accelerator.mig_profiles:
        errors.error(
            (*at, "mig"),
            f"{accelerator.id} has no MIG profile {profile!r}"
            f"{_hint(profile, list(accelerator.mig_profiles))}; it has "
            f"{', '.join(accelerator.mig_profiles)}",
        )
        return None
    return "single", profile


def _pool_zones(
    lab: Lab, pool: GpuPool, at: tuple[PathPart, ...], errors: _Collector
) -> tuple[tuple[str, ...], bool]:
    """The pool's zones: its own or all of the cluster's; and False when its own are
    wrong (not the cluster's, or none)."""
    cluster_zones = lab.spec.cluster.zones
    ok = True
    for i, zone in enumerate(pool.zones or ()):
        if zone not in cluster_zones:
            errors.error(
                (*at, "zones", i),
                f"{zone!r} is not in spec.cluster.zones "
                f"({', '.join(cluster_zones) or 'none listed'})",
            )
            ok = False
    if pool.zones is not None and not pool.zones:
        errors.error((*at, "zones"), "list at least one zone, or omit the field for all zones")
        ok = False
    return (tuple(pool.zones) if pool.zones is not None else tuple(cluster_zones)), ok


def _check_size(
    provisioner: Provisioner,
    pool: GpuPool,
    zones: tuple[str, ...],
    at: tuple[PathPart, ...],
    errors: _Collector,
) -> bool:
    """What the way the pool's nodes are made asks of its size; False on an error."""
    if provisioner == "machineset" and zones and pool.nodes.max < len(zones):
        errors.error(
            (*at, "nodes", "max"),
            f"a pool spread over {len(zones)} zones needs max "
            f">= {len(zones)} (one MachineSet per zone); raise max or list fewer "
            "zones in the pool's `zones`",
        )
        return False
    if provisioner == "karpenter" and pool.nodes.min > 0:
        errors.error(
            (*at, "nodes", "min"),
            "Karpenter launches GPU nodes when pods need them and keeps no minimum; "
            "set min: 0 (max still caps the pool through the NodePool's GPU limit)",
        )
        return False
    return True


def _instance_type(
    provider: str, pool: GpuPool, at: tuple[PathPart, ...], errors: _Collector
) -> InstanceType | None:
    if provider not in _CLOUDS:
        if pool.instanceType is not None:
            errors.error((*at, "instanceType"), f"has no meaning on provider {provider}")
        return None
    offered = [t for t in INSTANCE_TYPES if t.provider == provider]
    if pool.instanceType is not None:
        by_name = {t.name: t for t in offered}
        chosen = by_name.get(pool.instanceType)
        if chosen is None:
            errors.error(
                (*at, "instanceType"),
                f"{provider} has no GPU instance type "
                f"{pool.instanceType!r}{_hint(pool.instanceType, list(by_name))}",
            )
            return None
        if chosen.accelerator != pool.accelerator or chosen.gpus != pool.gpusPerNode:
            errors.error(
                (*at, "instanceType"),
                f"{chosen.name} has {chosen.gpus}x "
                f"{chosen.accelerator}, not {pool.gpusPerNode}x {pool.accelerator}",
            )
            return None
        return chosen
    same_gpu = [t for t in offered if t.accelerator == pool.accelerator]
    if not same_gpu:
        sold = sorted({t.accelerator for t in offered})
        errors.error(
            (*at, "accelerator"),
            f"{provider} sells no {pool.accelerator} instances; it sells {', '.join(sold)}",
        )
        return None
    fitting = [t for t in same_gpu if t.gpus == pool.gpusPerNode]
    if not fitting:
        counts = ", ".join(str(n) for n in sorted({t.gpus for t in same_gpu}))
        errors.error(
            (*at, "gpusPerNode"),
            f"{provider} sells {pool.accelerator} with {counts} "
            f"GPUs per node, not {pool.gpusPerNode}",
        )
        return None
    return min(fitting, key=lambda t: (t.vcpus, t.memory_gib, t.name))


def _check_pools(lab: Lab, pools: tuple[PoolPlan | None, ...], errors: _Collector) -> None:
    seen: dict[str, int] = {}
    for i, pool in enumerate(lab.spec.gpuPools):
        if pool.name in seen:
            errors.error(
                ("spec", "gpuPools", i, "name"),
                f"duplicate pool name {pool.name!r} (also gpuPools[{seen[pool.name]}])",
            )
        seen.setdefault(pool.name, i)
    strategies = {p.mig_strategy for p in pools if p is not None} - {"none"}
    if len(strategies) > 1:
        index = next(i for i, p in enumerate(pools) if p is not None and p.mig_strategy == "mixed")
        errors.error(
            ("spec", "gpuPools", index, "mig"),
            "the GPU Operator's MIG strategy is "
            "cluster-wide: pools cannot mix `single:` and `mixed`",
        )


def _check_operators(
    lab: Lab, platform: Platform, operators: frozenset[str], errors: _Collector
) -> None:
    at = ("spec", "operators")
    # the GPU Operator's chart bundles NFD; its OLM package does not
    if platform.operators_from_olm and "gpu-operator" in operators and "nfd" not in operators:
        errors.error(
            (*at, "gpuOperator"),
            "on OpenShift the GPU Operator needs Node Feature Discovery: add `nfd: {}`",
        )
    if "kserve" in operators and "cert-manager" not in operators:
        errors.error(
            (*at, "kserve"),
            "KServe's charts issue their webhook certificates with cert-manager (Certificate, "
            "Issuer): add `certManager: {}`",
        )
    if any(p.accelerator != CPU.id for p in lab.spec.gpuPools) and "gpu-operator" not in operators:
        errors.error((*at,), "gpuPools need the NVIDIA GPU Operator: add `gpuOperator: {}`")


def _hint(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
