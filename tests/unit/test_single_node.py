"""Single-node labs (provider k3s): downsizing, one node's limits, the local setup
commands. The one-node spec errors are invalid cases (tests/cases/invalid/single-node-*)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from labgen.components import monitoring
from labgen.components.base import App, KustomizeSource
from labgen.data.single_node import ARGOCD_VERSION
from labgen.plan import build_plan
from labgen.plan.describe import downsized_table
from labgen.plan.model import LabPlan
from labgen.plan.nodes import node_commands, node_setup
from labgen.render import lab_apps
from labgen.spec import parse_lab

HEAD = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{{{name: {name}}}}}
spec:
  cluster: {{{{platform: kubernetes, provider: {{provider}}, kubernetesVersion: "{version}"}}}}
  gitops: {{{{repoURL: https://github.com/example/lab.git}}}}
"""

# Valid on a cluster (baremetal, one node of 8 GPUs) and on one machine (k3s) alike.
SPEC = (
    HEAD.format(name="ws", version="1.33")
    + """\
  gpuPools:
    - {{name: gpu, accelerator: L40S, gpusPerNode: 8, nodes: {{min: 1, max: 1}}}}
  gateway: {{className: istio}}
  operators: {{gpuOperator: {{}}, keda: {{}}, cnpg: {{}}, monitoring: {{}}, gatewayApi: {{}},
              inferenceExtension: {{}}}}
  models:
    - {{name: phi, model: microsoft/Phi-3.5-mini-instruct, server: vllm, pool: gpu,
       autoscaling: {{min: 1, max: 3}}, maxModelLen: 8192, cache: {{size: 20Gi}}}}
    - {{name: qwen, model: Qwen/Qwen3-8B, server: llm-d, pool: gpu, routing: pd, replicas: 2,
       prefill: {{replicas: 2}}, maxModelLen: 8192}}
  databases:
    - {{name: vectors, engine: pgvector, storage: 10Gi, pooler: {{instances: 2}}}}
  apps: {{openWebUI: {{models: [phi], vectorDB: vectors, adminSecret: webui-admin}}}}
  observability: {{grafanaAdminSecret: grafana-admin}}
"""
)


def _plan(provider: str, spec: str = SPEC) -> LabPlan:
    return build_plan(parse_lab(spec.format(provider=provider), "lab.yaml"), "lab.yaml")


def _objects(plan: LabPlan) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for app in lab_apps(plan):
        for source in (app.source, app.extra_source):
            if isinstance(source, KustomizeSource):
                out += source.objects
    return out


def _kinds(plan: LabPlan) -> set[str]:
    return {o["kind"] for o in _objects(plan)}


def _app(plan: LabPlan, component: str) -> App:
    (app,) = [a for a in lab_apps(plan) if a.component == component]
    return app


def test_each_downsizing_is_recorded_with_its_spec_path() -> None:
    plan = _plan("k3s")
    assert [(d.field, d.was, d.now) for d in plan.downsized] == [
        ("spec.models[0].autoscaling", "1-3 replicas", "1 replica"),
        ("spec.models[0].cache.accessMode", "ReadWriteMany", "ReadWriteOnce"),
        ("spec.models[1].replicas", "2", "1"),
        ("spec.models[1].prefill.replicas", "2", "1"),
        ("spec.databases[0].instances", "3", "1"),
        ("spec.databases[0].pooler.instances", "2", "1"),
    ]
    table = downsized_table(plan)
    assert table is not None
    assert len(table.rows) == 6
    # the same spec on a cluster runs as written
    cluster = _plan("baremetal")
    assert cluster.downsized == ()
    assert downsized_table(cluster) is None


def test_models_run_one_replica_without_autoscaling() -> None:
    plan = _plan("k3s")
    phi, qwen = plan.models
    assert (phi.replicas, phi.autoscaling) == (1, None)
    assert qwen.replicas == 1
    assert qwen.prefill is not None
    assert qwen.prefill.replicas == 1
    assert "ScaledObject" not in _kinds(plan)
    cluster = _plan("baremetal")
    assert cluster.models[0].autoscaling is not None
    assert cluster.models[1].replicas == 2
    assert "ScaledObject" in _kinds(cluster)


def test_model_cache_is_read_write_once() -> None:
    plan = _plan("k3s")
    assert plan.models[0].cache is not None
    assert plan.models[0].cache.access_mode == "ReadWriteOnce"
    claims = [o for o in _objects(plan) if o["kind"] == "PersistentVolumeClaim"]
    assert claims
    assert all(c["spec"]["accessModes"] == ["ReadWriteOnce"] for c in claims)
    assert _plan("baremetal").models[0].cache.access_mode == "ReadWriteMany"  # type: ignore[union-attr]


def test_database_runs_one_instance_and_one_pooler() -> None:
    plan = _plan("k3s")
    (db,) = plan.databases
    assert db.instances == 1
    assert db.pooler is not None
    assert db.pooler.instances == 1
    objects = _objects(plan)
    (cluster,) = [o for o in objects if o["kind"] == "Cluster"]
    (pooler,) = [o for o in objects if o["kind"] == "Pooler"]
    assert (cluster["spec"]["instances"], pooler["spec"]["instances"]) == (1, 1)
    assert _plan("baremetal").databases[0].instances == 3


def test_no_nodes_are_provisioned() -> None:
    plan = _plan("k3s")
    assert {p.provisioner for p in plan.pools} == {"external"}
    assert not {"MachineSet", "MachineAutoscaler", "ClusterAutoscaler", "NodePool"} & _kinds(plan)
    assert "gpu-pools" not in {a.component for a in lab_apps(plan)}


def test_gpu_operator_uses_the_hosts_driver_and_toolkit() -> None:
    operator = _plan("k3s").gpu_operator
    assert operator is not None
    assert (operator.driver, operator.toolkit) == (False, False)
    operator = _plan("baremetal").gpu_operator
    assert operator is not None
    assert (operator.driver, operator.toolkit) == (True, True)


def test_monitoring_is_light_on_one_node() -> None:
    values: Any = monitoring.helm_values(_plan("k3s"))
    assert values["prometheus"]["prometheusSpec"]["replicas"] == 1
    assert values["prometheus"]["prometheusSpec"]["retention"] == "3d"
    assert values["alertmanager"] == {"enabled": False}
    for component in ("kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"):
        assert values[component] == {"enabled": False}
    # the dashboards stay
    assert values["grafana"]["enabled"] is True
    assert "observability" in {a.component for a in lab_apps(_plan("k3s"))}
    cluster: Any = monitoring.helm_values(_plan("baremetal"))
    assert "replicas" not in cluster["prometheus"]["prometheusSpec"]
    assert "kubeScheduler" not in cluster
    assert "enabled" not in cluster["alertmanager"]


def test_setup_commands_are_in_order_and_pinned() -> None:
    plan = _plan("k3s")
    setup = node_setup(plan)
    assert setup is not None
    assert list(setup.commands) == node_commands(plan)
    commands = node_commands(plan)
    steps = [c for c in commands if c.startswith("#")]
    assert [s.split(".")[0] for s in steps] == [f"# {n}" for n in range(1, len(steps) + 1)]

    def at(pattern: str) -> int:
        return next(i for i, c in enumerate(commands) if re.search(pattern, c))

    order = [
        at(r"^nvidia-smi"),
        at(r"get\.k3s\.io \| INSTALL_K3S_CHANNEL=v1\.33 .* --default-runtime=nvidia"),
        at(r"^kubectl label node --all labgen\.dev/gpu-pool=gpu "),
        at(rf"argo-cd/{ARGOCD_VERSION}/manifests/install\.yaml"),
        at(r"^kubectl create namespace data$"),
        at(r"^kubectl -n data create secret generic open-webui --from-literal=WEBUI_SECRET_KEY="),
        at(r"^kubectl -n data create secret generic webui-admin .*WEBUI_ADMIN_PASSWORD="),
        at(r"^kubectl -n monitoring create secret generic grafana-admin .*admin-password="),
        at(r"^labgen render ws$"),
        at(r"^labgen bootstrap ws$"),
        at(r"^labgen status ws --wait$"),
    ]
    assert order == sorted(order)
    # the one node runs everything: it is labelled for its pool, never tainted
    assert not any(c.startswith("kubectl taint") for c in commands)


def test_argocd_pin_is_the_release_labgen_validates_against() -> None:
    sources = Path(__file__).parents[2] / "src/labgen/crd_schemas/SOURCES.md"
    (row,) = [
        line
        for line in sources.read_text().splitlines()
        if line.startswith("| `argoproj.io/application_")
    ]
    assert f"| {ARGOCD_VERSION} |" in row


def test_setup_without_gpus_has_no_gpu_steps() -> None:
    spec = (
        HEAD.format(name="cpu", version="1.34")
        + """\
  operators: {{cnpg: {{}}}}
  databases: [{{name: vectors, engine: pgvector, storage: 1Gi}}]
"""
    )
    commands = node_commands(_plan("k3s", spec))
    assert any("INSTALL_K3S_CHANNEL=v1.34 sh -s - server --disable=traefik" in c for c in commands)
    assert not any("nvidia" in c or c.startswith("kubectl label") for c in commands)
    # a cluster lab without external pools prints no node setup
    assert node_setup(_plan("baremetal", spec)) is None


def test_cluster_labs_keep_their_node_commands() -> None:
    commands = node_commands(_plan("baremetal"))
    assert commands[0] == "# pool gpu: 1 node(s) with 8x L40S"
    assert commands[2] == "kubectl taint node NODE... nvidia.com/gpu=L40S:NoSchedule"
