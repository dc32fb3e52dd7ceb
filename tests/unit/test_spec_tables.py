"""The spec's allowed-value lists equal the tables that give the values a meaning: a name
the spec accepts that no table knows fails late (or renders nothing); a table row the spec
refuses is dead."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from labgen import spec
from labgen.data.hardware import ACCELERATORS, INSTANCE_TYPES
from labgen.data.models import MODELS, NativeDtype
from labgen.data.releases import RELEASES
from labgen.data.servers import Server
from labgen.data.types import BYTES_PER_PARAM, Platform, Provider
from labgen.plan import model as plan_model
from labgen.plan.fit import KvCacheDtype
from labgen.plan.serving import DEFAULT_TARGETS
from labgen.starter import PLATFORMS, PROVIDERS, starter_spec


def allowed(model: type[BaseModel], field: str) -> set[Any]:
    """The literal values a spec field accepts (in lists, optionals and mapping keys too)."""
    return _literals(model.model_fields[field].annotation)


def _literals(annotation: Any) -> set[Any]:
    if get_origin(annotation) is Literal:
        return set(get_args(annotation))
    return {value for arg in get_args(annotation) for value in _literals(arg)}


def schema_enum(*path: str) -> set[Any]:
    """The enum the generated JSON Schema (what editors check) gives a field."""
    schema = spec.json_schema()
    node: dict[str, Any] = schema["$defs"][path[0]]
    for key in path[1:]:
        node = node["properties"][key]
        while "enum" not in node:
            if "$ref" in node:
                node = schema["$defs"][node["$ref"].rpartition("/")[2]]
            elif "anyOf" in node:
                (node,) = [n for n in node["anyOf"] if n.get("type") != "null"]
            else:
                node = node["items"]
    return set(node["enum"])


def test_accelerators_are_the_hardware_table() -> None:
    assert allowed(spec.GpuPool, "accelerator") == set(ACCELERATORS)
    assert schema_enum("GpuPool", "accelerator") == set(ACCELERATORS)
    assert {t.accelerator for t in INSTANCE_TYPES} <= set(ACCELERATORS)


def test_providers_and_platforms() -> None:
    assert allowed(spec.Cluster, "provider") == set(get_args(Provider))
    assert allowed(spec.Cluster, "platform") == set(get_args(Platform))
    assert schema_enum("Cluster", "provider") == set(get_args(Provider))
    # every provider that sells GPU machines is one a spec can name
    assert {t.provider for t in INSTANCE_TYPES} <= set(get_args(Provider))
    # `labgen init` offers every platform and provider, with a starter for each pair
    assert (set(PLATFORMS), set(PROVIDERS)) == (set(get_args(Platform)), set(get_args(Provider)))
    for platform in PLATFORMS:
        for provider in PROVIDERS:
            if (platform, provider) != ("openshift", "kind"):
                assert f"provider: {provider}" in starter_spec("x", platform, provider)


def test_servers() -> None:
    assert allowed(spec.ServedModel, "server") == set(get_args(Server))
    assert allowed(spec.Matrix, "servers") == set(get_args(Server))
    assert schema_enum("ServedModel", "server") == set(get_args(Server))
    # every server runs vLLM; the kserve ones need KServe's release, llm-d ones the router's
    assert {"vllm", "kserve", "llm-d-router"} <= set(RELEASES)


def test_dtypes_are_the_fit_planner_table() -> None:
    assert allowed(spec.ServedModel, "dtype") == set(BYTES_PER_PARAM)
    assert allowed(spec.Matrix, "dtypes") == set(BYTES_PER_PARAM)
    assert schema_enum("ServedModel", "dtype") == set(BYTES_PER_PARAM)
    assert allowed(spec.MatrixModel, "checkpoints") <= set(BYTES_PER_PARAM)
    assert set(get_args(NativeDtype)) <= set(BYTES_PER_PARAM)
    assert {m.native_dtype for m in MODELS.values()} <= set(BYTES_PER_PARAM)
    assert allowed(spec.ServedModel, "kvCacheDtype") == set(get_args(KvCacheDtype))


def test_serving_options_are_the_plans() -> None:
    assert allowed(spec.ServedModel, "routing") == set(get_args(plan_model.Routing))
    assert allowed(spec.Autoscaling, "metric") == set(DEFAULT_TARGETS)
    autoscaling = get_type_hints(plan_model.AutoscalingPlan)
    assert allowed(spec.Autoscaling, "metric") == _literals(autoscaling["metric"])
    assert allowed(spec.Autoscaling, "engine") == _literals(autoscaling["engine"])


def test_postgres_versions_are_the_pinned_images() -> None:
    images = RELEASES["cnpg"].images
    majors = {int(k.removeprefix("postgresql-")) for k in images if k.startswith("postgresql-")}
    assert allowed(spec.Database, "postgresVersion") == majors
