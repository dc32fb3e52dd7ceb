"""pgvector databases and Open WebUI: plan defaults, the objects they render (valid against
the upstream schemas), and the model URLs Open WebUI shares with benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from labgen.components import databases, open_webui
from labgen.data.releases import RELEASES
from labgen.errors import SpecError
from labgen.plan import build_plan
from labgen.plan.endpoints import model_url
from labgen.plan.model import LabPlan
from labgen.schemas import SchemaSet
from labgen.spec import parse_lab
from support import validation_errors

SPEC = """\
apiVersion: labgen.dev/v1alpha1
kind: Lab
metadata: {{name: data}}
spec:
  cluster: {cluster}
  gitops: {{repoURL: https://github.com/example/lab.git}}
  gpuPools:
    - {{name: h100, accelerator: H100-80GB, gpusPerNode: 8, nodes: {{min: 1, max: 4}}}}
  gateway: {{className: istio}}
  operators:
    {{gpuOperator: {{}}, nfd: {{}}, gatewayApi: {{}}, inferenceExtension: {{}}, kserve: {{}},
     certManager: {{}}, cnpg: {{}}, {monitoring}}}
  models:
    - {{name: a, model: Qwen/Qwen3-8B, server: vllm, pool: h100, maxModelLen: 8192}}
    - {{name: b, model: Qwen/Qwen3-8B, server: kserve, pool: h100, maxModelLen: 8192}}
    - {{name: c, model: Qwen/Qwen3-8B, server: llm-d, pool: h100, maxModelLen: 8192}}
    - {{name: d, model: Qwen/Qwen3-8B, server: llm-d-kserve, pool: h100, maxModelLen: 8192}}
  databases: {databases}
  apps: {apps}
"""
KUBERNETES = '{platform: kubernetes, provider: baremetal, kubernetesVersion: "1.33"}'
OPENSHIFT = "{platform: openshift, provider: baremetal, kubernetesVersion: '1.33'}"


def plan_of(
    databases: str = "[]",
    apps: str = "{}",
    cluster: str = KUBERNETES,
    monitoring: bool = True,
) -> LabPlan:
    text = SPEC.format(
        cluster=cluster,
        databases=databases,
        apps=apps,
        monitoring="monitoring: {}" if monitoring else "",
    )
    return build_plan(parse_lab(text, "lab.yaml"), "lab.yaml")


def by_kind(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for item in objects:
        out.setdefault(item["kind"], []).append(item)
    return out


def test_database_defaults() -> None:
    (db,) = plan_of("[{name: my-vectors, engine: pgvector}]").databases
    assert (db.namespace, db.instances, db.database, db.owner) == ("data", 3, "my_vectors", "app")
    # PostgreSQL 18 unless the spec says otherwise, pinned by digest
    assert db.image.startswith("ghcr.io/cloudnative-pg/postgresql:18."), db.image
    assert "@sha256:" in db.image
    (v17,) = plan_of("[{name: v, engine: pgvector, postgresVersion: 17}]").databases
    assert v17.image.startswith("ghcr.io/cloudnative-pg/postgresql:17."), v17.image
    assert db.app_secret == "my-vectors-app"
    assert db.pooler is None
    assert db.backup is None


def test_operand_images_are_pinned_by_tag_and_digest() -> None:
    for major in (17, 18):
        image = RELEASES["cnpg"].images[f"postgresql-{major}"]
        repo, _, rest = image.partition(":")
        tag, _, digest = rest.partition("@")
        assert repo == "ghcr.io/cloudnative-pg/postgresql"
        # CloudNativePG reads the major version from the tag's start
        assert tag.startswith(f"{major}."), tag
        assert tag.endswith("-system-trixie"), tag
        assert digest.startswith("sha256:")
        assert len(digest) == len("sha256:") + 64


def test_cluster_spreads_instances_over_nodes_and_keeps_its_data() -> None:
    (db,) = plan_of("[{name: v, engine: pgvector, storageClass: fast}]").databases
    cluster = databases.cluster(db)
    assert cluster["spec"]["affinity"] == {
        "enablePodAntiAffinity": True,
        "podAntiAffinityType": "required",
        "topologyKey": "kubernetes.io/hostname",
    }
    assert cluster["spec"]["storage"] == {"size": "20Gi", "storageClass": "fast"}
    # the deprecated operator-made PodMonitor is not used
    assert "monitoring" not in cluster["spec"]
    options = cluster["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
    assert options == "Prune=false,Delete=false"


def test_database_object_owns_the_vector_extension() -> None:
    (db,) = plan_of("[{name: v, engine: pgvector, database: docs}]").databases
    (database,) = by_kind(databases.objects(db, monitoring=False))["Database"]
    assert database["spec"] == {
        "cluster": {"name": "v"},
        "name": "docs",
        "owner": "app",
        "extensions": [{"name": "vector"}],
    }
    assert databases.cluster(db)["spec"]["bootstrap"] == {
        "initdb": {"database": "docs", "owner": "app"}
    }


BACKUP = (
    "{schedule: '0 0 3 * * *', retention: 2w, destination: "
    "{path: s3://lab-backups/pg, credentialsSecret: s3-creds}}"
)


def test_backup_refers_to_credentials_by_secret_only() -> None:
    (db,) = plan_of(f"[{{name: v, engine: pgvector, backup: {BACKUP}}}]").databases
    kinds = by_kind(databases.objects(db, monitoring=False))
    backup = kinds["Cluster"][0]["spec"]["backup"]
    assert backup["retentionPolicy"] == "2w"
    credentials = backup["barmanObjectStore"]["s3Credentials"]
    assert {ref["name"] for ref in credentials.values()} == {"s3-creds"}
    (scheduled,) = kinds["ScheduledBackup"]
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    assert scheduled["spec"]["schedule"] == "0 0 3 * * *"


def test_pod_monitors_only_with_monitoring() -> None:
    spec = "[{name: v, engine: pgvector, pooler: {}}]"
    (db,) = plan_of(spec).databases
    monitors = by_kind(databases.objects(db, monitoring=True))["PodMonitor"]
    selectors = [m["spec"]["selector"]["matchLabels"] for m in monitors]
    assert selectors == [
        {"cnpg.io/cluster": "v", "cnpg.io/podRole": "instance"},
        {"cnpg.io/poolerName": "v-pooler"},
    ]
    (db,) = plan_of(spec, monitoring=False).databases
    assert "PodMonitor" not in by_kind(databases.objects(db, monitoring=False))


def test_one_application_per_database_namespace() -> None:
    plan = plan_of(
        "[{name: a, engine: pgvector}, {name: b, engine: pgvector, namespace: other},"
        " {name: c, engine: pgvector}]"
    )
    apps = list(databases.apps(plan))
    assert [(a.component, a.namespace, a.create_namespace) for a in apps] == [
        ("db-data", "data", True),
        ("db-other", "other", True),
    ]


def test_open_webui_uses_the_urls_benchmarks_use() -> None:
    plan = plan_of(apps="{openWebUI: {models: [c, a, b]}}")
    ui = plan.open_webui
    assert ui is not None
    assert [m.name for m, _ in ui.endpoints] == ["c", "a", "b"]
    for model, url in ui.endpoints:
        assert url == model_url(model, plan.gateway_class)
    env = {e["name"]: e for e in open_webui.env(ui)}
    assert env["OPENAI_API_BASE_URLS"]["value"] == (
        "http://c-istio.llm.svc.cluster.local/v1;"
        "http://a.llm.svc.cluster.local:8000/v1;"
        "http://b-predictor.llm.svc.cluster.local/v1"
    )
    assert env["OPENAI_API_KEYS"]["value"] == ";;"
    assert env["ENABLE_OLLAMA_API"]["value"] == "false"
    # no vector database: Open WebUI's defaults on its own volume
    assert "DATABASE_URL" not in env
    assert "VECTOR_DB" not in env
    assert ui.namespace == "open-webui"


def test_open_webui_on_pgvector_reads_the_cnpg_app_secret() -> None:
    plan = plan_of(
        "[{name: vectors, engine: pgvector, namespace: rag}]",
        "{openWebUI: {models: [a], vectorDB: vectors}}",
    )
    ui = plan.open_webui
    assert ui is not None
    assert ui.namespace == "rag"
    env = {e["name"]: e for e in open_webui.env(ui)}
    for name in ("DATABASE_URL", "PGVECTOR_DB_URL"):
        assert env[name]["valueFrom"] == {"secretKeyRef": {"name": "vectors-app", "key": "uri"}}
    assert env["VECTOR_DB"]["value"] == "pgvector"
    assert env["WEBUI_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "open-webui"
    assert "OPENAI_API_KEYS" not in env  # one URL: one (empty) key by default


def test_open_webui_security_context_per_platform() -> None:
    apps = "{openWebUI: {models: [a]}}"
    for cluster, uid in ((KUBERNETES, 1000), (OPENSHIFT, None)):
        plan = plan_of(apps=apps, cluster=cluster)
        assert plan.open_webui is not None
        pod = open_webui.deployment(plan.open_webui, plan.platform)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"].get("runAsUser") == uid


def test_open_webui_needs_a_known_url() -> None:
    with pytest.raises(SpecError) as caught:
        plan_of(apps="{openWebUI: {models: [a, d]}}")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.path == "spec.apps.openWebUI.models[1]"
    assert "LLMInferenceService publishes its URL only in its status" in diagnostic.message


def test_rendered_objects_are_valid(schema_set: Callable[[str], SchemaSet]) -> None:
    plan = plan_of(
        f"[{{name: v, engine: pgvector, postgresVersion: 17, nodeSelector: {{disk: ssd}},"
        f" pooler: {{instances: 1, poolMode: transaction}}, backup: {BACKUP}}}]",
        "{openWebUI: {models: [a, b, c], vectorDB: v, storageClass: fast}}",
    )
    assert plan.open_webui is not None
    objects = databases.objects(plan.databases[0], monitoring=True)
    objects += open_webui.objects(plan.open_webui, plan.platform)
    assert not validation_errors(schema_set("1.33"), objects, "data")
