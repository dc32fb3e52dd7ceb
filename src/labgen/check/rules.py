"""Semantic rules only a lab-aware checker can run. Each has a stable id, a severity and a
one-line fix hint. An object opts out of rules with the annotation
``labgen.dev/check-skip: "<rule>[,<rule>...]: <reason>"`` (the reason is required)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from labgen.check.model import Finding
from labgen.check.netpol import Pod, Policies, selects
from labgen.data.platforms import GATEWAY_NAME_LABEL

SKIP_ANNOTATION = "labgen.dev/check-skip"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
SKIP_DRY_RUN = "SkipDryRunOnMissingResource=true"
MAX_APP_NAME = 63
_POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def skipped_rules(obj: dict[str, Any]) -> set[str]:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(SKIP_ANNOTATION, "")
    rules, _, reason = str(value).partition(":")
    if not reason.strip():
        return set()
    return {r.strip() for r in rules.split(",") if r.strip()}


def object_rules(obj: dict[str, Any]) -> Iterator[Finding]:
    """Hygiene rules that look at one object alone."""
    if "status" in obj:
        yield Finding(
            "hygiene/status-committed",
            "error",
            "a `status` field is committed",
            "remove `status`: controllers own it and Argo CD would keep diffing",
        )
    is_secret = (obj.get("apiVersion"), obj.get("kind")) == ("v1", "Secret")
    if is_secret and (obj.get("data") or obj.get("stringData")):
        yield Finding(
            "hygiene/inline-secret",
            "error",
            "a Secret with inline data is committed to git",
            "reference a Secret created out of band (or an ExternalSecret/SealedSecret)",
        )
    for path, container in _containers(obj):
        image = str(container.get("image", ""))
        tag = image.rsplit("/", 1)[-1].partition(":")[2] if ":" in image.rsplit("/", 1)[-1] else ""
        if not _DIGEST.search(image) and (not tag or tag == "latest"):
            yield Finding(
                "hygiene/image-pinned",
                "error",
                f"{path}: image {image!r} is not pinned",
                "pin a version tag or a digest; never `latest`",
            )
        requests = (container.get("resources") or {}).get("requests") or {}
        missing = [r for r in ("cpu", "memory") if r not in requests]
        if missing:
            yield Finding(
                "hygiene/resource-requests",
                "error",
                f"{path}: no {' and '.join(missing)} request",
                "set resources.requests so the scheduler can place the pod",
            )


def _containers(obj: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        pod, prefix = spec, "spec"
    elif kind in _POD_TEMPLATE_KINDS:
        pod, prefix = (spec.get("template") or {}).get("spec") or {}, "spec.template.spec"
    elif kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        pod, prefix = template.get("spec") or {}, "spec.jobTemplate.spec.template.spec"
    elif kind == "LeaderWorkerSet":
        group = spec.get("leaderWorkerTemplate") or {}
        for role in ("leaderTemplate", "workerTemplate"):
            pod = (group.get(role) or {}).get("spec") or {}
            yield from _pod_containers(pod, f"spec.leaderWorkerTemplate.{role}.spec")
        return
    else:
        return
    yield from _pod_containers(pod, prefix)


def _pod_containers(pod: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in ("initContainers", "containers"):
        for i, container in enumerate(pod.get(field) or []):
            if isinstance(container, dict):
                yield f"{prefix}.{field}[{i}]", container


def application_rules(
    app: dict[str, Any], projects: dict[str, dict[str, Any]]
) -> Iterator[Finding]:
    """Argo CD rules for one Application (projects: AppProjects found, by name)."""
    meta = app.get("metadata") or {}
    spec = app.get("spec") or {}
    name = str(meta.get("name", ""))
    if len(name) > MAX_APP_NAME:
        yield Finding(
            "argocd/app-name-length",
            "error",
            f"Application name has {len(name)} characters (at most {MAX_APP_NAME})",
            "shorten the name: Argo CD labels resources with it",
        )
    wave = (meta.get("annotations") or {}).get("argocd.argoproj.io/sync-wave")
    if wave is not None and not re.fullmatch(r"-?\d+", str(wave)):
        yield Finding(
            "argocd/sync-wave",
            "error",
            f"sync-wave {wave!r} is not an integer",
            "use a quoted integer such as '2'",
        )
    project_name = spec.get("project", "default")
    if project_name == "default":
        yield Finding(
            "argocd/default-project",
            "error",
            "the Application uses the `default` project",
            "give the lab its own AppProject restricted to its repos and destinations",
        )
        return
    project = projects.get(project_name)
    if project is None:
        yield Finding(
            "argocd/project-missing",
            "error",
            f"AppProject {project_name!r} is not in the checked tree",
            "check the AppProject together with its Applications",
        )
        return
    yield from _project_allows(spec, project)


def _project_allows(spec: dict[str, Any], project: dict[str, Any]) -> Iterator[Finding]:
    allowed = (project.get("spec") or {}).get("sourceRepos") or []
    sources = [s for s in spec.get("sources") or [spec.get("source")] if isinstance(s, dict)]
    for source in sources:
        repo = source.get("repoURL", "")
        if "*" not in allowed and repo not in allowed:
            yield Finding(
                "argocd/project-source",
                "error",
                f"source {repo!r} is not in the project's sourceRepos",
                "add the repository to the AppProject's sourceRepos",
            )
    destination = spec.get("destination") or {}
    for entry in (project.get("spec") or {}).get("destinations") or []:
        same_cluster = any(
            k in entry and k in destination and entry[k] in ("*", destination[k])
            for k in ("server", "name")
        )
        if same_cluster and entry.get("namespace") in ("*", destination.get("namespace")):
            return
    yield Finding(
        "argocd/project-destination",
        "error",
        f"destination {destination} is not allowed by the project",
        "add the destination to the AppProject's destinations",
    )


# --- GPU placement -------------------------------------------------------------------------

_GPU = "nvidia.com/gpu"
_MIG = "nvidia.com/mig-"
_MIG_CONFIG = "nvidia.com/mig.config"
_CAPACITY_GPUS = "capacity.cluster-autoscaler.kubernetes.io/gpu-count"


class GpuPool:
    """A pool of GPU nodes as the tree declares it (MachineSet or Karpenter NodePool)."""

    def __init__(
        self, name: str, labels: dict[str, str], taints: list[dict[str, Any]], gpus: int | None
    ) -> None:
        self.name, self.labels, self.taints, self.gpus = name, labels, taints, gpus

    @classmethod
    def of(cls, obj: dict[str, Any]) -> GpuPool | None:
        kind, spec = obj.get("kind"), obj.get("spec") or {}
        meta = obj.get("metadata") or {}
        if kind == "MachineSet":
            node = (spec.get("template") or {}).get("spec") or {}
            labels = (node.get("metadata") or {}).get("labels") or {}
            count = str((meta.get("annotations") or {}).get(_CAPACITY_GPUS, ""))
            gpus = int(count) if count.isdigit() else None
            return cls(str(meta.get("name")), labels, node.get("taints") or [], gpus)
        if kind == "NodePool" and str(obj.get("apiVersion", "")).startswith("karpenter.sh/"):
            template = spec.get("template") or {}
            labels = (template.get("metadata") or {}).get("labels") or {}
            taints = (template.get("spec") or {}).get("taints") or []
            return cls(str(meta.get("name")), labels, taints, None)
        return None


def gpu_placement_rules(obj: dict[str, Any], pools: list[GpuPool]) -> Iterator[Finding]:
    """A pod template asking for GPUs selects and tolerates a pool whose nodes have enough."""
    if not pools:
        return  # node pools are made outside this tree (GKE, bare metal): nothing to check
    pod = _pod_spec(obj)
    if pod is None:
        return
    per_pod: dict[str, int] = {}  # a LeaderWorkerSet has two pod templates
    profiles: set[str] = set()
    for path, container in _containers(obj):
        limits = (container.get("resources") or {}).get("limits") or {}
        pod_path = path.rsplit(".", 1)[0]
        gpus = sum(int(v) for k, v in limits.items() if _is_gpu(k) and str(v).isdigit())
        per_pod[pod_path] = per_pod.get(pod_path, 0) + gpus
        profiles.update(k.removeprefix(_MIG) for k in limits if k.startswith(_MIG))
    wanted = max(per_pod.values(), default=0)
    if not wanted:
        return
    selector = pod.get("nodeSelector") or {}
    matching = [p for p in pools if all(p.labels.get(k) == v for k, v in selector.items())]
    if not selector or not matching:
        yield Finding(
            "gpu/no-pool",
            "error",
            f"requests {wanted} GPU(s) but its nodeSelector {selector} matches no GPU pool",
            "select a pool by its labels (e.g. labgen.dev/gpu-pool: <pool>)",
        )
        return
    tolerations = pod.get("tolerations") or []
    for pool in matching:
        untolerated = [t for t in pool.taints if not any(_tolerates(x, t) for x in tolerations)]
        if untolerated:
            taint = untolerated[0]
            yield Finding(
                "gpu/untolerated-taint",
                "error",
                f"pool {pool.name} is tainted {taint.get('key')}={taint.get('value')}:"
                f"{taint.get('effect')} and the pod does not tolerate it",
                "add the pool's toleration (labgen renders it from the pool)",
            )
        if pool.gpus is not None and wanted > pool.gpus:
            yield Finding(
                "gpu/too-many-gpus",
                "error",
                f"requests {wanted} GPUs per pod but pool {pool.name} nodes have {pool.gpus}",
                "lower tensor parallelism or use a pool with more GPUs per node",
            )
        yield from _mig_rules(pool, profiles)


def _mig_rules(pool: GpuPool, profiles: set[str]) -> Iterator[Finding]:
    """``nvidia.com/mig-<profile>`` exists only on nodes the MIG manager partitioned into
    that profile (the ``nvidia.com/mig.config`` node label; ``all-<profile>`` = one profile
    on every GPU; other configurations mix profiles and are not second-guessed)."""
    config = pool.labels.get(_MIG_CONFIG)
    for profile in sorted(profiles):
        if config in (None, "all-disabled"):
            yield Finding(
                "gpu/mig-profile",
                "error",
                f"requests nvidia.com/mig-{profile} but pool {pool.name} is not MIG-partitioned",
                "request nvidia.com/gpu, or give the pool a MIG configuration",
            )
        elif config.startswith("all-") and config != f"all-{profile}":
            yield Finding(
                "gpu/mig-profile",
                "error",
                f"requests nvidia.com/mig-{profile} but pool {pool.name} is partitioned as "
                f"{config}",
                f"request nvidia.com/mig-{config.removeprefix('all-')} or change the pool's MIG",
            )


def requests_gpus(obj: dict[str, Any]) -> bool:
    """Whether a container of the object has a GPU limit (what `gpu_placement_rules` looks
    at)."""
    for _, container in _containers(obj):
        limits = (container.get("resources") or {}).get("limits") or {}
        if isinstance(limits, dict) and any(_is_gpu(str(k)) for k in limits):
            return True
    return False


def _is_gpu(resource: str) -> bool:
    return resource == _GPU or resource.startswith("nvidia.com/mig-")


def _tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    if toleration.get("effect") not in (None, "", taint.get("effect")):
        return False
    if toleration.get("operator") == "Exists":
        return toleration.get("key") in (None, "", taint.get("key"))
    return (toleration.get("key"), toleration.get("value")) == (
        taint.get("key"),
        taint.get("value"),
    )


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    for path, _ in _containers(obj):
        spec: Any = obj
        for part in path.split(".")[:-1]:
            spec = spec.get(part) or {}
        return spec if isinstance(spec, dict) else None
    return None


# --- Argo CD ordering ----------------------------------------------------------------------

BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
"""API groups the Kubernetes API server serves itself (no CRD needed)."""

BUILTIN_CLUSTER_KINDS = frozenset(
    {
        ("", "ComponentStatus"),
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)
"""Cluster-scoped (group, kind) the Kubernetes API server serves itself: `kubectl
api-resources --namespaced=false` against kube-apiserver v1.33.13 (``../shared/k8s``), plus
those of its API versions off by default (MutatingAdmissionPolicy, ClusterTrustBundle,
DeviceClass, ResourceSlice, VolumeAttributesClass, StorageVersionMigration)."""


def api_group(obj: dict[str, Any]) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def skips_dry_run(obj: dict[str, Any], app: dict[str, Any]) -> bool:
    """The object (or its whole Application) syncs with SkipDryRunOnMissingResource."""
    own = ((obj.get("metadata") or {}).get("annotations") or {}).get(SYNC_OPTIONS, "")
    options = [o.strip() for o in str(own).split(",")]
    options += ((app.get("spec") or {}).get("syncPolicy") or {}).get("syncOptions") or []
    return SKIP_DRY_RUN in options


def crd_order_rule(
    obj: dict[str, Any], wave: int, providers: list[tuple[str, int]]
) -> Iterator[Finding]:
    """A custom resource needs its CRD before Argo CD dry-runs it: some Application of an
    earlier wave (or the object's own Application) must install the CRD. ``providers`` are
    (Application, wave) pairs installing the object's API group."""
    kind, group = obj.get("kind"), api_group(obj)
    if not providers:
        yield Finding(
            "argocd/crd-order",
            "error",
            f"no Application in the tree installs the CRD of {kind} ({group})",
            f"add the operator that provides {group}, or --assume-crd {group} if the "
            "cluster already has it",
        )
        return
    name, provider_wave = min(providers, key=lambda p: p[1])
    if provider_wave >= wave:
        yield Finding(
            "argocd/crd-order",
            "error",
            f"{kind} ({group}) syncs in wave {wave} but its CRD comes from Application "
            f"{name!r} in wave {provider_wave}",
            f"sync this Application after wave {provider_wave}, or annotate the object "
            f"{SYNC_OPTIONS}: {SKIP_DRY_RUN}",
        )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle of a directed graph, once each, as the list of its nodes."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for successor in sorted(edges.get(node, ())):
            if state.get(successor) == 1:
                found.append(path[path.index(successor) :])
            elif successor not in state:
                visit(successor)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


CLIENTS_ANNOTATION = "labgen.dev/clients"
_SERVICE_URL = re.compile(
    r"\b(https?|grpc|tcp)://([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)"
    r"\.svc(?:\.cluster\.local)?(?::(\d+))?"
)
_URL_PORTS = {"http": 80, "https": 443, "grpc": 80}
"""Default ports by scheme; a ``tcp://`` URL (a ZMQ endpoint) without a port is skipped."""


def network_rules(objects: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Finding]]:
    """``network/unreachable``: every declared client of a Service (or of pods) reaches
    it under the NetworkPolicies of ``objects`` (one cluster's). Declared clients are the
    entries of the ``labgen.dev/clients`` annotation of a NetworkPolicy (one JSON object
    per line), and every pod
    whose container env, args or command holds a Service's in-cluster URL
    (``http|https|grpc|tcp://<service>.<namespace>.svc[.cluster.local][:port]``) of a
    Service in
    ``objects``. Yields the object to report on with each finding."""
    policies = Policies(objects)
    pods = [(obj, pod) for obj in objects for pod in _template_pods(obj)]
    services = {
        (str(meta.get("namespace")), str(meta.get("name"))): obj
        for obj in objects
        if (obj.get("apiVersion"), obj.get("kind")) == ("v1", "Service")
        and (meta := obj.get("metadata") or {})
    }
    for obj in objects:
        meta = obj.get("metadata") or {}
        declared = (meta.get("annotations") or {}).get(CLIENTS_ANNOTATION)
        if obj.get("kind") == "NetworkPolicy" and declared is not None:
            for problem in _declared(
                str(meta.get("namespace")), declared, services, pods, policies
            ):
                yield obj, _unreachable(problem)
    for obj, client in pods:
        for problem in _referenced(obj, client, services, pods, policies):
            yield obj, _unreachable(problem)
    pools = {
        (str(meta.get("namespace")), str(meta.get("name"))): obj
        for obj in objects
        if obj.get("kind") == "InferencePool" and (meta := obj.get("metadata") or {})
    }
    for obj in objects:
        if (api_group(obj), obj.get("kind")) == (_GATEWAY_GROUP, "HTTPRoute"):
            for problem in _routed(obj, services, pools, pods, policies):
                yield obj, _unreachable(problem)


def _unreachable(problem: str) -> Finding:
    return Finding(
        "network/unreachable",
        "error",
        problem,
        "allow the client with a NetworkPolicy (see README, Network isolation), or fix the "
        "Service, selector or port",
    )


def _template_pods(obj: dict[str, Any]) -> Iterator[Pod]:
    namespace = str((obj.get("metadata") or {}).get("namespace"))
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    templates: list[dict[str, Any]] = []
    if kind == "Pod":
        templates = [obj]
    elif kind in _POD_TEMPLATE_KINDS:
        templates = [spec.get("template") or {}]
    elif kind == "CronJob":
        templates = [((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}]
    elif kind == "LeaderWorkerSet":
        group = spec.get("leaderWorkerTemplate") or {}
        templates = [group[role] for role in ("leaderTemplate", "workerTemplate") if role in group]
    for template in templates:
        labels = ((template.get("metadata") or {}).get("labels")) or {}
        ports = {
            str(port["name"]): int(port["containerPort"])
            for _, container in _pod_containers(template.get("spec") or {}, "")
            for port in container.get("ports") or []
            if port.get("name") and str(port.get("protocol") or "TCP") == "TCP"
        }
        yield Pod(namespace, {str(k): str(v) for k, v in labels.items()}, ports)


def _describe(pod: Pod | None) -> str:
    if pod is None:
        return "any client"
    labels = ",".join(f"{k}={v}" for k, v in sorted(pod.labels.items()))
    return f"pods {{{labels}}} of {pod.namespace}"


def _targets(namespace: str, labels: dict[str, str], pods: list[tuple[Any, Pod]]) -> list[Pod]:
    """The pods of the tree the selector matches, or the pods it describes when the tree
    renders none (a controller creates them: KServe's predictors, CloudNativePG's instances)."""
    selector = {"matchLabels": labels}
    found = [p for _, p in pods if p.namespace == namespace and selects(selector, p.labels)]
    return found or [Pod(namespace, labels)]


def _reach(
    source: Pod | None, targets: list[Pod], port: int | str | None, what: str, policies: Policies
) -> Iterator[str]:
    for target in targets:
        if port is None:
            numbers = sorted(set(target.ports.values())) or [1]
        elif isinstance(port, str):
            if port not in target.ports:
                yield f"{what}: port {port!r} is no container port of {_describe(target)}"
                continue
            numbers = [target.ports[port]]
        else:
            numbers = [port]
        for number in numbers:
            if not policies.allows(source, target, number):
                yield (
                    f"{what}: {_describe(source)} cannot reach {_describe(target)} on port "
                    f"{number} under the NetworkPolicies"
                )


def _service_targets(
    service: dict[str, Any], port: int, pods: list[tuple[Any, Pod]]
) -> tuple[list[Pod], int | str | None] | None:
    """The pods behind a Service port and their port (None: the Service has no such port)."""
    spec = service.get("spec") or {}
    namespace = str((service.get("metadata") or {}).get("namespace"))
    for entry in spec.get("ports") or []:
        if int(entry.get("port", 0)) == port:
            target = entry.get("targetPort", port)
            target = int(target) if str(target).isdigit() else str(target)
            selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
            return _targets(namespace, selector, pods), target
    return None


def _declared(
    namespace: str,
    declared: str,
    services: dict[tuple[str, str], dict[str, Any]],
    pods: list[tuple[Any, Pod]],
    policies: Policies,
) -> Iterator[str]:
    entries = []
    for number, line in enumerate(declared.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            yield f"annotation {CLIENTS_ANNOTATION}, line {number}: not JSON: {exc}"
            continue
        if not isinstance(entry, dict):
            yield f"annotation {CLIENTS_ANNOTATION}, line {number}: not a JSON object"
            continue
        entries.append(entry)
    for entry in entries:
        source = None
        if isinstance(entry.get("from"), dict):
            origin = entry["from"]
            source = Pod(str(origin.get("namespace")), dict(origin.get("pods") or {}))
        port = entry.get("port")
        if "service" in entry:
            what = f"declared client of Service {namespace}/{entry['service']}"
            service = services.get((namespace, str(entry["service"])))
            if service is None:
                yield f"{what}: the Service is not in the tree"
                continue
            resolved = _service_targets(service, int(port or 0), pods)
            if resolved is None:
                yield f"{what}: the Service has no port {port}"
                continue
            targets, port = resolved
        else:
            targets = _targets(namespace, dict(entry.get("pods") or {}), pods)
            what = f"declared client of {_describe(targets[0])}"
        yield from _reach(source, targets, port, what, policies)


_GATEWAY_GROUP = "gateway.networking.k8s.io"


def _routed(
    route: dict[str, Any],
    services: dict[tuple[str, str], dict[str, Any]],
    pools: dict[tuple[str, str], dict[str, Any]],
    pods: list[tuple[Any, Pod]],
    policies: Policies,
) -> Iterator[str]:
    """An HTTPRoute's clients are the pods of its parent Gateways: they must reach every
    backend Service (or InferencePool, and its endpoint picker) the tree renders."""
    meta = route.get("metadata") or {}
    namespace = str(meta.get("namespace"))
    spec = route.get("spec") or {}
    gateways = [
        Pod(str(ref.get("namespace") or namespace), {GATEWAY_NAME_LABEL: str(ref.get("name"))})
        for ref in spec.get("parentRefs") or []
        if ref.get("kind", "Gateway") == "Gateway"
    ]
    for rule in spec.get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            key = (str(ref.get("namespace") or namespace), str(ref.get("name")))
            what = f"HTTPRoute {namespace}/{meta.get('name')} backend {key[0]}/{key[1]}"
            backends: list[tuple[list[Pod], int | str | None]] = []
            if ref.get("kind", "Service") == "Service" and key in services:
                resolved = _service_targets(services[key], int(ref.get("port") or 0), pods)
                if resolved is None:
                    yield f"{what}: the Service has no port {ref.get('port')}"
                    continue
                backends.append(resolved)
            elif ref.get("kind") == "InferencePool" and key in pools:
                pool = pools[key].get("spec") or {}
                labels = (pool.get("selector") or {}).get("matchLabels") or {}
                targets = _targets(key[0], {str(k): str(v) for k, v in labels.items()}, pods)
                backends += [(targets, int(p["number"])) for p in pool.get("targetPorts") or []]
                picker = pool.get("endpointPickerRef") or {}
                epp = services.get((key[0], str(picker.get("name"))))
                number = int((picker.get("port") or {}).get("number") or 0)
                if epp is not None and (resolved := _service_targets(epp, number, pods)):
                    backends.append(resolved)
            for gateway in gateways:
                for targets, port in backends:
                    yield from _reach(gateway, targets, port, what, policies)


def _referenced(
    obj: dict[str, Any],
    client: Pod,
    services: dict[tuple[str, str], dict[str, Any]],
    pods: list[tuple[Any, Pod]],
    policies: Policies,
) -> Iterator[str]:
    texts: list[str] = []
    for _, container in _containers(obj):
        texts += [str(e.get("value")) for e in container.get("env") or [] if "value" in e]
        texts += [str(a) for a in (container.get("args") or []) + (container.get("command") or [])]
    seen = set()
    for text in texts:
        for match in _SERVICE_URL.finditer(text):
            name, namespace = match.group(2), match.group(4)
            port = int(match.group(6) or _URL_PORTS.get(match.group(1), 0))
            service = services.get((namespace, name))
            if service is None or not port or (namespace, name, port) in seen:
                continue  # a Service the tree does not render (a Gateway's, KServe's)
            seen.add((namespace, name, port))
            what = f"{match.group(0)}"
            resolved = _service_targets(service, port, pods)
            if resolved is None:
                yield f"{what}: Service {namespace}/{name} has no port {port}"
                continue
            yield from _reach(client, resolved[0], resolved[1], what, policies)
