"""The pods labgen authors, in every shipped and golden lab: the restricted profile, no
UID or fsGroup on OpenShift (restricted-v2 assigns them), and a writable HOME and caches
for every vLLM container (the image's HOME is `/`, unwritable by a non-root UID).

Admission itself is tested against a real API server in tests/test_apply_real.py; these
checks also cover what PodSecurity admission does not see (LeaderWorkerSets and KServe
ServingRuntimes are custom resources) and need no server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GOLDEN, REPO
from labgen.components.base import KustomizeSource
from labgen.components.podsecurity import ASSIGNED_IDS, pod_specs
from labgen.plan import LabPlan, build_plan
from labgen.render import lab_apps
from labgen.spec import load_lab

SPECS = sorted([*(REPO / "labs").glob("*.yaml"), *GOLDEN.glob("*/lab.yaml")])
VLLM_IMAGE = "docker.io/vllm/vllm-openai:"
CACHES = ("HOME", "HF_HOME", "VLLM_CACHE_ROOT", "XDG_CACHE_HOME", "TRITON_CACHE_DIR")


def _id(path: Path) -> str:
    return path.parent.name if path.name == "lab.yaml" else path.stem


def plan_of(spec: Path) -> LabPlan:
    return build_plan(load_lab(spec), str(spec))


def lab_objects(plan: LabPlan) -> Iterator[dict[str, Any]]:
    """Every object the lab's overlays hold (catalog bases as the lab patches them)."""
    for app in lab_apps(plan):
        if isinstance(app.source, KustomizeSource):
            yield from app.source.objects
            yield from (patch.result for patch in app.source.json_patches)


def labgen_pods(plan: LabPlan) -> Iterator[tuple[str, dict[str, Any]]]:
    """(object, pod spec) for every pod labgen authors, and KServe ServingRuntimes (whose
    spec holds containers and volumes like a pod's)."""
    for item in lab_objects(plan):
        where = f"{item['kind']} {item['metadata']['name']}"
        for pod in pod_specs(item):
            yield where, pod


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_pods_follow_the_restricted_profile(spec: Path) -> None:
    problems = []
    for where, pod in labgen_pods(plan_of(spec)):
        context = pod.get("securityContext", {})
        for container in containers(pod):
            mine = container.get("securityContext", {})
            name = f"{where} container {container['name']}"
            if not (mine.get("runAsNonRoot", context.get("runAsNonRoot"))):
                problems.append(f"{name}: runAsNonRoot is not true")
            seccomp = mine.get("seccompProfile", context.get("seccompProfile", {}))
            if seccomp.get("type") != "RuntimeDefault":
                problems.append(f"{name}: no RuntimeDefault seccomp profile")
            if mine.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if mine.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{name}: capabilities not dropped")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_openshift_pods_leave_uid_and_fs_group_to_the_scc(spec: Path) -> None:
    """restricted-v2 refuses a UID or fsGroup outside the namespace's range (the GuideLLM
    and matrix Jobs used to pin 1001) and assigns both itself."""
    plan = plan_of(spec)
    if not plan.platform.assigns_pod_ids:
        pytest.skip("not an OpenShift lab")
    problems = []
    pods = list(labgen_pods(plan))
    if not pods:
        pytest.skip("no pods of labgen's in this lab")
    for where, pod in pods:
        contexts = [("pod", pod.get("securityContext", {}))]
        contexts += [
            (f"container {c['name']}", c.get("securityContext", {})) for c in containers(pod)
        ]
        for name, context in contexts:
            pinned = sorted(set(context) & set(ASSIGNED_IDS))
            if pinned:
                problems.append(f"{where} {name}: sets {', '.join(pinned)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_kubernetes_vllm_pods_run_as_the_images_non_root_user(spec: Path) -> None:
    """The vLLM image's default user is root: without a numeric runAsUser the kubelet
    refuses runAsNonRoot."""
    plan = plan_of(spec)
    if plan.platform.assigns_pod_ids:
        pytest.skip("OpenShift assigns the UID")
    problems = []
    for where, pod in labgen_pods(plan):
        for container in containers(pod):
            if not container["image"].startswith(VLLM_IMAGE):
                continue
            user = container.get("securityContext", {}).get(
                "runAsUser", pod.get("securityContext", {}).get("runAsUser")
            )
            if not user:
                problems.append(f"{where} container {container['name']}: no runAsUser")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_vllm_has_a_writable_home_and_caches(spec: Path) -> None:
    """HOME and every cache vLLM writes (Hugging Face, vLLM's compile cache, Triton, XDG)
    lie on a writable volume, on every platform (vLLM issues #10185, #20127)."""
    problems = []
    seen = 0
    for where, pod in labgen_pods(plan_of(spec)):
        writable = {
            v["name"]
            for v in pod.get("volumes", [])
            if "emptyDir" in v or "persistentVolumeClaim" in v
        }
        for container in containers(pod):
            if not container["image"].startswith(VLLM_IMAGE):
                continue
            seen += 1
            mounts = [
                m["mountPath"]
                for m in container.get("volumeMounts", [])
                if m["name"] in writable and not m.get("readOnly")
            ]
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            for variable in CACHES:
                path = env.get(variable)
                if path is None or not any(path == m or path.startswith(f"{m}/") for m in mounts):
                    problems.append(
                        f"{where} container {container['name']}: {variable}={path} is not "
                        "on a writable volume"
                    )
    assert not problems, "\n".join(problems)
    if seen == 0:
        pytest.skip("no vLLM container in this lab")


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_only_pods_that_call_the_api_mount_a_token(spec: Path) -> None:
    """A pod with no ServiceAccount of its own (everything but the EPP, which watches its
    pool through the API) mounts no service-account token. A ServingRuntime has no such
    field: KServe builds the pod."""
    problems = []
    for item in lab_objects(plan_of(spec)):
        if item["kind"] == "ServingRuntime":
            continue
        for pod in pod_specs(item):
            where = f"{item['kind']} {item['metadata']['name']}"
            if "serviceAccountName" in pod:
                if pod.get("automountServiceAccountToken") is False:
                    problems.append(f"{where}: its ServiceAccount's token is not mounted")
            elif pod.get("automountServiceAccountToken") is not False:
                problems.append(f"{where}: mounts the default ServiceAccount's token")
    assert not problems, "\n".join(problems)
