"""Stock tools: look at levels, correct them, move goods between warehouses, read the ledger.

Every change goes through ``stock_ops.apply_moves`` after ``lock_levels``, so the ledger
always sums to on_hand and reserved. Customers only ever see one number per SKU: what can
still be promised (available), never per-warehouse counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from core.catalog import variant_label
from core.errors import InsufficientStock, InvalidInput, NotFound
from storage.models import Product, StockLevel, StockMove, StockWriteOff, Variant, Warehouse
from tools.context import ToolContext
from tools.idempotency import Idempotent
from tools.pending import generic_card
from tools.registry import CUSTOMER, STAFF, WAREHOUSE, tool
from tools.stock_ops import (
    Level,
    Move,
    apply_moves,
    counted_holds,
    get_warehouse,
    held_by_live_quotes,  # the one definition, so reads agree with locked reads
    lock_levels,
    variant_by_sku,
)

MAX_QUANTITY = 1_000_000


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
    if not vids:
        return out
    q = (
        select(
            StockLevel.variant_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            held_by_live_quotes,
            Warehouse.code,
            Warehouse.name,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.variant_id.in_(vids), Warehouse.active.is_(True))
        .order_by(StockLevel.variant_id, StockLevel.warehouse_id)
    )
    rows = await ctx.session.execute(q, {"now": ctx.now, "quote_id": 0})
    share = ctx.config.hold_share_percent
    for vid, wid, on_hand, reserved, held, code, name in rows:
        counted = counted_holds(int(held), max(0, on_hand - reserved), share)
        level = Level(vid, wid, on_hand, reserved, counted, holds=int(held))
        out[vid].append(WarehouseLevel(level, code, name))
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
        variant = await variant_by_sku(ctx, inp.sku)
        product = await ctx.session.get_one(Product, variant.product_id)
        variants = [variant]
        if not staff and not (product.active and variant.active):
            raise NotFound(
                f"There is no product with SKU '{inp.sku}'.", field="sku", code="unknown_sku"
            )
    else:
        code = (inp.product_code or "").strip()
        found = (
            (
                await ctx.session.execute(
                    select(Product).where(func.lower(Product.code) == code.lower())
                )
            )
            .scalars()
            .first()
        )
        if found is None or (not staff and not found.active):
            raise NotFound(
                f"There is no product with code '{code}'.",
                field="product_code",
                code="unknown_product",
            )
        product = found
        q = select(Variant).where(Variant.product_id == product.id).order_by(Variant.id)
        if not staff:
            q = q.where(Variant.active.is_(True))
        variants = list((await ctx.session.execute(q)).scalars())
    levels = await read_levels(ctx, [v.id for v in variants])
    out: list[VariantStockOut] = []
    for v in variants:
        lv = levels[v.id]
        options = ordered_options(v.options, product.attributes)
        label = variant_label(options)
        name = f"{product.name} - {label}" if label else product.name
        item = VariantStockOut(sku=v.sku, name=name, options=options, available=total_available(lv))
        if staff:
            on_hand = sum(w.level.on_hand for w in lv)
            item.on_hand = on_hand
            item.reserved = sum(w.level.reserved for w in lv)
            item.held = sum(w.level.held for w in lv)
            item.reorder_point = v.reorder_point
            item.below_reorder_point = item.available <= v.reorder_point
            item.active = v.active and product.active
            item.warehouses = [warehouse_stock(w) for w in lv]
        out.append(item)
    return CheckStockOut(product_code=product.code, product_name=product.name, variants=out)


# --------------------------------------------------------------------------------- adjust_stock


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
    variant = await variant_by_sku(ctx, inp.sku)
    wh = await _active_warehouse(ctx, inp.warehouse_code, "warehouse_code")
    level = await _locked_level(ctx, variant.id, wh.id)
    delta = inp.delta if inp.delta is not None else (inp.set_to or 0) - level.on_hand
    if inp.reason == "damaged" and delta > 0:
        raise InvalidInput(
            "Damaged goods can only be removed (use a negative change).",
            field="delta" if inp.delta is not None else "set_to",
        )
    if level.on_hand + delta < level.reserved:
        removable = level.on_hand - level.reserved
        raise InsufficientStock(
            f"{variant.sku} at {wh.code}: {level.on_hand} on hand of which {level.reserved} are "
            f"reserved for orders, so at most {removable} can be removed (asked {-delta}). "
            "Cancel or re-allocate those orders first.",
            field="delta" if inp.delta is not None else "set_to",
            details={
                "sku": variant.sku,
                "warehouse_code": wh.code,
                "on_hand": level.on_hand,
                "reserved": level.reserved,
                "removable": removable,
            },
        )
    if delta == 0:
        return StockChangeOut(
            sku=variant.sku,
            warehouse_code=wh.code,
            change=0,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
            reason=inp.reason,
        )
    ref_type: str | None = None
    ref_id: int | None = None
    if inp.reason == "damaged":
        write_off = StockWriteOff(
            variant_id=variant.id,
            warehouse_id=wh.id,
            quantity=-delta,
            unit_cost=variant.cost_price,
            ref_type="adjustment",
            note=inp.note,
            created_at=ctx.now,
        )
        ctx.session.add(write_off)
        await ctx.session.flush()
        ref_type, ref_id = "write_off", write_off.id
    [(on_hand, reserved)] = await apply_moves(
        ctx,
        [
            Move(
                variant.id,
                wh.id,
                d_on_hand=delta,
                reason=inp.reason,
                ref_type=ref_type,
                ref_id=ref_id,
                note=inp.note,
            )
        ],
    )
    return StockChangeOut(
        sku=variant.sku,
        warehouse_code=wh.code,
        change=delta,
        on_hand=on_hand,
        reserved=reserved,
        available=max(0, on_hand - reserved - level.held),
        reason=inp.reason,
    )


# ------------------------------------------------------------------------------- transfer_stock


class TransferStockIn(Idempotent):
    sku: str = Field(min_length=1, max_length=64)
    from_warehouse_code: str = Field(min_length=1, max_length=32)
    to_warehouse_code: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    note: str = Field(default="", max_length=500)


class TransferStockOut(BaseModel):
    transfer_ref: int = Field(description="ref_id shared by the two ledger rows of this transfer")
    sku: str
    quantity: int
    from_warehouse: WarehouseStockOut
    to_warehouse: WarehouseStockOut


@tool(
    name="transfer_stock",
    description="""Move units of one SKU from one warehouse to another (e.g. restock a branch
    from the main warehouse). Only available units move: stock reserved for orders or held by
    open quotes stays. Records a transfer_out and a transfer_in ledger row with the same ref.""",
    roles=WAREHOUSE,
    confirm=generic_card("Chuyển kho / Transfer stock"),
)
async def transfer_stock(ctx: ToolContext, inp: TransferStockIn) -> TransferStockOut:
    variant = await variant_by_sku(ctx, inp.sku)
    src = await _active_warehouse(ctx, inp.from_warehouse_code, "from_warehouse_code")
    dst = await _active_warehouse(ctx, inp.to_warehouse_code, "to_warehouse_code")
    if src.id == dst.id:
        raise InvalidInput(
            "The two warehouses must differ.", field="to_warehouse_code", code="same_warehouse"
        )
    levels = await lock_levels(ctx, [variant.id])
    src_level = levels.get((variant.id, src.id)) or Level(variant.id, src.id, 0, 0, 0)
    dst_level = levels.get((variant.id, dst.id)) or Level(variant.id, dst.id, 0, 0, 0)
    if src_level.available < inp.quantity:
        raise InsufficientStock(
            f"{variant.sku} at {src.code}: only {src_level.available} available to move "
            f"({src_level.on_hand} on hand, {src_level.reserved} reserved, {src_level.held} held).",
            field="quantity",
            details={
                "sku": variant.sku,
                "warehouse_code": src.code,
                "available": src_level.available,
                "requested": inp.quantity,
            },
        )
    note = inp.note or f"{src.code} -> {dst.code}"
    (src_oh, src_rs), (dst_oh, dst_rs) = await apply_moves(
        ctx,
        [
            Move(
                variant.id,
                src.id,
                d_on_hand=-inp.quantity,
                reason="transfer_out",
                ref_type="transfer",
                note=note,
            ),
            Move(
                variant.id,
                dst.id,
                d_on_hand=inp.quantity,
                reason="transfer_in",
                ref_type="transfer",
                note=note,
            ),
        ],
    )
    ref = await _link_transfer_rows(ctx, variant.id)

    def side(wh: Warehouse, lv: Level, on_hand: int, reserved: int) -> WarehouseStockOut:
        return WarehouseStockOut(
            warehouse_code=wh.code,
            warehouse_name=wh.name,
            on_hand=on_hand,
            reserved=reserved,
            held=lv.held,
            available=max(0, on_hand - reserved - lv.held),
        )

    return TransferStockOut(
        transfer_ref=ref,
        sku=variant.sku,
        quantity=inp.quantity,
        from_warehouse=side(src, src_level, src_oh, src_rs),
        to_warehouse=side(dst, dst_level, dst_oh, dst_rs),
    )


async def _link_transfer_rows(ctx: ToolContext, variant_id: int) -> int:
    """Gives both ledger rows of this transfer the id of its transfer_out row as ref_id.

    There is no transfer table; the out row's id is the transfer's reference. Rows still
    without a ref are this call's own: every transfer links its rows before commit, and the
    variant's levels stay locked until then.
    """
    rows = (
        await ctx.session.execute(
            select(StockMove.id, StockMove.reason).where(
                StockMove.variant_id == variant_id,
                StockMove.ref_type == "transfer",
                StockMove.ref_id.is_(None),
            )
        )
    ).all()
    ref = next(i for i, reason in rows if reason == "transfer_out")
    await ctx.session.execute(
        update(StockMove).where(StockMove.id.in_([i for i, _ in rows])).values(ref_id=ref)
    )
    return ref


async def _active_warehouse(ctx: ToolContext, code: str, field: str) -> Warehouse:
    try:
        wh = await get_warehouse(ctx, code=code.strip().upper())
    except NotFound as exc:
        raise NotFound(exc.message, field=field, code=exc.code) from None
    if not wh.active:
        raise InvalidInput(
            f"Warehouse {wh.code} is not active.", field=field, code="warehouse_inactive"
        )
    return wh


async def _locked_level(ctx: ToolContext, variant_id: int, warehouse_id: int) -> Level:
    levels = await lock_levels(ctx, [variant_id])
    return levels.get((variant_id, warehouse_id)) or Level(variant_id, warehouse_id, 0, 0, 0)


# -------------------------------------------------------------------------------- stock_ledger


class StockLedgerIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    warehouse_code: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=20, ge=1, le=200)


class LedgerRowOut(BaseModel):
    id: int
    created_at: datetime
    warehouse_code: str
    delta_on_hand: int
    delta_reserved: int
    reason: str
    ref_type: str | None
    ref_id: int | None
    note: str
    actor: str


class StockLedgerOut(BaseModel):
    sku: str
    rows: list[LedgerRowOut]


@tool(
    name="stock_ledger",
    description="""The history of stock changes of one SKU, newest first: each row says how on
    hand and reserved changed, why (receipt, reservation, shipment, adjustment, transfer...),
    what caused it and who. Use to explain why a stock number is what it is.""",
    roles=STAFF,
    write=False,
)
async def stock_ledger(ctx: ToolContext, inp: StockLedgerIn) -> StockLedgerOut:
    variant = await variant_by_sku(ctx, inp.sku)
    q = (
        select(StockMove, Warehouse.code)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .where(StockMove.variant_id == variant.id)
        .order_by(StockMove.id.desc())
        .limit(inp.limit)
    )
    if inp.warehouse_code is not None:
        wh = await get_warehouse(ctx, code=inp.warehouse_code.strip().upper())
        q = q.where(StockMove.warehouse_id == wh.id)
    rows = (await ctx.session.execute(q)).all()
    return StockLedgerOut(
        sku=variant.sku,
        rows=[
            LedgerRowOut(
                id=m.id,
                created_at=m.created_at,
                warehouse_code=code,
                delta_on_hand=m.delta_on_hand,
                delta_reserved=m.delta_reserved,
                reason=m.reason,
                ref_type=m.ref_type,
                ref_id=m.ref_id,
                note=m.note,
                actor=m.actor,
            )
            for m, code in rows
        ],
    )
