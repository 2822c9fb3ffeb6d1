"""Lookups the purchasing and stock-count tools share: variants by the SKUs of a document's
lines, their names and costs, a warehouse that may take goods."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.errors import Conflict, InvalidInput, NotFound
from storage import purchasing as store
from storage.models import Variant, Warehouse
from storage.purchasing import VariantInfo
from tools.context import ToolContext
from tools.stock_ops import get_warehouse

__all__ = ["VariantInfo", "active_warehouse", "variant_info", "variants_for_lines"]


async def variant_info(ctx: ToolContext, variant_ids: Iterable[int]) -> dict[int, VariantInfo]:
    """SKU, display name and cost of these variants (one query)."""
    return await store.variant_info(ctx.tx, variant_ids)


async def variants_for_lines(
    ctx: ToolContext, skus: Sequence[str], *, field: str = "lines"
) -> list[Variant]:
    """Looks up each line's SKU; refuses unknown SKUs (all named) and a SKU given twice.

    A SKU appears once per document: two lines of one SKU (perhaps at two costs) are
    ambiguous, and merging them silently would hide a typo, so the caller is asked to put the
    total on one line.
    """
    cleaned = [s.strip() for s in skus]
    seen: dict[str, int] = {}
    for i, sku in enumerate(cleaned):
        if sku in seen:
            raise InvalidInput(
                f"SKU {sku} appears on lines {seen[sku]} and {i}; give each SKU once with its "
                "total quantity.",
                field=f"{field}.{i}.sku",
                code="duplicate_sku",
            )
        seen[sku] = i
    found = await store.variants_by_sku(ctx.tx, cleaned)
    missing = [(i, s) for i, s in enumerate(cleaned) if s not in found]
    if missing:
        raise NotFound(
            "There is no product with SKU " + ", ".join(s for _, s in missing) + ".",
            field=f"{field}.{missing[0][0]}.sku",
            code="unknown_sku",
            details={"skus": [s for _, s in missing]},
        )
    return [found[s] for s in cleaned]


async def active_warehouse(
    ctx: ToolContext, code: str, *, field: str = "warehouse_code"
) -> Warehouse:
    wh = await get_warehouse(ctx, code=code.strip().upper())
    if not wh.active:
        raise Conflict(f"Warehouse {wh.code} is inactive.", field=field, code="warehouse_inactive")
    return wh
