"""Benchmark matrices: expansion counts, fit pruning with reasons, stable ids, GPU budgets,
batching, the rendered batch Job, and the in-pod runner's resume behaviour."""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from labgen.components.matrices import RUNNER, apps, batch_objects, kueue_objects
from labgen.errors import SpecError
from labgen.plan import build_plan
from labgen.plan.model import LabPlan, MatrixPlan
from labgen.spec import parse_lab

LAB = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {name: mx}
spec:
  cluster: {platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}
  gitops: {repoURL: https://example.com/lab.git, targetRevision: main}
  gpuPools:
    - {name: l4, accelerator: L4, gpusPerNode: 1, nodes: {min: 0, max: 4}}
    - {name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {min: 0, max: 2}}
    - {name: h100-b, accelerator: H100-80GB, gpusPerNode: 8, nodes: {min: 0, max: 1}}
  operators: {gpuOperator: {}, kueue: {}}
"""

ISSUE_MATRIX: dict[str, Any] = {
    "name": "catalog-l4-h100",
    "models": [
        "granite-3-3-8b",
        {"model": "llama-3-1-8b", "tokenSecret": "hf", "checkpoints": {"int4": "hf://q/awq"}},
    ],
    "hardware": [{"pool": "l4", "gpus": [1]}, {"pool": "h100", "gpus": [1, 2, 4, 8]}],
    "servers": ["vllm"],
    "dtypes": ["bf16", "fp8", "int4"],
    "workloads": {
        "batchSizes": [1, 2, 4, 8, 16],
        "promptTokens": [128, 512, 1024, 2048, 4096],
        "outputTokens": [128, 256, 512],
        "profiles": ["constant", "concurrent"],
    },
    "batchSize": 100,
}


def plan_of(*matrices: dict[str, Any], extra: str = "") -> LabPlan:
    text = LAB + extra + "  matrices: " + json.dumps(list(matrices)) + "\n"
    return build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")


def errors_of(*matrices: dict[str, Any], extra: str = "") -> list[str]:
    with pytest.raises(SpecError) as caught:
        plan_of(*matrices, extra=extra)
    return [str(d) for d in caught.value.diagnostics]


def matrix(**changes: Any) -> dict[str, Any]:
    return {**ISSUE_MATRIX, **changes}


def only(plan: LabPlan) -> MatrixPlan:
    (m,) = plan.matrices
    return m


def test_the_issue_matrix_expands_prunes_and_batches_by_hand_counts() -> None:
    m = only(plan_of(ISSUE_MATRIX))
    workloads = 5 * 5 * 3 * 2  # batch sizes x prompts x outputs x profiles
    assert m.expanded == 2 * 5 * 3 * workloads == 4500  # models x hardware x dtypes x ...
    # granite has no int4 checkpoint: 5 hardware entries x 150 workloads
    assert m.pruned == tuple(
        (
            f"granite-3-3-8b int4 on {gpus}: int4 needs a quantized checkpoint (checkpoints.int4)",
            150,
        )
        for gpus in ["1x H100-80GB", "1x L4", "2x H100-80GB", "4x H100-80GB", "8x H100-80GB"]
    )
    assert len(m.configs) == 4500 - 750
    # 25 server setups of 150 configurations, cut at 100: two Jobs each
    assert len(m.batches) == 50
    assert sorted({len(b.configs) for b in m.batches}) == [50, 100]
    assert [b.index for b in m.batches] == list(range(50))


def test_every_batch_is_one_server_setup_sized_for_its_longest_request() -> None:
    m = only(plan_of(matrix(batchSize=7)))
    for batch in m.batches:
        setups = {(c.model.id, c.uri, c.pool.name, c.gpus, c.dtype) for c in batch.configs}
        assert len(setups) == 1
        first = batch.configs[0]
        assert batch.server.fit.gpus == first.gpus
        assert batch.server.fit.dtype == first.dtype
        assert batch.server.fit.max_model_len == max(c.tokens for c in batch.configs)
        assert 1 <= len(batch.configs) <= 7
    # 150 configurations per setup cut at 7: 21 full batches and one of 3
    sizes = [len(b.configs) for b in m.batches if b.configs[0].dtype == "bf16"]
    assert sizes[:22] == [7] * 21 + [3]


def test_ids_are_stable_hashes_of_what_is_measured() -> None:
    m = only(plan_of(ISSUE_MATRIX))
    ids = [c.id for c in m.configs]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 12 and int(i, 16) >= 0 for i in ids)
    reordered = matrix(
        models=list(reversed(ISSUE_MATRIX["models"])),
        hardware=list(reversed(ISSUE_MATRIX["hardware"])),
        dtypes=["int4", "bf16", "fp8"],
        workloads={k: list(reversed(v)) for k, v in ISSUE_MATRIX["workloads"].items()},
        name="other-name",
        batchSize=13,
    )
    assert {c.id for c in only(plan_of(reordered)).configs} == set(ids)
    # what a result means changes with the run limits: new ids, nothing skipped wrongly
    longer = only(plan_of(matrix(maxSeconds=300)))
    assert not {c.id for c in longer.configs} & set(ids)


def test_the_same_accelerator_in_two_pools_is_one_configuration() -> None:
    m = only(
        plan_of(
            matrix(
                models=["granite-3-3-8b"],
                dtypes=["bf16"],
                hardware=[{"pool": "h100", "gpus": [1]}, {"pool": "h100-b", "gpus": [1]}],
            )
        )
    )
    assert m.expanded == 300
    assert len(m.configs) == 150
    assert m.pruned == (("the same configuration again (same accelerator in two pools)", 150),)


def test_fit_pruning_by_hand() -> None:
    # Llama 3.1 70B in bf16: 70.6e9 x 2 B = 131.5 GiB of weights. One H100 (79.1 GiB as
    # CUDA reports it) gives 0.9 x 79.1 - 2 = 69.2 GiB: no fit; at TP 2 each GPU holds
    # 65.7 GiB and keeps 3.5 GiB of KV cache, enough for one 4,608-token request
    # (2 x 4 KV heads x 128 x 2 B x 80 layers = 160 KiB per token per GPU: 0.70 GiB).
    m = only(
        plan_of(
            matrix(
                models=[{"model": "llama-3-1-70b", "tokenSecret": "hf"}],
                hardware=[{"pool": "l4", "gpus": [1]}, {"pool": "h100", "gpus": [1, 2]}],
                dtypes=["bf16"],
                workloads={"promptTokens": [4096], "outputTokens": [512], "batchSizes": [1]},
            )
        )
    )
    assert m.expanded == 3
    assert [(c.pool.name, c.gpus) for c in m.configs] == [("h100", 2)]
    assert dict(m.pruned) == {
        "llama-3-1-70b bf16 on 1x L4: one 4608-token request does not fit in GPU memory": 1,
        "llama-3-1-70b bf16 on 1x H100-80GB: one 4608-token request does not fit in GPU memory": 1,
    }


def test_long_requests_are_pruned_where_the_kv_cache_cannot_hold_one() -> None:
    # Llama 3.1 8B bf16 on one L4: 0.9 x 22.5 - 2 = 18.2 GiB usable, 15.0 GiB of weights,
    # 3.3 GiB of KV at 128 KiB per token (2 x 8 x 128 x 2 B x 32 layers): ~26,900 tokens.
    # And 131,072 + 128 tokens exceed the model's context before memory is even asked.
    m = only(
        plan_of(
            matrix(
                models=[{"model": "llama-3-1-8b", "tokenSecret": "hf"}],
                hardware=[{"pool": "l4", "gpus": [1]}],
                dtypes=["bf16"],
                workloads={
                    "promptTokens": [16384, 32768, 131072],
                    "outputTokens": [128],
                    "batchSizes": [1],
                },
            )
        )
    )
    assert [c.prompt_tokens for c in m.configs] == [16384]
    assert dict(m.pruned) == {
        "llama-3-1-8b bf16 on 1x L4: one 32896-token request does not fit in GPU memory": 1,
        "llama-3-1-8b: 131072+128 tokens exceed its context of 131072": 1,
    }


def test_gpus_serving_holds_are_not_offered_to_the_matrix() -> None:
    serving = """\
  models:
    - {name: granite, model: ibm-granite/granite-3.3-8b-instruct, server: vllm, pool: h100,
       tensorParallel: 4, replicas: 3}
"""
    plan = plan_of(
        matrix(models=["granite"], hardware=[{"pool": "h100", "gpus": [2, 4, 8]}], dtypes=["bf16"]),
        extra=serving,
    )
    m = only(plan)
    assert plan.gpu_budgets["h100"] == 2 * 8 - 3 * 4
    assert {c.gpus for c in m.configs} == {2, 4}
    assert dict(m.pruned) == {
        "granite-3-3-8b bf16 on 8x H100-80GB: 8 GPUs exceed the 4 that pool h100 leaves "
        "after serving": 150
    }
    (quota,) = kueue_objects(plan)[1]["spec"]["resourceGroups"][0]["flavors"]
    assert quota["resources"] == [
        {"name": "cpu", "nominalQuota": "24"},
        {"name": "memory", "nominalQuota": "112Gi"},
        {"name": "nvidia.com/gpu", "nominalQuota": "4"},
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"servers": ["vllm", "llm-d"]}, "servers[1]: llm-d cannot run as a sidecar"),
        ({"models": ["granite-3-3-8"]}, "models[0]: 'granite-3-3-8' is neither"),
        ({"models": [{"model": "llama-3-1-8b"}]}, "models[0].model: meta-llama/Llama-3.1-8B"),
        ({"hardware": [{"pool": "l4", "gpus": [2]}]}, "hardware[0].gpus[0]: 2 GPUs exceed the 1"),
        ({"hardware": [{"pool": "h200", "gpus": [1]}]}, "hardware[0].pool: no GPU pool 'h200'"),
        ({"dtypes": ["bf16", "bf16"]}, "dtypes[1]: 'bf16' is listed twice"),
        ({"name": "x" * 41}, "name: at most 40 characters"),
        (
            {"models": ["granite-3-3-8b"], "dtypes": ["int4"]},
            ": every one of its 750 configurations is pruned: 150 x granite-3-3-8b int4",
        ),
    ],
)
def test_matrix_spec_errors(change: dict[str, Any], message: str) -> None:
    errors = errors_of(matrix(**change))
    prefix = "spec.matrices[0]" + ("" if message.startswith(":") else ".")
    assert any(f" {prefix}{message}" in e for e in errors), errors
    assert all(e.startswith("lab.yaml:") for e in errors)


def test_matrices_need_kueue() -> None:
    text = LAB.replace(", kueue: {}", "") + "  matrices: " + json.dumps([ISSUE_MATRIX]) + "\n"
    with pytest.raises(SpecError) as caught:
        build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")
    assert "add `kueue: {}` to spec.operators" in str(caught.value.diagnostics[0])


def test_a_batch_job_runs_vllm_as_a_native_sidecar_under_kueue() -> None:
    plan = plan_of(matrix(models=["granite-3-3-8b"], dtypes=["fp8"], batchSize=50))
    m = only(plan)
    config_map, job = batch_objects(plan, m, m.batches[0])
    assert job["metadata"]["name"] == config_map["metadata"]["name"]
    assert job["metadata"]["name"].startswith(f"mx-{m.name}-0000-")
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == f"{plan.name}-matrices"
    spec = job["spec"]
    assert spec["suspend"] is True
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
        {"type": "DisruptionTarget", "status": "True"}
    ]
    pod = spec["template"]["spec"]
    (server,) = pod["initContainers"]
    assert server["restartPolicy"] == "Always"
    assert "startupProbe" in server
    assert "lifecycle" not in server
    assert server["args"][server["args"].index("--quantization") + 1] == "fp8"
    assert pod["nodeSelector"] == {"labgen.dev/gpu-pool": "l4"}
    document = json.loads(config_map["data"]["batch.json"])
    assert [c["id"] for c in document["configs"]] == [c.id for c in m.batches[0].configs]
    first = document["configs"][0]["args"]
    assert "kind=json,path={output}" in first
    target = (
        "kind=openai_http,target=http://localhost:8000,model=ibm-granite/granite-3.3-8b-instruct"
    )
    assert target in first
    # a changed batch is a new Job: its name carries a hash of the spec and the list
    longer = plan_of(matrix(models=["granite-3-3-8b"], dtypes=["fp8"], batchSize=50, maxSeconds=30))
    other = batch_objects(longer, only(longer), only(longer).batches[0])[1]
    assert other["metadata"]["name"] != job["metadata"]["name"]


def test_the_application_ignores_kueue_unsuspending_jobs() -> None:
    (app,) = apps(plan_of(ISSUE_MATRIX))
    assert app.ignore_differences == (
        {"group": "batch", "kind": "Job", "jsonPointers": ["/spec/suspend"]},
    )


# --- the runner, executed for real with a stand-in `guidellm` on PATH --------------------

FAKE_GUIDELLM = """\
#!/bin/sh
# stand-in for the guidellm CLI: write the --output path, fail for model=bad
out=""; model=""
for a in "$@"; do
  case "$a" in
    kind=json,path=*) out="${a#kind=json,path=}" ;;
    *model=bad*) model=bad ;;
  esac
done
echo "$@" >> "$CALLS"
[ "$model" = bad ] && exit 3
echo '{"benchmarks": []}' > "$out"
"""


def _batch(tmp: Path, models: list[str]) -> Path:
    configs = [
        {
            "id": f"id{n}",
            "parameters": {"n": n},
            "args": [
                *("run", "--backend", f"kind=openai_http,model={m}"),
                *("--output", "kind=json,path={output}"),
            ],
        }
        for n, m in enumerate(models)
    ]
    path = tmp / "batch.json"
    path.write_text(json.dumps({"matrix": "m", "batch": 0, "configs": configs}))
    return path


class _Version(http.server.BaseHTTPRequestHandler):
    """vLLM's ``GET /version`` (``{"version": ...}``), the version of the running server."""

    version = "0.30.0"

    def do_GET(self) -> None:
        body = json.dumps({"version": self.version}).encode()
        self.send_response(200 if self.path == "/version" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _run(
    tmp: Path, batch: Path, results: Path, version: str = "0.30.0"
) -> subprocess.CompletedProcess[str]:
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "guidellm"
    fake.write_text(FAKE_GUIDELLM)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    (tmp / "run_batch.py").write_text(RUNNER)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "CALLS": str(tmp / "calls")}
    handler = type("Handler", (_Version,), {"version": version})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            return subprocess.run(
                [sys.executable, str(tmp / "run_batch.py"), str(batch), str(results), url],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
        finally:
            server.shutdown()


def test_the_runner_resumes_and_records_failures(tmp_path: Path) -> None:
    results = tmp_path / "results"
    measured = results / "vllm-0.30.0"
    measured.mkdir(parents=True)
    (measured / "id0.json").write_text("done before\n")
    batch = _batch(tmp_path, ["a", "a", "bad", "a"])
    first = _run(tmp_path, batch, results)
    assert first.returncode == 1  # id2 failed: the Job retries the batch
    summary = json.loads(first.stdout.splitlines()[-1])
    assert summary == {
        "matrix": "m", "batch": 0, "vllm": "0.30.0", "ran": 2, "skipped": 1, "failed": ["id2"],
    }  # fmt: skip
    assert (measured / "id0.json").read_text() == "done before\n"  # skipped, untouched
    params = json.loads((measured / "id1.params.json").read_text())
    assert params == {"matrix": "m", "vllm": "0.30.0", "n": 1}
    assert sorted(p.name for p in measured.iterdir()) == [
        "id0.json", "id1.json", "id1.params.json", "id3.json", "id3.params.json",
    ]  # fmt: skip
    # the retry only runs what is missing
    calls_before = len((tmp_path / "calls").read_text().splitlines())
    second = _run(tmp_path, batch, results)
    assert json.loads(second.stdout.splitlines()[-1])["skipped"] == 3
    assert len((tmp_path / "calls").read_text().splitlines()) == calls_before + 1


def test_a_new_vllm_measures_every_configuration_again(tmp_path: Path) -> None:
    """Ids do not hold the vLLM version: results are filed under the version the server
    reports, so a bumped server skips nothing measured on the old one."""
    results = tmp_path / "results"
    batch = _batch(tmp_path, ["a", "a"])
    assert json.loads(_run(tmp_path, batch, results).stdout.splitlines()[-1])["ran"] == 2
    bumped = _run(tmp_path, batch, results, version="0.30.1")
    assert json.loads(bumped.stdout.splitlines()[-1])["ran"] == 2
    assert sorted(p.name for p in results.iterdir()) == ["vllm-0.30.0", "vllm-0.30.1"]
    for version in ("0.30.0", "0.30.1"):
        params = json.loads((results / f"vllm-{version}" / "id1.params.json").read_text())
        assert params["vllm"] == version


def test_the_rendered_runner_is_the_one_tested(tmp_path: Path) -> None:
    plan = plan_of(matrix(models=["granite-3-3-8b"], dtypes=["bf16"]))
    (app,) = apps(plan)
    runners = [
        o
        for o in app.source.objects  # type: ignore[union-attr]
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-runner")
    ]
    assert [r["data"]["run_batch.py"] for r in runners] == [RUNNER]
    assert yaml.safe_load(yaml.safe_dump(runners[0]))["data"]["run_batch.py"] == RUNNER


def test_labs_sharing_a_namespace_have_their_own_local_queues() -> None:
    """A LocalQueue's clusterQueue is immutable: two labs with one `matrices` LocalQueue in
    one namespace, each pointing it at its own ClusterQueue, rejected the second (issue 14)."""
    spec = matrix(models=["granite-3-3-8b"], dtypes=["fp8"], batchSize=50)
    first = plan_of(spec)
    text = (
        LAB.replace("metadata: {name: mx}", "metadata: {name: other}")
        + "  matrices: "
        + json.dumps([spec])
        + "\n"
    )
    second = build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")
    assert first.name != second.name

    def queues(plan: LabPlan) -> dict[tuple[str, str], str]:
        return {
            (o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]["clusterQueue"]
            for o in kueue_objects(plan)
            if o["kind"] == "LocalQueue"
        }

    ours, theirs = queues(first), queues(second)
    assert {ns for ns, _ in ours} == {ns for ns, _ in theirs}  # the same namespace
    assert not ours.keys() & theirs.keys()
    for plan, local in ((first, ours), (second, theirs)):
        (cluster_queue,) = [o for o in kueue_objects(plan) if o["kind"] == "ClusterQueue"]
        assert set(local.values()) == {cluster_queue["metadata"]["name"]}
        m = only(plan)
        _, job = batch_objects(plan, m, m.batches[0])
        assert {name for _, name in local} == {
            job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"]
        }
