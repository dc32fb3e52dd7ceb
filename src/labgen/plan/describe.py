"""The plan as readable data for ``labgen plan`` (the CLI turns it into tables)."""

from __future__ import annotations

from dataclasses import dataclass

from labgen.data.servers import SERVERS
from labgen.data.types import GitRelease, HelmRelease, OlmRelease, Release
from labgen.plan.exposure import SELF_SIGNED_ISSUER
from labgen.plan.fit import CpuFit
from labgen.plan.model import LabPlan, PoolPlan


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _instance(pool: PoolPlan) -> str:
    t = pool.instance_type
    return f"{t.name} ({t.vcpus} vCPU, {t.memory_gib} GiB)" if t else "(made outside labgen)"


def pool_table(plan: LabPlan) -> Table:
    rows = tuple(
        (
            p.name,
            f"cpu, {p.memory_gib} GiB RAM" if p.cpu else f"{p.gpus_per_node}x {p.accelerator.id}",
            _instance(p),
            f"{p.min_nodes}-{p.max_nodes}",
            f"{p.mig_strategy}"
            + (f" {p.mig_profile} ({p.gpu_resources_per_node}/node)" if p.mig_profile else ""),
            ", ".join(p.zones) or "-",
            p.taint_text or "-",
            p.provisioner,
        )
        for p in plan.pools
    )
    return Table(
        "GPU pools",
        ("pool", "GPUs/node", "instance type", "nodes", "MIG", "zones", "taint", "nodes made by"),
        rows,
    )


def gcloud_commands(plan: LabPlan) -> list[str]:
    """``gcloud`` commands creating the GKE node pools the plan expects (provider gcp)."""
    if plan.provider != "gcp":
        return []
    driver = "disabled" if plan.gpu_operator and plan.gpu_operator.driver else "latest"
    commands = []
    for pool in plan.pools:
        assert pool.instance_type is not None
        assert pool.accelerator.gke_label is not None
        accelerator = (
            f"type={pool.accelerator.gke_label},count={pool.gpus_per_node},"
            f"gpu-driver-version={driver}"
        )
        if pool.mig_profile:
            accelerator += f",gpu-partition-size={pool.mig_profile}"
        labels = {**pool.node_labels, "gke-no-default-nvidia-gpu-device-plugin": "true"}
        parts = [
            f"gcloud container node-pools create {pool.name}",
            f"--cluster={plan.cluster_name}",
            f"--region={plan.region}",
            f"--machine-type={pool.instance_type.name}",
            f"--accelerator={accelerator}",
            "--enable-autoscaling",
            f"--total-min-nodes={pool.min_nodes}",
            f"--total-max-nodes={pool.max_nodes}",
            "--node-labels=" + ",".join(f"{k}={v}" for k, v in labels.items()),
            f"--node-taints={pool.taint_text}",
        ]
        if pool.zones:
            parts.append(f"--node-locations={','.join(pool.zones)}")
        commands.append(" \\\n    ".join(parts))
    return commands


def model_table(plan: LabPlan) -> Table:
    """Per model: the fit planner's numbers (GiB per GPU)."""
    rows = []
    for m in plan.models:
        fit = m.fit
        parallel = f"TP {fit.tp}" + (f" x PP {fit.pp}" if fit.pp > 1 else "")
        if m.nodes_per_replica > 1:
            parallel += f" ({m.nodes_per_replica} nodes)"
        replicas = (
            f"{m.autoscaling.min_replicas}-{m.autoscaling.max_replicas} ({m.autoscaling.metric})"
            if m.autoscaling
            else str(m.replicas)
        )
        if m.prefill is not None:
            replicas += f" + {m.prefill.replicas} prefill (TP {m.prefill.fit.tp})"
        rows.append(
            (
                m.name,
                m.arch.id,
                m.server + (f" / {m.routing}" if m.routing else ""),
                f"{m.pool.name} ({fit.device.name})",
                parallel,
                fit.dtype + (" kv:fp8" if fit.kv_cache_dtype == "fp8" else ""),
                f"{fit.weights_gib:.1f} / {fit.weights_per_gpu_gib:.1f}",
                f"{fit.kv_bytes_per_token // 1024} KiB",
                # cpu: the whole GiB vLLM's CPU backend allocates (VLLM_CPU_KVCACHE_SPACE)
                f"{fit.kv_space_gib} (RAM)"
                if isinstance(fit, CpuFit)
                else f"{fit.kv_budget_per_gpu_gib:.1f}",
                f"{fit.max_model_len} x {fit.max_sequences}",
                replicas,
            )
        )
    return Table(
        "Models (memory in GiB per GPU, or of the node's RAM on cpu; formula in docs/serving.md)",
        (
            "model",
            "checkpoint",
            "server",
            "pool",
            "parallelism",
            "dtype",
            "weights total / GPU",
            "KV per token",
            "KV budget",
            "max len x seqs",
            "replicas",
        ),
        tuple(rows),
    )


def downsized_table(plan: LabPlan) -> Table | None:
    """What a single-node lab runs smaller than its spec says (None for other labs)."""
    if not plan.downsized:
        return None
    return Table(
        "Downsized for one node (the spec is unchanged; on a cluster it runs as written)",
        ("field", "spec", "one node"),
        tuple((d.field, d.was, d.now) for d in plan.downsized),
    )


def database_table(plan: LabPlan) -> Table:
    """Per database: size, image, pooler, backups, and what connects to it."""
    ui = plan.open_webui
    rows = tuple(
        (
            f"{db.namespace}/{db.name}",
            db.database,
            f"{db.instances} x {db.storage}",
            db.image.split("@")[0].rpartition(":")[2],
            f"{db.pooler.instances} ({db.pooler.pool_mode})" if db.pooler else "-",
            f"{db.backup.schedule} -> {db.backup.destination}" if db.backup else "-",
            f"Secret {db.app_secret}"
            + (", Open WebUI" if ui is not None and ui.database == db else ""),
        )
        for db in plan.databases
    )
    return Table(
        "Databases (pgvector on CloudNativePG)",
        ("cluster", "database", "instances", "image", "pooler", "backups", "clients"),
        rows,
    )


def catalog_table() -> Table:
    from labgen.data.models import MODELS

    rows = tuple(
        (
            m.id,
            m.slug,
            f"{m.params_b:g}" + (f" ({m.active_params_b:g} active)" if m.active_params_b else ""),
            str(m.layers),
            f"{m.heads}/{m.kv_heads}",
            str(m.head_dim),
            str(m.max_context),
            m.native_dtype,
            "yes" if m.gated else "no",
        )
        for m in MODELS.values()
    )
    return Table(
        "Model catalog",
        (
            "model",
            "short name",
            "params (B)",
            "layers",
            "heads/KV",
            "head dim",
            "context",
            "weights",
            "gated",
        ),
        rows,
    )


# Releases that are not named after the operator key that uses them.
_RELEASE_USERS = {"kube-prometheus-stack": "monitoring"}


_SERVING_RELEASES = frozenset(key for traits in SERVERS.values() for key in traits.releases)


def used_releases(plan: LabPlan) -> list[str]:
    """Keys of the release-table rows the lab installs something from."""
    used = []
    serving = {key for m in plan.models for key in SERVERS[m.server].releases}
    for key in sorted(plan.releases):
        if key in _SERVING_RELEASES:
            if key in serving:
                used.append(key)
        elif key == "open-webui":
            if plan.open_webui is not None:
                used.append(key)
        elif key == "karpenter":
            if any(p.provisioner == "karpenter" for p in plan.pools):
                used.append(key)
        elif plan.has(_RELEASE_USERS.get(key, key)):
            used.append(key)
    return used


def versions_table(plan: LabPlan) -> Table:
    rows = []
    for key in used_releases(plan):
        release = plan.releases[key]
        rows.append((key, release.version, _installed_as(plan, release)))
    return Table("Pinned versions", ("release", "version", "installed as"), tuple(rows))


def _installed_as(plan: LabPlan, release: Release) -> str:
    match release:
        case OlmRelease(olm=olm) if plan.platform.operators_from_olm:
            csv = f" from {olm.starting_csv}" if olm.starting_csv else ""
            return f"OLM {olm.package} channel {olm.channel}{csv}"
        case HelmRelease(helm=chart):
            return f"chart {chart.chart} {chart.version}"
        case GitRelease(git=git):
            return f"git {git.repo_url} {git.path}@{git.ref}"
    return "-"


def matrix_tables(plan: LabPlan) -> list[Table]:
    """Per matrix: what the expansion kept, what it pruned and why, and the batches."""
    if not plan.matrices:
        return []
    summary = Table(
        "Benchmark matrices",
        ("matrix", "namespace", "expanded", "kept", "pruned", "batches (Jobs)", "GPU quota"),
        tuple(
            (
                m.name,
                m.namespace,
                str(m.expanded),
                str(len(m.configs)),
                str(sum(n for _, n in m.pruned)),
                str(len(m.batches)),
                ", ".join(f"{p.name} {plan.gpu_budgets[p.name]}" for p in m.pools),
            )
            for m in plan.matrices
        ),
    )
    pruned = Table(
        "Pruned configurations",
        ("matrix", "configurations", "reason"),
        tuple((m.name, str(n), why) for m in plan.matrices for why, n in m.pruned),
    )
    batches = Table(
        "Matrix batches",
        ("matrix", "batch", "model", "dtype", "GPUs", "max-model-len", "configurations"),
        tuple(
            (
                m.name,
                f"{b.index:04d}",
                b.server.arch.id,
                b.server.fit.dtype,
                f"{b.server.fit.gpus}x {b.server.pool.accelerator.id} ({b.server.pool.name})",
                str(b.server.fit.max_model_len),
                str(len(b.configs)),
            )
            for m in plan.matrices
            for b in m.batches
        ),
    )
    return [summary, *([pruned] if pruned.rows else []), batches]


def plan_tables(plan: LabPlan) -> list[Table]:
    """The tables of ``labgen plan``, in order (before its Applications)."""
    tables = [pool_table(plan)]
    if plan.models:
        tables.append(model_table(plan))
    if plan.databases:
        tables.append(database_table(plan))
    exposure = exposure_table(plan)
    if exposure is not None:
        tables.append(exposure)
    tables += [t for t in (downsized_table(plan),) if t is not None]
    return [*tables, versions_table(plan), *matrix_tables(plan)]


def monitoring_notes(plan: LabPlan) -> list[str]:
    """What the user must set on OpenShift when the spec leaves
    ``cluster-monitoring-config`` to them (labgen would replace its whole content)."""
    own_stack = plan.platform.monitoring.config_map is not None  # OpenShift's
    if not (own_stack and plan.has("monitoring")) or plan.cluster_monitoring_config:
        return []
    return [
        "OpenShift user-workload monitoring must be on for the lab's ServiceMonitors, "
        "PodMonitors and rules. labgen leaves ConfigMap "
        "openshift-monitoring/cluster-monitoring-config to you: it holds the cluster's "
        "retention, storage and alerting settings in one key.",
        "Add `enableUserWorkload: true` to its `config.yaml` (create the ConfigMap if it "
        "does not exist): oc -n openshift-monitoring edit configmap cluster-monitoring-config",
        "Or let the lab own it: spec.operators.monitoring.clusterMonitoringConfig with the "
        "whole config.yaml (enableUserWorkload: true and every setting you keep).",
    ]


def backup_notes(plan: LabPlan) -> list[str]:
    """Databases backed up with CloudNativePG's in-tree Barman Cloud support: deprecated
    since 1.26 and removed in 1.31 (1.29.2 release notes, cloudnative-pg #11083); the
    Barman Cloud plugin (plugin-barman-cloud) replaces it."""
    backed_up = [db.name for db in plan.databases if db.backup is not None]
    if not backed_up:
        return []
    version = plan.releases["cnpg"].version
    return [
        f"Backups of {', '.join(backed_up)} use CloudNativePG's in-tree "
        f"`spec.backup.barmanObjectStore` (CloudNativePG {version}): deprecated since 1.26 "
        "and removed in 1.31, so pin `cnpg` below 1.31 until they move.",
        "The move is to the Barman Cloud plugin (cloudnative-pg/plugin-barman-cloud, needs "
        "CloudNativePG 1.30+ and cert-manager): an ObjectStore (barmancloud.cnpg.io) per "
        "database holding today's barmanObjectStore settings and the retention policy, the "
        "Cluster's `spec.plugins` naming it as WAL archiver, and ScheduledBackups with "
        "`method: plugin`. labgen does not render these yet: there is no upstream schema "
        "for ObjectStore to validate them against (docs/data.md).",
    ]


def exposure_table(plan: LabPlan) -> Table | None:
    """Every public URL of the lab, what answers there and how it is protected."""
    exposure = plan.exposure
    if exposure is None:
        return None
    rows = tuple(
        (
            r.url,
            f"{r.backend_kind} {r.namespace}/{r.backend_name}"
            + (f":{r.port}" if r.port is not None else ""),
            "API key" if r.api_keys else "own login",
        )
        for r in exposure.routes
    )
    return Table("Exposure", ("URL", "backend", "access"), rows)


def exposure_notes(plan: LabPlan) -> list[str]:
    """DNS records to create, how to make an API key (never rendered: keys stay out of
    git) and how to call a model with it."""
    exposure = plan.exposure
    if exposure is None:
        return []
    gateway = f"-n {exposure.gateway_namespace} gateway/{exposure.gateway_name}"
    notes = [
        f"DNS: point {', '.join(exposure.hosts)} (or *.{exposure.domain}) at the Gateway's "
        f"address: kubectl get {gateway} -o jsonpath='{{.status.addresses[0].value}}'",
        f"Certificates: cert-manager, ClusterIssuer {exposure.issuer}"
        + (
            " (self-signed: clients must skip verification, curl -k)"
            if exposure.issuer == SELF_SIGNED_ISSUER
            else " (it must exist in the cluster)"
        ),
    ]
    models = [r for r in exposure.routes if r.api_keys and r.model is not None]
    if models and exposure.api_key_namespace is not None:
        labels = " ".join(f"{k}={v}" for k, v in sorted(exposure.api_key_labels.items()))
        ns = exposure.api_key_namespace
        notes += [
            f"API keys are Secrets in {ns} with key api_key, labels {labels} and the "
            "holder in annotation secret.kuadrant.io/user-id (limits count per holder: "
            f"{exposure.requests_per_minute} requests and {exposure.tokens_per_minute} "
            "tokens a minute). Create one (never commit it):",
            f"  kubectl -n {ns} create secret generic api-key-alice "
            '--from-literal=api_key="$(openssl rand -hex 24)"',
            f"  kubectl -n {ns} label secret api-key-alice {labels}",
            f"  kubectl -n {ns} annotate secret api-key-alice secret.kuadrant.io/user-id=alice",
            f"  KEY=$(kubectl -n {ns} get secret api-key-alice -o jsonpath='{{.data.api_key}}' "
            "| base64 -d)",
        ]
        first = models[0]
        assert first.model is not None
        insecure = "-k " if exposure.issuer == SELF_SIGNED_ISSUER else ""
        notes.append(
            f"Call a model: curl {insecure}{first.url}/v1/chat/completions "
            '-H "Authorization: Bearer $KEY" -H "Content-Type: application/json" '
            f'-d \'{{"model": "{first.model.served_name}", "messages": '
            '[{"role": "user", "content": "Hello"}]}\''
        )
        notes.append(
            "Revoke a key by deleting its Secret. Streamed responses count tokens only with "
            '"stream_options": {"include_usage": true}.'
        )
    ui = plan.open_webui
    if ui is not None and ui.url is not None and ui.admin_secret is not None:
        notes.append(
            f"Open WebUI at {ui.url}: create Secret {ui.namespace}/{ui.admin_secret} "
            "(WEBUI_ADMIN_EMAIL, WEBUI_ADMIN_PASSWORD) before its first start; it creates "
            "that admin and keeps sign-up closed."
        )
    return notes
