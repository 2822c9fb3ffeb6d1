"""Stock that becomes available goes to the orders waiting for it, in placement order.

Whatever frees stock (a receipt, an adjustment or stocktake up, a transfer, a cancelled
order's release, a parcel coming back) notes the variant in ``ToolContext.freed_variants``; the
runner calls ``serve_waiting_orders`` before commit, so no tool can forget it.

The work is proportional to what was freed, not to how many orders wait: candidates come from
an index of unallocated order lines (``ix_order_lines_unallocated``: variant, order id) in
placement order (order ids grow with placement), a batch at a time, only lines no larger than
the most any one warehouse now has; it stops as soon as the freed variants have nothing left.

Locks (docs/stock.md): the freed variants' rows are already held by the caller; everything
else is taken without waiting (orders and other variants' rows with SKIP LOCKED), because
waiting while holding stock rows out of the global order is how deadlocks happen. An order
skipped for a lock someone else holds is served right after commit, in a fresh transaction
that takes its locks in order (``ToolContext.deferred_waiting``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from core.allocation import Need, WarehouseRef, plan_allocation
from core.order_status import OrderStatus
from storage import waiting_orders as q
from tools.context import ToolContext
from tools.events import order_event
from tools.stock_ops import Level, Move, apply_moves, lock_levels, try_lock_levels

BATCH = 32
MAX_QUANTITY = 2**31 - 1


async def allocate_awaiting_orders(ctx: ToolContext, variant_ids: Iterable[int]) -> list[int]:
    """Gives the available stock of these variants to waiting orders, oldest first.

    An order whose lines cannot all be served keeps what it already holds and is skipped, so a
    later, smaller order can still take the stock instead of it sitting idle. Returns the ids
    of orders that became fully reserved (and moved to confirmed).
    """
    vids = sorted(set(variant_ids))
    ctx.freed_variants.difference_update(vids)  # offered now: serve_waiting_orders skips them
    if not vids:
        return []
    if not ctx.locked_variants:
        # Nothing held yet (the follow-up after commit): take the first batch's locks in the
        # global order, waiting as needed: its orders (ascending), then its variants' rows
        # with the freed ones in one statement. Serving them then needs no lock out of order.
        first, _ = await q.candidates(ctx.tx, vids, MAX_QUANTITY, 0, BATCH)
        await q.lock_waiting_orders(ctx.tx, first, wait=True)
        vids_all = set(vids) | {ln.variant_id for ln in await q.open_lines(ctx.tx, first)}
        levels = {k: v for k, v in (await lock_levels(ctx, vids_all)).items() if k[0] in vids}
    else:
        levels = await lock_levels(ctx, vids)  # held already: the caller changed them
    done: list[int] = []
    after = 0
    while True:
        bound = _largest_free(levels, vids)
        if bound <= 0:
            break  # the freed stock is used up
        # Each order served takes a unit at least: no more candidates than units to give.
        units = sum(lvl.available for (v, _), lvl in levels.items() if v in set(vids))
        candidates, more = await q.candidates(ctx.tx, vids, bound, after, min(BATCH, units))
        if not candidates:
            break
        after = candidates[-1]
        done += await _serve(ctx, candidates, vids, levels)
        if not more:
            break
    return done


def _largest_free(levels: dict[tuple[int, int], Level], vids: list[int]) -> int:
    wanted = set(vids)
    return max((lvl.available for (v, _), lvl in levels.items() if v in wanted), default=0)


async def _serve(
    ctx: ToolContext,
    candidates: list[int],
    vids: list[int],
    levels: dict[tuple[int, int], Level],
) -> list[int]:
    """Serves the candidates that can be served in full, in order; updates ``levels``."""
    lines_of: dict[int, list[q.OpenLine]] = {}
    for ln in await q.open_lines(ctx.tx, candidates):
        lines_of.setdefault(ln.order_id, []).append(ln)
    others = {ln.variant_id for lines in lines_of.values() for ln in lines} - set(vids)
    busy: set[int] = set()
    if others:
        more, busy = await try_lock_levels(ctx, others)
        levels.update(more)
    locked = await q.lock_waiting_orders(ctx.tx, candidates, wait=False)
    done: list[int] = []
    for order_id in candidates:
        todo = lines_of.get(order_id, [])
        if not todo:
            continue
        if order_id not in locked or busy & {ln.variant_id for ln in todo}:
            # Being changed by another transaction, or its stock is: try after commit.
            ctx.deferred_waiting.update(set(vids) & {ln.variant_id for ln in todo})
            continue
        if _largest_free(levels, vids) <= 0:
            break
        if await _reserve(ctx, order_id, todo, levels):
            done.append(order_id)
    return done


async def _reserve(
    ctx: ToolContext, order_id: int, todo: list[q.OpenLine], levels: dict[tuple[int, int], Level]
) -> bool:
    needs = [Need(i, ln.variant_id, ln.quantity - ln.reserved) for i, ln in enumerate(todo)]
    variants = {n.variant_id for n in needs}
    warehouses = sorted(
        {WarehouseRef(w, lvl.kind) for (v, w), lvl in levels.items() if v in variants},
        key=lambda r: r.id,
    )
    available = {k: lvl.available for k, lvl in levels.items() if k[0] in variants}
    plan = plan_allocation(needs, warehouses, available)
    if plan.unserved:
        return False
    moves, placed = [], []
    for need, ln in zip(needs, todo, strict=True):
        wh = plan.assigned[need.line_key]
        moves.append(
            Move(
                ln.variant_id,
                wh,
                d_reserved=need.quantity,
                reason="reservation",
                ref_type="order",
                ref_id=order_id,
            )
        )
        placed.append((ln.id, wh))
        lvl = levels[(ln.variant_id, wh)]
        levels[(ln.variant_id, wh)] = dataclasses.replace(
            lvl, reserved=lvl.reserved + need.quantity
        )
    await apply_moves(ctx, moves)
    await q.allocate_lines(ctx.tx, placed)
    await q.confirm(ctx.tx, order_id)
    await order_event(
        ctx,
        order_id,
        "status",
        from_status=OrderStatus.AWAITING_STOCK.value,
        to_status=OrderStatus.CONFIRMED.value,
        note="stock arrived",
    )
    return True


async def serve_waiting_orders(ctx: ToolContext) -> list[int]:
    """Offers the stock this call made available to the orders waiting for it, oldest first.
    The runner calls it before every commit. An order confirmed here frees nothing, so this
    ends."""
    done: list[int] = []
    while ctx.freed_variants:
        done += await allocate_awaiting_orders(ctx, set(ctx.freed_variants))
    return done


__all__ = ["allocate_awaiting_orders", "serve_waiting_orders"]
