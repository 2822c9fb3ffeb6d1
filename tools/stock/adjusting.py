"""adjust_stock: correct the units on hand of one SKU in one warehouse (a count, damaged goods
written off, opening stock). Stock reserved for orders is never removed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.errors import InsufficientStock, InvalidInput, NotFound
from storage import stock_queries
from storage.models import Variant, Warehouse
from tools.context import ToolContext
from tools.idempotency import Idempotent
from tools.pending import generic_card
from tools.registry import WAREHOUSE, tool
from tools.stock_ops import Level, Move, apply_moves, get_warehouse, lock_levels, variant_by_sku

MAX_QUANTITY = 1_000_000


class AdjustStockIn(Idempotent):
    sku: str = Field(min_length=1, max_length=64)
    warehouse_code: str = Field(min_length=1, max_length=32)
    delta: int | None = Field(
        default=None,
        ge=-MAX_QUANTITY,
        le=MAX_QUANTITY,
        description="Units to add (positive) or remove (negative); give this or set_to",
    )
    set_to: int | None = Field(
        default=None,
        ge=0,
        le=MAX_QUANTITY,
        description="The counted quantity on hand; the difference is recorded. Give this or delta",
    )
    reason: Literal["adjustment", "damaged", "initial"] = Field(
        default="adjustment",
        description="adjustment: a correction; damaged: goods written off (removes only); "
        "initial: opening stock",
    )
    note: str = Field(default="", max_length=500)


class StockChangeOut(BaseModel):
    sku: str
    warehouse_code: str
    change: int = Field(description="Change applied to on hand (0 when it already matched)")
    on_hand: int
    reserved: int
    available: int
    reason: str


@tool(
    name="adjust_stock",
    description="""Correct the units on hand of one SKU in one warehouse: add or remove with
    `delta`, or give the counted quantity with `set_to`. Reason `damaged` writes goods off;
    `initial` records opening stock; otherwise `adjustment`. Stock reserved for orders cannot
    be removed. For goods from a supplier use the purchasing tools; to move goods between
    warehouses use transfer_stock.""",
    roles=WAREHOUSE,
    confirm=generic_card("Điều chỉnh tồn kho / Adjust stock"),
)
async def adjust_stock(ctx: ToolContext, inp: AdjustStockIn) -> StockChangeOut:
    if (inp.delta is None) == (inp.set_to is None):
        raise InvalidInput("Give either delta or set_to (not both).", field="delta")
    if inp.delta == 0:
        raise InvalidInput("delta cannot be 0.", field="delta")
    field = "delta" if inp.delta is not None else "set_to"
    variant = await variant_by_sku(ctx, inp.sku)
    wh = await stock_warehouse(ctx, inp.warehouse_code, "warehouse_code")
    levels = await lock_levels(ctx, [variant.id])
    level = levels.get((variant.id, wh.id)) or Level(variant.id, wh.id, 0, 0, 0)
    delta = inp.delta if inp.delta is not None else (inp.set_to or 0) - level.on_hand
    if inp.reason == "damaged" and delta > 0:
        raise InvalidInput(
            "Damaged goods can only be removed (use a negative change).", field=field
        )
    _refuse_removing_reserved(variant, wh, level, delta, field)
    if delta == 0:
        on_hand, reserved = level.on_hand, level.reserved
    else:
        on_hand, reserved = await _apply(ctx, inp, variant, wh, delta)
    return StockChangeOut(
        sku=variant.sku,
        warehouse_code=wh.code,
        change=delta,
        on_hand=on_hand,
        reserved=reserved,
        available=max(0, on_hand - reserved - level.held),
        reason=inp.reason,
    )


def _refuse_removing_reserved(
    variant: Variant, wh: Warehouse, level: Level, delta: int, field: str
) -> None:
    if level.on_hand + delta >= level.reserved:
        return
    removable = level.on_hand - level.reserved
    raise InsufficientStock(
        f"{variant.sku} at {wh.code}: {level.on_hand} on hand of which {level.reserved} are "
        f"reserved for orders, so at most {removable} can be removed (asked {-delta}). "
        "Cancel or re-allocate those orders first.",
        field=field,
        details={
            "sku": variant.sku,
            "warehouse_code": wh.code,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "removable": removable,
        },
    )


async def _apply(
    ctx: ToolContext, inp: AdjustStockIn, variant: Variant, wh: Warehouse, delta: int
) -> tuple[int, int]:
    """Moves on_hand by ``delta``; damaged goods also get a write-off row the ledger refers to."""
    ref_type: str | None = None
    ref_id: int | None = None
    if inp.reason == "damaged":
        ref_type = "write_off"
        ref_id = await stock_queries.record_write_off(
            ctx.tx,
            variant_id=variant.id,
            warehouse_id=wh.id,
            quantity=-delta,
            unit_cost=variant.cost_price,
            note=inp.note,
        )
    move = Move(
        variant.id,
        wh.id,
        d_on_hand=delta,
        reason=inp.reason,
        ref_type=ref_type,
        ref_id=ref_id,
        note=inp.note,
    )
    [after] = await apply_moves(ctx, [move])
    return after


async def stock_warehouse(ctx: ToolContext, code: str, field: str) -> Warehouse:
    """The active warehouse of a code; errors name ``field`` (transfers take two) and, unlike
    tools.purchasing.active_warehouse, an inactive one is invalid input, not a conflict."""
    try:
        wh = await get_warehouse(ctx, code=code.strip().upper())
    except NotFound as exc:
        raise NotFound(exc.message, field=field, code=exc.code) from None
    if not wh.active:
        raise InvalidInput(
            f"Warehouse {wh.code} is not active.", field=field, code="warehouse_inactive"
        )
    return wh
