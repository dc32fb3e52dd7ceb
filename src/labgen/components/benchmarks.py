"""GuideLLM benchmarks: per `spec.benchmarks` entry a results volume and a Job, in one
Application synced after serving (wave 20).

The Job's name carries a hash of its whole spec (image, arguments, pod template): a Job's pod
template is immutable, so a changed benchmark is a new Job, and an unchanged one is not
run again. Its pod waits until the target lists the model on `/v1/models` before it
starts, writes `/results/<job>.json` on the volume, and is not retried for node
disruption (`podFailurePolicy`). The volume survives the Job and the Application.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from labgen.components.base import App, Component, K8sObject, KustomizeSource, obj
from labgen.components.podsecurity import container_context, pod_context, without_api_token
from labgen.components.serving.common import MODEL_LABEL, hf_token_env, short_hash
from labgen.data.benchmarks import GUIDELLM, GuidellmGeneration
from labgen.data.serving import generation
from labgen.plan.model import BenchmarkPlan, LabPlan

KEY = "benchmarks"
WAVE_BENCHMARKS = 20
BENCHMARK_LABEL = "labgen.dev/benchmark"
CONFIG_LABEL = "labgen.dev/config"
RESULTS = "/results"
CACHE = "/cache"
UID = 1001  # the GuideLLM image's user, 1001:0 (on OpenShift restricted-v2 assigns one)
WAIT_SCRIPT = """\
import json, sys, time, urllib.request
url, model = sys.argv[1] + "/v1/models", sys.argv[2]
delay = 5
while True:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            served = [m.get("id") for m in json.load(response).get("data", [])]
        if model in served:
            print(f"{model} is served at {url}")
            break
        print(f"waiting: {url} serves {served}, not {model}", flush=True)
    except Exception as exc:
        print(f"waiting: {url}: {exc}", flush=True)
    time.sleep(delay)
    delay = min(delay * 2, 60)
"""


def guidellm_args(bench: BenchmarkPlan, gen: GuidellmGeneration, output: str) -> list[str]:
    """The command line after ``guidellm`` for the pinned generation."""
    served = bench.model.served_name
    rates = ",".join(_number(r) for r in bench.rates)
    if gen.run_command:
        args = ["run", "--backend", f"kind=openai_http,target={bench.url},model={served}"]
        if bench.profile == "sweep":
            args += ["--profile", f"kind=sweep,sweep_size={bench.sweep_size}"]
        else:
            args += ["--profile", f"kind={bench.profile}"]
        if bench.rates:
            key = "profile.streams" if bench.profile == "concurrent" else "profile.rate"
            args += ["--override", key, rates]
        args += ["--constraint", f"kind=max_duration,seconds={bench.max_seconds}"]
        if bench.max_requests is not None:
            args += ["--constraint", f"kind=max_requests,count={bench.max_requests}"]
        args += ["--tokenizer", f"kind=huggingface_auto,model={bench.tokenizer}"]
        args += [
            "--data",
            f"kind=synthetic_text,prompt_tokens={bench.prompt_tokens},"
            f"output_tokens={bench.output_tokens}",
        ]
        args += ["--output", f"kind=json,path={output}"]
        args += ["--label", f"{CONFIG_LABEL}={bench.name}"]
        return [*args, "--disable-console-interactive"]
    args = ["benchmark", "--target", bench.url, "--model", served]
    args += ["--processor", bench.tokenizer]
    args += ["--data", f"prompt_tokens={bench.prompt_tokens},output_tokens={bench.output_tokens}"]
    args += ["--rate-type", bench.profile]
    if bench.profile == "sweep":
        args += ["--rate", str(bench.sweep_size)]
    elif bench.rates:
        args += ["--rate", rates]
    args += ["--max-seconds", str(bench.max_seconds)]
    if bench.max_requests is not None:
        args += ["--max-requests", str(bench.max_requests)]
    return [*args, "--output-path", output, "--disable-progress"]


def objects(plan: LabPlan, bench: BenchmarkPlan) -> list[K8sObject]:
    version = plan.releases["guidellm"].version
    gen = generation(GUIDELLM, version)
    image = f"{plan.releases['guidellm'].images['benchmark']}:{version}"
    labels = {BENCHMARK_LABEL: bench.name, MODEL_LABEL: bench.model.name}
    claim = _claim(bench)
    # The name hashes the whole (immutable) Job spec, built once with a placeholder for
    # the output file that carries the name.
    placeholder = guidellm_args(bench, gen, f"{RESULTS}/<job>.json")
    ids = not plan.platform.assigns_pod_ids  # the pod names its user (Kubernetes)
    template = _job_spec(bench, image, placeholder, labels, ids)
    job_name = f"bench-{bench.name}-{short_hash(json.dumps(template, sort_keys=True))}"
    args = guidellm_args(bench, gen, f"{RESULTS}/{job_name}.json")
    pvc = obj(
        "v1",
        "PersistentVolumeClaim",
        claim,
        bench.namespace,
        labels=labels,
        # results outlive the benchmark: never pruned, never deleted with the Application
        annotations={
            "argocd.argoproj.io/sync-wave": "0",
            "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
        },
        spec={
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": bench.storage}},
            "volumeMode": "Filesystem",
        },
    )
    job = obj(
        "batch/v1",
        "Job",
        job_name,
        bench.namespace,
        labels=labels,
        annotations={"argocd.argoproj.io/sync-wave": "1"},
        spec=_job_spec(bench, image, args, labels, ids),
    )
    return [pvc, job]


def _job_spec(
    bench: BenchmarkPlan, image: str, args: list[str], labels: dict[str, str], name_ids: bool
) -> K8sObject:
    env: list[K8sObject] = [{"name": "HF_HOME", "value": CACHE}]
    if bench.token_secret is not None:
        env.append(hf_token_env(bench.token_secret))
    restricted = container_context()
    uid = UID if name_ids else None
    spec: K8sObject = {
        "backoffLimit": 1,
        "podFailurePolicy": retry_disrupted_pods(),
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "restartPolicy": "Never",
                "securityContext": pod_context(uid, fs_group=uid),
                **without_api_token(),
                "initContainers": [
                    {
                        "name": "wait-for-target",
                        "image": image,
                        "command": ["python3", "-c", WAIT_SCRIPT],
                        "args": [bench.url, bench.model.served_name],
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "64Mi"},
                            "limits": {"memory": "128Mi"},
                        },
                        "securityContext": restricted,
                    }
                ],
                "containers": [
                    {
                        "name": "guidellm",
                        "image": image,
                        "command": ["guidellm"],
                        "args": args,
                        "env": env,
                        "resources": {
                            "requests": {"cpu": "2", "memory": "4Gi"},
                            "limits": {"memory": "8Gi"},
                        },
                        "securityContext": restricted,
                        "volumeMounts": [
                            {"name": "results", "mountPath": RESULTS},
                            {"name": "cache", "mountPath": CACHE},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "results", "persistentVolumeClaim": {"claimName": _claim(bench)}},
                    {"name": "cache", "emptyDir": {"sizeLimit": "2Gi"}},
                ],
            },
        },
    }
    return spec


def retry_disrupted_pods() -> K8sObject:
    """A Job's podFailurePolicy: a pod lost to node disruption (drain, preemption,
    eviction) is retried without counting against ``backoffLimit``."""
    return {
        "rules": [
            {
                "action": "Ignore",
                "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
            }
        ]
    }


def apps(plan: LabPlan) -> Iterator[App]:
    if not plan.benchmarks:
        return
    namespaces = sorted({b.namespace for b in plan.benchmarks})
    objects_ = [o for bench in plan.benchmarks for o in objects(plan, bench)]
    yield App(
        KEY,
        WAVE_BENCHMARKS,
        namespaces[0],
        KustomizeSource(objects=tuple(objects_)),
        extra_namespaces=tuple(namespaces[1:]),
    )


def _claim(bench: BenchmarkPlan) -> str:
    return f"{bench.name}-results"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


COMPONENT = Component(KEY, apps=apps)
