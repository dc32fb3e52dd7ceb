"""The component registry: one line per component, in rendering order."""

from labgen.components import (
    cert_manager,
    cnpg,
    gateway_api,
    gpu_operator,
    gpu_pools,
    keda,
    leaderworkerset,
    monitoring,
    nfd,
)
from labgen.components.base import App, CatalogBase, Component

REGISTRY: tuple[Component, ...] = (
    gateway_api.COMPONENT,
    cert_manager.COMPONENT,
    nfd.COMPONENT,
    gpu_operator.COMPONENT,
    keda.COMPONENT,
    leaderworkerset.COMPONENT,
    cnpg.COMPONENT,
    monitoring.COMPONENT,
    gpu_pools.COMPONENT,
)

__all__ = ["REGISTRY", "App", "CatalogBase", "Component"]
