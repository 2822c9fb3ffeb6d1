"""Domain operations as tools. ``build_registry()`` collects every tool of the modules below."""

from __future__ import annotations

import importlib

from tools.registry import Registry, Tool

TOOL_MODULES = (
    "tools.warehouses",
    "tools.catalog.editing",
    "tools.catalog.reading",
    "tools.catalog.search",
    "tools.stock",
    "tools.customers.editing",
    "tools.customers.finding",
    "tools.customers.merging",
    "tools.orders.quoting",
    "tools.orders.placing",
    "tools.orders.creating",
    "tools.orders.reading",
    "tools.orders.editing",
    "tools.orders.status",
    "tools.orders.payments",
    "tools.order_lookup",
    "tools.payments",
    "tools.purchasing",
    "tools.stocktakes",
    "tools.returns",
    "tools.reports",
    "tools.catalog_io.importing",
    "tools.catalog_io.exporting",
    "tools.product_images",
    "tools.staff",
    "tools.conversations",
    "tools.staff_access",
    "tools.handoffs",
    "tools.planned",
    "tools.audit",
)


def build_registry(modules: tuple[str, ...] = TOOL_MODULES) -> Registry:
    registry = Registry()
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Tool) and value.name not in registry:
                registry.add(value)
    return registry
