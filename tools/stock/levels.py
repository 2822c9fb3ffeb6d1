"""Stock levels as people see them: per warehouse for staff, one available number per SKU for
customers (check_stock), and the unlocked read that catalogue search and product pages share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from core.catalog import variant_name
from core.errors import InvalidInput, NotFound
from storage import stock_queries
from storage.models import Product, Variant
from tools.context import ToolContext
from tools.registry import CUSTOMER, STAFF, tool
from tools.stock_ops import Level, counted_holds, variant_by_sku


@dataclass(frozen=True, slots=True)
class WarehouseLevel:
    level: Level
    code: str
    name: str


async def read_levels(
    ctx: ToolContext, variant_ids: Iterable[int]
) -> dict[int, list[WarehouseLevel]]:
    """Levels of these variants in active warehouses, without locking (for display and search).

    ``held`` counts every live quote hold, as ``lock_levels`` does for a caller with no quote.
    """
    vids = sorted(set(variant_ids))
    out: dict[int, list[WarehouseLevel]] = {v: [] for v in vids}
    share = ctx.config.hold_share_percent
    for row in await stock_queries.active_levels(ctx.tx, vids):
        counted = counted_holds(row.holds, max(0, row.on_hand - row.reserved), share)
        level = Level(
            row.variant_id, row.warehouse_id, row.on_hand, row.reserved, counted, holds=row.holds
        )
        out[row.variant_id].append(WarehouseLevel(level, row.warehouse_code, row.warehouse_name))
    return out


def total_available(levels: Iterable[WarehouseLevel]) -> int:
    return sum(w.level.available for w in levels)


def ordered_options(options: dict[str, str], attributes: list[str]) -> dict[str, str]:
    """Options in the product's attribute order (JSONB does not keep key order)."""
    first = {a: options[a] for a in attributes if a in options}
    return {**first, **{k: v for k, v in options.items() if k not in first}}


class WarehouseStockOut(BaseModel):
    warehouse_code: str
    warehouse_name: str
    on_hand: int
    reserved: int = Field(description="Promised to orders, not yet shipped")
    held: int = Field(description="Held for a few minutes by customers' open quotes")
    available: int = Field(description="on_hand - reserved - held: what can still be promised")


def warehouse_stock(w: WarehouseLevel) -> WarehouseStockOut:
    lv = w.level
    return WarehouseStockOut(
        warehouse_code=w.code,
        warehouse_name=w.name,
        on_hand=lv.on_hand,
        reserved=lv.reserved,
        held=lv.held,
        available=lv.available,
    )


# ---------------------------------------------------------------------------------- check_stock


class CheckStockIn(BaseModel):
    sku: str | None = Field(default=None, max_length=64, description="One variant's SKU")
    product_code: str | None = Field(
        default=None, max_length=64, description="A product code: every variant of the product"
    )


class VariantStockOut(BaseModel):
    sku: str
    name: str = Field(description="Product name and variant options")
    options: dict[str, str]
    available: int = Field(description="Units that can still be sold, all warehouses together")
    # Staff only (None for customers):
    on_hand: int | None = None
    reserved: int | None = None
    held: int | None = None
    reorder_point: int | None = None
    below_reorder_point: bool | None = None
    active: bool | None = None
    warehouses: list[WarehouseStockOut] | None = None


class CheckStockOut(BaseModel):
    product_code: str
    product_name: str
    variants: list[VariantStockOut]


@tool(
    name="check_stock",
    description="""How many units of a product can be sold now. Give a SKU for one variant, or a
    product code for all its variants. Customers get the available count per SKU; staff also get
    on hand, reserved, held by open quotes and the split per warehouse. Use before promising
    a quantity; for a product name, first use search_products to find its code or SKU.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def check_stock(ctx: ToolContext, inp: CheckStockIn) -> CheckStockOut:
    staff = not ctx.actor.is_customer
    if (inp.sku is None) == (inp.product_code is None):
        raise InvalidInput("Give either a sku or a product_code.", field="sku")
    if inp.sku is not None:
        product, variants = await _variant_asked(ctx, inp.sku, staff=staff)
    else:
        product, variants = await _product_asked(ctx, inp.product_code or "", staff=staff)
    levels = await read_levels(ctx, [v.id for v in variants])
    out = [_variant_stock(product, v, levels[v.id], staff=staff) for v in variants]
    return CheckStockOut(product_code=product.code, product_name=product.name, variants=out)


async def _variant_asked(
    ctx: ToolContext, sku: str, *, staff: bool
) -> tuple[Product, list[Variant]]:
    """The variant of a SKU; customers do not learn that an inactive one exists."""
    variant = await variant_by_sku(ctx, sku)
    product = await stock_queries.product_of(ctx.tx, variant)
    if not staff and not (product.active and variant.active):
        raise NotFound(f"There is no product with SKU '{sku}'.", field="sku", code="unknown_sku")
    return product, [variant]


async def _product_asked(
    ctx: ToolContext, product_code: str, *, staff: bool
) -> tuple[Product, list[Variant]]:
    """A product's variants: all of them for staff, the active ones for customers."""
    code = product_code.strip()
    product = await stock_queries.product_by_code(ctx.tx, code)
    if product is None or (not staff and not product.active):
        raise NotFound(
            f"There is no product with code '{code}'.",
            field="product_code",
            code="unknown_product",
        )
    return product, await stock_queries.variants_of(ctx.tx, product.id, active_only=not staff)


def _variant_stock(
    product: Product, v: Variant, lv: list[WarehouseLevel], *, staff: bool
) -> VariantStockOut:
    options = ordered_options(v.options, product.attributes)
    name = variant_name(product.name, options)
    item = VariantStockOut(sku=v.sku, name=name, options=options, available=total_available(lv))
    if staff:
        item.on_hand = sum(w.level.on_hand for w in lv)
        item.reserved = sum(w.level.reserved for w in lv)
        item.held = sum(w.level.held for w in lv)
        item.reorder_point = v.reorder_point
        item.below_reorder_point = item.available <= v.reorder_point
        item.active = v.active and product.active
        item.warehouses = [warehouse_stock(w) for w in lv]
    return item
