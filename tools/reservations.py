"""Reserving, releasing, consuming and restocking an order's stock (the order side of stock_ops).

The warehouse rule lives in core.allocation; this module feeds it a locked snapshot and turns
the plan into moves. Callers are the order, quote, purchasing and return tools.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.allocation import Need, Plan, WarehouseRef, plan_allocation
from core.catalog import variant_name
from core.errors import InsufficientStock, InvalidInput, NotFound
from core.order_status import OrderStatus, check_transition
from storage import catalog, holds, orders
from storage.models import Order, OrderLine
from tools.context import ToolContext
from tools.events import order_event
from tools.stock_ops import Level, Move, apply_moves, lock_levels


@dataclass(frozen=True, slots=True)
class VariantRow:
    id: int
    sku: str
    name: str  # product name plus the variant's option values
    sale_price: int
    vat_rate: int
    cost_price: int


async def variants_by_sku(
    ctx: ToolContext, skus: Sequence[str], *, field: str = "lines", sellable_only: bool = True
) -> dict[str, VariantRow]:
    """Looks every SKU up; all unknown or unsellable SKUs are reported together."""
    keys = list(dict.fromkeys(sku.strip() for sku in skus))
    found: dict[str, VariantRow] = {}
    for v in await catalog.sale_variants(ctx.tx, keys):
        if sellable_only and not v.sellable:
            continue
        name = variant_name(v.product_name, v.options)
        found[v.sku] = VariantRow(v.id, v.sku, name, v.sale_price, v.vat_rate, v.cost_price)
    problems = [(i, sku) for i, sku in enumerate(skus) if sku.strip() not in found]
    if problems:
        raise NotFound(
            "Unknown or unavailable SKU: " + ", ".join(sku for _, sku in problems),
            field=f"{field}.{problems[0][0]}.sku",
            code="unknown_sku",
            details={"skus": [sku for _, sku in problems]},
        )
    return found


@dataclass(frozen=True, slots=True)
class Allocation:
    plan: Plan
    levels: dict[tuple[int, int], Level]
    needs: tuple[Need, ...] = ()


async def plan_for(ctx: ToolContext, needs: Sequence[Need], *, quote_id: int = 0) -> Allocation:
    """Locks the variants' stock rows and plans against what is really available now."""
    levels = await lock_levels(ctx, [n.variant_id for n in needs], quote_id=quote_id)
    # Active warehouses with a stock row for these variants: one without a row has nothing
    # to offer, so the levels query already names every candidate.
    warehouses = sorted(
        {WarehouseRef(id=w, kind=lvl.kind) for (_, w), lvl in levels.items()}, key=lambda r: r.id
    )
    available = {k: lvl.available for k, lvl in levels.items()}
    return Allocation(plan_allocation(needs, warehouses, available), levels, tuple(needs))


def shortage_error(alloc: Allocation, skus: dict[int, str]) -> InsufficientStock:
    """One error listing every short line with what is available in total."""
    lines = []
    for need in alloc.plan.unserved:
        total = sum(lvl.available for (v, _), lvl in alloc.levels.items() if v == need.variant_id)
        lines.append({"sku": skus[need.variant_id], "requested": need.quantity, "available": total})
    names = ", ".join(f"{x['sku']} (còn {x['available']})" for x in lines)
    return InsufficientStock(f"Not enough stock: {names}.", field="lines", details={"lines": lines})


async def reserve_lines(
    ctx: ToolContext, order_id: int, lines: Sequence[OrderLine]
) -> list[OrderLine]:
    """Reserves the unreserved lines of an order where a warehouse can serve them in full.

    Returns the lines still unserved. Line rows are updated with their warehouse and quantity.
    """
    todo = [ln for ln in lines if ln.reserved < ln.quantity]
    if not todo:
        return []
    needs = [
        Need(line_key=i, variant_id=ln.variant_id, quantity=ln.quantity - ln.reserved)
        for i, ln in enumerate(todo)
    ]
    alloc = await plan_for(ctx, needs)
    moves = []
    for i, ln in enumerate(todo):
        wh = alloc.plan.assigned.get(i)
        if wh is None:
            continue
        qty = ln.quantity - ln.reserved
        moves.append(
            Move(
                ln.variant_id,
                wh,
                d_reserved=qty,
                reason="reservation",
                ref_type="order",
                ref_id=order_id,
            )
        )
        ln.warehouse_id = wh
        ln.reserved = ln.quantity
    await apply_moves(ctx, moves)
    await ctx.tx.flush()
    return [ln for ln in todo if ln.reserved < ln.quantity]


async def release_lines(
    ctx: ToolContext, order_id: int, lines: Iterable[OrderLine], note: str = ""
) -> None:
    moves = []
    for ln in lines:
        if ln.reserved and ln.warehouse_id is not None:
            moves.append(
                Move(
                    ln.variant_id,
                    ln.warehouse_id,
                    d_reserved=-ln.reserved,
                    reason="release",
                    ref_type="order",
                    ref_id=order_id,
                    note=note,
                )
            )
            ln.reserved = 0
    await apply_moves(ctx, moves)
    await ctx.tx.flush()


async def consume_lines(ctx: ToolContext, order_id: int, lines: Iterable[OrderLine]) -> None:
    """The parcel leaves: on_hand and reserved both go down by the line quantity."""
    lines = list(lines)
    missing = [ln.sku for ln in lines if ln.reserved < ln.quantity or ln.warehouse_id is None]
    if missing:
        raise InsufficientStock(
            "These lines have no stock reserved yet, so the order cannot ship: "
            + ", ".join(missing),
            field="status",
            code="not_reserved",
            details={"skus": missing},
        )
    await apply_moves(
        ctx,
        [
            Move(
                ln.variant_id,
                ln.warehouse_id or 0,  # checked above: every line has its warehouse
                d_on_hand=-ln.quantity,
                d_reserved=-ln.quantity,
                reason="shipment",
                ref_type="order",
                ref_id=order_id,
            )
            for ln in lines
        ],
    )
    for ln in lines:
        ln.reserved = 0
    await ctx.tx.flush()


async def restock_lines(ctx: ToolContext, order_id: int, lines: Iterable[OrderLine]) -> None:
    """A parcel that came back undelivered returns to the warehouse it left."""
    await apply_moves(
        ctx,
        [
            Move(
                ln.variant_id,
                ln.warehouse_id,
                d_on_hand=ln.quantity,
                reason="return_restock",  # type: ignore[arg-type]
                ref_type="order",
                ref_id=order_id,
            )
            for ln in lines
            if ln.warehouse_id is not None
        ],
    )


async def order_lines(ctx: ToolContext, order_id: int) -> list[OrderLine]:
    return await orders.lines_of(ctx.tx, order_id)


async def change_status(
    ctx: ToolContext, order: Order, target: OrderStatus, note: str = ""
) -> None:
    current = OrderStatus(order.status)
    check_transition(current, target)
    order.status = target.value
    order.updated_at = ctx.now
    await ctx.tx.flush()
    await order_event(
        ctx, order.id, "status", from_status=current.value, to_status=target.value, note=note
    )


def check_positive_unique(lines: Sequence[Any]) -> dict[str, int]:
    """Merges repeated SKUs (a chat often adds the same thing twice) into one quantity."""
    merged: dict[str, int] = {}
    for i, ln in enumerate(lines):
        if ln.quantity <= 0:
            raise InvalidInput("Quantity must be at least 1.", field=f"lines.{i}.quantity")
        merged[ln.sku.strip()] = merged.get(ln.sku.strip(), 0) + ln.quantity
    if not merged:
        raise InvalidInput("An order needs at least one line.", field="lines", code="empty_order")
    return merged


async def drop_quote_holds(ctx: ToolContext, quote_id: int) -> None:
    ctx.stock_snapshot.clear()  # holds counted in it change
    await holds.drop_quote_holds(ctx.tx, quote_id)


__all__ = [
    "Allocation",
    "VariantRow",
    "change_status",
    "check_positive_unique",
    "consume_lines",
    "drop_quote_holds",
    "order_lines",
    "plan_for",
    "release_lines",
    "reserve_lines",
    "restock_lines",
    "shortage_error",
    "variants_by_sku",
]
