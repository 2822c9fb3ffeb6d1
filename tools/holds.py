"""Quote holds: granted under the stock rows' locks, within the shop's abuse limits.

A hold is what a quote keeps for its customer until it expires (docs/stock.md, Holds). Three
rules keep holds honest under any concurrency:

* They are counted after the stock rows are locked (``lock_levels`` reads them in a statement
  of its own), so a hold is granted only against holds already committed: the sum of live
  holds on a row never exceeds its free stock.
* One customer's quotes run one at a time (a transaction-scoped advisory lock on PostgreSQL,
  taken before any stock row; SQLite has one writer anyway), so concurrent quotes of one
  customer cannot stack holds: a new quote supersedes the older ones, and the customer's held
  units stay within ``hold_max_units_per_customer``.
* Holds may keep at most ``hold_share_percent`` of a row's free stock from other buyers; a
  line beyond a limit is still quoted (and may still be bought), only not held.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from core.allocation import Need
from storage import holds as store
from tools.context import ToolContext
from tools.reservations import Allocation, plan_for


async def plan_quote(ctx: ToolContext, needs: Sequence[Need]) -> Allocation:
    """Plans a quote: the customer's quotes are serialised first (before any stock row, the
    first step of the global lock order), then the stock rows are locked and read."""
    customer_id = ctx.customer_id()
    if customer_id is not None:
        await store.serialise_customer(ctx.tx, customer_id)
    return await plan_for(ctx, needs)


async def hold_quote(
    ctx: ToolContext, quote_id: int, alloc: Allocation, expires_at: datetime
) -> set[int]:
    """Holds the quote's planned lines within the limits; returns the line keys held."""
    budget: int | None = None
    customer_id = ctx.customer_id()
    if customer_id is not None:
        held_now = await store.customer_held(ctx.tx, customer_id)
        budget = max(0, ctx.config.hold_max_units_per_customer - held_now)
    share = ctx.config.hold_share_percent
    needs = {n.line_key: n for n in alloc.needs}
    levels = dict(alloc.levels)
    held: set[int] = set()
    rows_out = []
    for key, warehouse_id in sorted(alloc.plan.assigned.items()):
        need = needs[key]
        level = levels[(need.variant_id, warehouse_id)]
        if budget is not None and need.quantity > budget:
            continue
        if level.holds + need.quantity > level.free * share // 100:
            continue
        levels[(need.variant_id, warehouse_id)] = dataclasses.replace(
            level, holds=level.holds + need.quantity
        )
        if budget is not None:
            budget -= need.quantity
        held.add(key)
        rows_out.append(
            store.NewHold(quote_id, need.variant_id, warehouse_id, need.quantity, expires_at)
        )
    ctx.stock_snapshot.clear()  # holds counted in it change
    await store.add_holds(ctx.tx, rows_out)
    return held


__all__ = ["hold_quote", "plan_quote"]
