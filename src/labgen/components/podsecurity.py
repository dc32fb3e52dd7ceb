"""How the pods labgen authors run: the restricted Pod Security Standard everywhere, and
on OpenShift its restricted-v2 SCC's rule that a pod names no UID or fsGroup.

Every pod template labgen writes (servers, EPPs, download, benchmark and matrix Jobs,
Open WebUI) sets ``runAsNonRoot``, the ``RuntimeDefault`` seccomp profile, and per
container no privilege escalation and no capabilities; all but the EPP (which watches
the Kubernetes API) mount no service-account token. On Kubernetes the pod runs as the
image's non-root user, named by number (the kubelet can only verify ``runAsNonRoot``
against a numeric user, and the vLLM image's default user is root). OpenShift's
restricted-v2 SCC refuses any UID or fsGroup outside the namespace's range and assigns
both itself, so there the pod names none (`without_pod_ids`, where the platform's
``assigns_pod_ids``); the images labgen runs are
built for arbitrary UIDs in group 0, and every path they write is a mounted volume.
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import K8sObject

# Fields restricted-v2 assigns from the namespace's range on OpenShift.
ASSIGNED_IDS = ("runAsUser", "runAsGroup", "fsGroup")


def container_context() -> K8sObject:
    """The restricted profile's per-container fields."""
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def pod_context(
    user: int | None = None, group: int | None = None, fs_group: int | None = None
) -> K8sObject:
    """A pod's securityContext: non-root, RuntimeDefault seccomp, and the numeric user,
    group and fsGroup when the image needs them named (Kubernetes)."""
    context: K8sObject = {"runAsNonRoot": True}
    ids = {"runAsUser": user, "runAsGroup": group, "fsGroup": fs_group}
    context.update({k: v for k, v in ids.items() if v is not None})
    context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context


def without_api_token() -> K8sObject:
    """The pod field that mounts no service-account token: for the pods that never call
    the Kubernetes API (all but the EPP, which watches its pool's pods)."""
    return {"automountServiceAccountToken": False}


def pod_specs(item: K8sObject) -> Iterator[K8sObject]:
    """The pod specs of a workload object (none for other kinds)."""
    spec = item.get("spec") or {}
    kind = item.get("kind")
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield spec["template"]["spec"]
    elif kind == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "ServingRuntime":  # KServe's: containers and volumes, like a pod's
        yield spec
    elif kind == "LeaderWorkerSet":
        templates = spec["leaderWorkerTemplate"]
        for key in ("leaderTemplate", "workerTemplate"):
            if key in templates:
                yield templates[key]["spec"]


def without_assigned_ids(pod: K8sObject) -> None:
    """Drop the UID, group and fsGroup from a pod spec and its containers: OpenShift's
    restricted-v2 SCC assigns them."""
    contexts = [pod.get("securityContext")]
    for key in ("initContainers", "containers"):
        contexts += [c.get("securityContext") for c in pod.get(key, [])]
    for context in contexts:
        for field in ASSIGNED_IDS:
            if context:
                context.pop(field, None)


def without_pod_ids(objects: list[K8sObject]) -> list[K8sObject]:
    """``objects`` with every pod template left for the platform (OpenShift's
    restricted-v2 SCC) to assign IDs."""
    for item in objects:
        for pod in pod_specs(item):
            without_assigned_ids(pod)
    return objects
