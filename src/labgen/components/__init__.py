"""The component registry: one line per component, in rendering order."""

from labgen.components import (
    benchmarks,
    cert_manager,
    cnpg,
    databases,
    exposure,
    gateway_api,
    gpu_operator,
    gpu_pools,
    inference_extension,
    keda,
    kserve,
    kuadrant,
    kueue,
    leaderworkerset,
    matrices,
    monitoring,
    nfd,
    observability,
    open_webui,
    prometheus_adapter,
    serving,
)
from labgen.components.base import App, CatalogBase, Component
from labgen.components.network import policies as network

REGISTRY: tuple[Component, ...] = (
    gateway_api.COMPONENT,
    cert_manager.COMPONENT,
    nfd.COMPONENT,
    gpu_operator.COMPONENT,
    keda.COMPONENT,
    leaderworkerset.COMPONENT,
    kueue.COMPONENT,
    cnpg.COMPONENT,
    monitoring.COMPONENT,
    prometheus_adapter.COMPONENT,
    inference_extension.COMPONENT,
    kserve.COMPONENT,
    kuadrant.COMPONENT,
    gpu_pools.COMPONENT,
    network.COMPONENT,
    databases.COMPONENT,
    serving.COMPONENT,
    observability.COMPONENT,
    open_webui.COMPONENT,
    exposure.COMPONENT,
    benchmarks.COMPONENT,
    matrices.COMPONENT,
)

__all__ = ["REGISTRY", "App", "CatalogBase", "Component"]
