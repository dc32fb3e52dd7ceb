"""Open WebUI (wave 12, once serving is healthy): a Deployment talking to every listed
model's OpenAI-compatible endpoint, keeping its data and RAG vectors in the lab's pgvector
database when `vectorDB` names one, with a volume for uploads and caches.

Configuration comes from the spec on every start (`ENABLE_PERSISTENT_CONFIG=false`):
settings changed in the admin UI last until the next restart, and the rendered tree stays
the source of truth. Secrets are references: `WEBUI_SECRET_KEY` from the user's Secret,
the database URL from the Secret CloudNativePG writes for the database owner.
"""

from __future__ import annotations

from collections.abc import Iterator

from labgen.components.base import WAVE_APPS, App, Component, K8sObject, KustomizeSource, obj
from labgen.components.podsecurity import without_api_token
from labgen.data.platforms import Platform
from labgen.plan.model import LabPlan, OpenWebUIPlan

KEY = "open-webui"
NAME = "open-webui"
PORT = 8080
DATA = "/app/backend/data"
UID = 1000
"""Any non-root UID: the image's writable paths belong to group 0 (arbitrary-UID ready)."""
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "ui"}
KEEP = {"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"}


def env(ui: OpenWebUIPlan) -> list[K8sObject]:
    urls = [f"{url}/v1" for _, url in ui.endpoints]
    out: list[K8sObject] = [
        {"name": "ENABLE_PERSISTENT_CONFIG", "value": "false"},
        {"name": "ENABLE_OLLAMA_API", "value": "false"},
        {"name": "ENABLE_OPENAI_API", "value": "true"},
        {"name": "OPENAI_API_BASE_URLS", "value": ";".join(urls)},
    ]
    if len(urls) > 1:
        # one key per URL, all empty: the lab's servers take no API key
        out.append({"name": "OPENAI_API_KEYS", "value": ";" * (len(urls) - 1)})
    out += [
        {"name": "WEBUI_AUTH", "value": "true"},
        {
            "name": "WEBUI_SECRET_KEY",
            "valueFrom": {"secretKeyRef": {"name": ui.secret, "key": "WEBUI_SECRET_KEY"}},
        },
    ]
    out += access_env(ui)
    if ui.database is not None:
        uri = {"secretKeyRef": {"name": ui.database.app_secret, "key": "uri"}}
        out += [
            {"name": "DATABASE_URL", "valueFrom": uri},
            {"name": "VECTOR_DB", "value": "pgvector"},
            {"name": "PGVECTOR_DB_URL", "valueFrom": uri},
            # the Database object creates the extension; the app's role may not
            {"name": "PGVECTOR_CREATE_EXTENSION", "value": "false"},
        ]
    return out


def _secret_env(name: str, secret: str, optional: bool = False) -> K8sObject:
    ref: K8sObject = {"name": secret, "key": name}
    if optional:
        ref["optional"] = True
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def access_env(ui: OpenWebUIPlan) -> list[K8sObject]:
    """Who gets in (Open WebUI v0.11 environment, docs reference/env-configuration): the
    admin created on the first start from a Secret (sign-up then stays closed: with
    ``ENABLE_PERSISTENT_CONFIG=false`` the environment decides it on every start), OIDC
    login passed through, and secure cookies plus ``WEBUI_URL`` (OAuth redirects) when the
    UI is served over HTTPS by the lab's Gateway."""
    out: list[K8sObject] = []
    if ui.url is not None:
        out += [
            {"name": "WEBUI_URL", "value": ui.url},
            {"name": "WEBUI_SESSION_COOKIE_SECURE", "value": "true"},
            {"name": "WEBUI_AUTH_COOKIE_SECURE", "value": "true"},
        ]
    if ui.admin_secret is not None:
        out += [
            {"name": "ENABLE_SIGNUP", "value": "false"},
            _secret_env("WEBUI_ADMIN_EMAIL", ui.admin_secret),
            _secret_env("WEBUI_ADMIN_PASSWORD", ui.admin_secret),
            _secret_env("WEBUI_ADMIN_NAME", ui.admin_secret, optional=True),
        ]
    if ui.oidc is not None:
        oidc = ui.oidc
        out += [
            {"name": "ENABLE_OAUTH_SIGNUP", "value": "true"},
            {"name": "OPENID_PROVIDER_URL", "value": oidc.issuer},
            {"name": "OAUTH_CLIENT_ID", "value": oidc.client_id},
            _secret_env("OAUTH_CLIENT_SECRET", oidc.client_secret),
            {"name": "OAUTH_PROVIDER_NAME", "value": oidc.provider_name},
            {"name": "OAUTH_SCOPES", "value": oidc.scopes},
        ]
    return out


def deployment(ui: OpenWebUIPlan, platform: Platform) -> K8sObject:
    health = {"path": "/health", "port": "http"}
    pod_security: K8sObject = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if not platform.assigns_pod_ids:  # else OpenShift's restricted SCC picks them itself
        pod_security.update({"runAsUser": UID, "runAsGroup": 0, "fsGroup": 0})
    container: K8sObject = {
        "name": NAME,
        "image": ui.image,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env(ui),
        "resources": {
            "requests": {"cpu": "500m", "memory": "2Gi"},
            "limits": {"memory": "4Gi"},
        },
        # the first start migrates the database and downloads the embedding model
        "startupProbe": {"httpGet": health, "periodSeconds": 10, "failureThreshold": 60},
        "readinessProbe": {"httpGet": health, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {"httpGet": health, "periodSeconds": 20, "failureThreshold": 3},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "data", "mountPath": DATA}],
    }
    return obj(
        "apps/v1",
        "Deployment",
        NAME,
        ui.namespace,
        LABELS,
        spec={
            "replicas": 1,
            # one ReadWriteOnce volume: the old pod must let go of it first
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    "securityContext": pod_security,
                    **without_api_token(),
                    "containers": [container],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": NAME}}],
                },
            },
        },
    )


def objects(ui: OpenWebUIPlan, platform: Platform) -> list[K8sObject]:
    claim: K8sObject = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": ui.storage}},
        "volumeMode": "Filesystem",
    }
    if ui.storage_class is not None:
        claim["storageClassName"] = ui.storage_class
    return [
        # uploads and caches outlive the Application
        obj("v1", "PersistentVolumeClaim", NAME, ui.namespace, LABELS, KEEP, spec=claim),
        deployment(ui, platform),
        obj(
            "v1",
            "Service",
            NAME,
            ui.namespace,
            LABELS,
            spec={
                "selector": dict(LABELS),
                "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
            },
        ),
    ]


def apps(plan: LabPlan) -> Iterator[App]:
    ui = plan.open_webui
    if ui is None:
        return
    yield App(
        KEY,
        WAVE_APPS,
        ui.namespace,
        KustomizeSource(objects=tuple(objects(ui, plan.platform))),
        create_namespace=True,
    )


COMPONENT = Component(KEY, apps=apps)
