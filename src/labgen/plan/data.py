"""spec.databases and spec.apps -> DatabasePlan and OpenWebUIPlan: names, images, the
operator they need, and the cross references (models, vector database) resolved."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence

from labgen.data.types import Release
from labgen.errors import PathPart
from labgen.plan.endpoints import model_url, why_no_url
from labgen.plan.model import (
    BackupPlan,
    DatabasePlan,
    ModelPlan,
    OidcPlan,
    OpenWebUIPlan,
    PoolerPlan,
)
from labgen.spec import Database, Lab

Report = Callable[[tuple[PathPart, ...], str], None]

MAX_NAME = 50
"""CloudNativePG derives Services (`<name>-rw`, `<name>-pooler`), PVCs and Jobs from it."""
OWNER = "app"
"""The role that owns the database; CloudNativePG writes its credentials to `<name>-app`."""
UI_NAMESPACE = "open-webui"
APP_PREFIX = "db-"
"""Databases' Applications are `<lab>-db-<namespace>`."""
MAX_APP_NAME = 63
CRON_FIELDS = 6


def resolve_databases(
    lab: Lab, operators: frozenset[str], releases: Mapping[str, Release], error: Report
) -> tuple[DatabasePlan, ...]:
    out = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(lab.spec.databases):
        at: tuple[PathPart, ...] = ("spec", "databases", i)
        if spec.name in seen:
            error(
                (*at, "name"),
                f"duplicate database {spec.name!r} (also databases[{seen[spec.name]}])",
            )
        seen.setdefault(spec.name, i)
        if not spec.name[0].isalpha():
            error((*at, "name"), "must start with a letter: it names the cluster's Services")
        if len(spec.name) > MAX_NAME:
            error(
                (*at, "name"),
                f"at most {MAX_NAME} characters (CloudNativePG derives names from it)",
            )
        if "cnpg" not in operators:
            error(
                (*at, "engine"),
                "pgvector databases run on CloudNativePG: add spec.operators.cnpg: {}",
            )
        app = f"{lab.metadata.name}-{APP_PREFIX}{spec.namespace}"
        if len(app) > MAX_APP_NAME:
            error(
                (*at, "namespace"),
                f"too long: its Application {app!r} must fit in {MAX_APP_NAME} characters",
            )
        out.append(_database(spec, at, releases, error))
    return tuple(out)


def _database(
    spec: Database, at: tuple[PathPart, ...], releases: Mapping[str, Release], error: Report
) -> DatabasePlan:
    backup = None
    if spec.backup is not None:
        schedule = spec.backup.schedule
        fields = schedule.split()
        if len(fields) != CRON_FIELDS:
            hint = (
                f"; for {schedule!r} write '0 {schedule}'" if len(fields) == CRON_FIELDS - 1 else ""
            )
            error(
                (*at, "backup", "schedule"),
                f"CloudNativePG schedules have six cron fields, seconds first{hint}",
            )
        destination = spec.backup.destination
        backup = BackupPlan(
            schedule=" ".join(fields),
            destination=destination.path.rstrip("/"),
            endpoint_url=destination.endpointURL,
            credentials_secret=destination.credentialsSecret,
            retention=spec.backup.retention,
        )
    pooler = None
    if spec.pooler is not None:
        pooler = PoolerPlan(instances=spec.pooler.instances, pool_mode=spec.pooler.poolMode)
    return DatabasePlan(
        name=spec.name,
        namespace=spec.namespace,
        instances=spec.instances,
        image=releases["cnpg"].images[f"postgresql-{spec.postgresVersion}"],
        storage=spec.storage,
        storage_class=spec.storageClass,
        cpu=spec.cpu,
        memory=spec.memory,
        node_selector=dict(sorted(spec.nodeSelector.items())),
        database=spec.database or spec.name.replace("-", "_"),
        owner=OWNER,
        pooler=pooler,
        backup=backup,
    )


def resolve_open_webui(
    lab: Lab,
    models: Sequence[ModelPlan],
    databases: Sequence[DatabasePlan],
    gateway_class: str | None,
    releases: Mapping[str, Release],
    error: Report,
) -> OpenWebUIPlan | None:
    spec = lab.spec.apps.openWebUI
    if spec is None:
        return None
    at: tuple[PathPart, ...] = ("spec", "apps", "openWebUI")
    by_name = {m.name: m for m in models}
    declared = [m.name for m in lab.spec.models]
    endpoints = []
    for j, name in enumerate(spec.models):
        if name in spec.models[:j]:
            error((*at, "models", j), f"{name!r} is listed twice")
            continue
        model = by_name.get(name)
        if model is None:
            if name not in declared:  # an invalid model already has its own error
                error(
                    (*at, "models", j),
                    f"no model named {name!r} in spec.models{_hint(name, declared)}",
                )
            continue
        url = model_url(model, gateway_class)
        if url is None:
            error(
                (*at, "models", j),
                f"labgen cannot give Open WebUI a URL for {name!r}: "
                + why_no_url(model, gateway_class),
            )
            continue
        endpoints.append((model, url))
    database = None
    if spec.vectorDB is not None:
        database = next((d for d in databases if d.name == spec.vectorDB), None)
        if database is None:
            names = [d.name for d in lab.spec.databases]
            error(
                (*at, "vectorDB"),
                f"no database named {spec.vectorDB!r} in spec.databases"
                + _hint(spec.vectorDB, names),
            )
    namespace = spec.namespace or (database.namespace if database else UI_NAMESPACE)
    if database is not None and namespace != database.namespace:
        error(
            (*at, "namespace"),
            f"must be {database.namespace!r}, the namespace of database {database.name!r}: "
            f"Open WebUI reads its credentials from Secret {database.app_secret!r} there",
        )
    release = releases["open-webui"]
    return OpenWebUIPlan(
        namespace=namespace,
        image=f"{release.images['ui']}:{release.version}",
        endpoints=tuple(endpoints),
        database=database,
        storage=spec.storage,
        storage_class=spec.storageClass,
        secret=spec.secret,
        admin_secret=spec.adminSecret,
        oidc=None
        if spec.oidc is None
        else OidcPlan(
            issuer=spec.oidc.issuer,
            client_id=spec.oidc.clientId,
            client_secret=spec.oidc.clientSecret,
            provider_name=spec.oidc.providerName,
            scopes=spec.oidc.scopes,
        ),
    )


def _hint(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""
