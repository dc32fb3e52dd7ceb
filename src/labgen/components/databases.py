"""pgvector databases on CloudNativePG: an Application per namespace (wave 5) with, per
`spec.databases` entry, a Cluster, a declarative Database with the `vector` extension,
and optionally a PgBouncer Pooler, a ScheduledBackup and PodMonitors.

Choices tied to the pinned CloudNativePG (1.30):

- The operand image is CloudNativePG's `system` image (tag and digest from its signed
  catalog), which has pgvector and Barman Cloud; see `data/releases.py`.
- Backups use the in-tree `spec.backup.barmanObjectStore`. It is deprecated since 1.26 in
  favour of the Barman Cloud plugin and removed in 1.31; the plugin's `ObjectStore`
  (barmancloud.cnpg.io) has no schema among the ones labgen validates against, so it is
  not emitted. Moving to the plugin is a change of this module when the table moves.
- `spec.monitoring.enablePodMonitor` is deprecated ("create a PodMonitor manually"), so
  PodMonitors are separate objects, rendered when the lab has `operators.monitoring`.
- The Cluster is never pruned or deleted by Argo CD: its PVCs hold the data, and removing
  a database from the spec must not drop it. Delete it by hand when you mean to.
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import WAVE_DATA, App, Component, K8sObject, KustomizeSource, obj
from labgen.plan.data import APP_PREFIX
from labgen.plan.model import DatabasePlan, LabPlan

KEY = "databases"
API = "postgresql.cnpg.io/v1"
DATABASE_LABEL = "labgen.dev/database"
CLUSTER_LABEL = "cnpg.io/cluster"
POD_ROLE_LABEL = "cnpg.io/podRole"
POOLER_LABEL = "cnpg.io/poolerName"
EXTENSION = "vector"
KEEP = {
    "argocd.argoproj.io/sync-wave": "0",
    "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
}
AFTER_CLUSTER = {"argocd.argoproj.io/sync-wave": "1"}
ACCESS_KEY_ID = "ACCESS_KEY_ID"
ACCESS_SECRET_KEY = "ACCESS_SECRET_KEY"


def cluster(db: DatabasePlan) -> K8sObject:
    storage: K8sObject = {"size": db.storage}
    if db.storage_class is not None:
        storage["storageClass"] = db.storage_class
    affinity: K8sObject = {
        "enablePodAntiAffinity": True,
        "podAntiAffinityType": "required",
        "topologyKey": "kubernetes.io/hostname",
    }
    if db.node_selector:
        affinity["nodeSelector"] = dict(db.node_selector)
    spec: K8sObject = {
        "instances": db.instances,
        "imageName": db.image,
        "bootstrap": {"initdb": {"database": db.database, "owner": db.owner}},
        "storage": storage,
        "resources": {
            "requests": {"cpu": db.cpu, "memory": db.memory},
            "limits": {"memory": db.memory},
        },
        "affinity": affinity,
    }
    if db.backup is not None:
        backup = db.backup
        store: K8sObject = {"destinationPath": backup.destination}
        if backup.endpoint_url is not None:
            store["endpointURL"] = backup.endpoint_url
        store["s3Credentials"] = {
            "accessKeyId": {"name": backup.credentials_secret, "key": ACCESS_KEY_ID},
            "secretAccessKey": {"name": backup.credentials_secret, "key": ACCESS_SECRET_KEY},
        }
        store["wal"] = {"compression": "gzip"}
        store["data"] = {"compression": "gzip"}
        spec["backup"] = {"barmanObjectStore": store, "retentionPolicy": backup.retention}
    return obj(API, "Cluster", db.name, db.namespace, _labels(db), KEEP, spec=spec)


def objects(db: DatabasePlan, monitoring: bool) -> list[K8sObject]:
    out = [
        cluster(db),
        _of_cluster(
            db,
            "Database",
            db.name,
            {"name": db.database, "owner": db.owner, "extensions": [{"name": EXTENSION}]},
        ),
    ]
    if db.pooler is not None:
        pgbouncer = {
            "name": "pgbouncer",
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"memory": "256Mi"},
            },
        }
        out.append(
            _of_cluster(
                db,
                "Pooler",
                db.pooler_name,
                {
                    "instances": db.pooler.instances,
                    "type": "rw",
                    "pgbouncer": {"poolMode": db.pooler.pool_mode},
                    "template": {"spec": {"containers": [pgbouncer]}},
                },
            )
        )
    if db.backup is not None:
        out.append(
            _of_cluster(
                db,
                "ScheduledBackup",
                db.name,
                {
                    "schedule": db.backup.schedule,
                    "method": "barmanObjectStore",
                    "immediate": True,
                    "backupOwnerReference": "self",
                },
            )
        )
    if monitoring:
        out.append(_pod_monitor(db, db.name, {CLUSTER_LABEL: db.name, POD_ROLE_LABEL: "instance"}))
        if db.pooler is not None:
            out.append(_pod_monitor(db, db.pooler_name, {POOLER_LABEL: db.pooler_name}))
    return out


def _of_cluster(db: DatabasePlan, kind: str, name: str, spec: K8sObject) -> K8sObject:
    """A CloudNativePG object that points at the database's Cluster, synced after it."""
    return obj(
        API,
        kind,
        name,
        db.namespace,
        _labels(db),
        AFTER_CLUSTER,
        spec={"cluster": {"name": db.name}, **spec},
    )


def _pod_monitor(db: DatabasePlan, name: str, selector: dict[str, str]) -> K8sObject:
    return obj(
        "monitoring.coreos.com/v1",
        "PodMonitor",
        name,
        db.namespace,
        _labels(db),
        spec={
            "selector": {"matchLabels": selector},
            "podMetricsEndpoints": [{"port": "metrics"}],
        },
    )


def _labels(db: DatabasePlan) -> dict[str, str]:
    return {DATABASE_LABEL: db.name}


def apps(plan: LabPlan) -> Iterator[App]:
    """One Application per namespace, which it creates (Argo CD never deletes a namespace
    it created, so removing databases does not take the namespace's other tenants along)."""
    monitoring = plan.has("monitoring")
    for namespace in sorted({db.namespace for db in plan.databases}):
        dbs = [db for db in plan.databases if db.namespace == namespace]
        yield App(
            f"{APP_PREFIX}{namespace}",
            WAVE_DATA,
            namespace,
            KustomizeSource(objects=tuple(o for db in dbs for o in objects(db, monitoring))),
            create_namespace=True,
        )


COMPONENT = Component(KEY, apps=apps)
