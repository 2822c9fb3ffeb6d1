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

from sqlalchemy import Integer, bindparam, func, insert, or_, select, update

from core.allocation import Need
from storage.base import UTCDateTime
from storage.fastsql import Sql
from storage.models import Quote, StockHold, StockLevel
from tools.context import ToolContext
from tools.reservations import Allocation, plan_for

# Advisory lock keys are (class, object): this class is "QUOT", the object the customer.
_QUOTE_LOCK_CLASS = 0x51554F54
SERIALISE_CUSTOMER = Sql(
    select(
        func.pg_advisory_xact_lock(
            bindparam("cls", type_=Integer), bindparam("customer", type_=Integer)
        )
    )
)
LOCK_OPEN_QUOTES = Sql(
    select(Quote.id)
    .where(Quote.customer_id == bindparam("customer_id", type_=Integer), Quote.status == "open")
    .order_by(Quote.id)
    .with_for_update()
)
CUSTOMER_HELD = Sql(
    select(func.coalesce(func.sum(StockHold.quantity), 0))
    .join(Quote, Quote.id == StockHold.quote_id)
    .where(
        Quote.customer_id == bindparam("customer_id", type_=Integer),
        Quote.status == "open",
        StockHold.expires_at > bindparam("now", type_=UTCDateTime),
    )
)
INSERT_HOLD = Sql(
    insert(StockHold).values(
        quote_id=bindparam("quote_id", type_=Integer),
        variant_id=bindparam("variant_id", type_=Integer),
        warehouse_id=bindparam("warehouse_id", type_=Integer),
        quantity=bindparam("quantity", type_=Integer),
        expires_at=bindparam("expires_at", type_=UTCDateTime),
    )
)

# The row is locked (plan_quote): its holds_until says a live hold may exist until then.
MARK_HELD = Sql(
    update(StockLevel)
    .where(
        StockLevel.variant_id == bindparam("variant_id", type_=Integer),
        StockLevel.warehouse_id == bindparam("warehouse_id", type_=Integer),
        or_(
            StockLevel.holds_until.is_(None),
            StockLevel.holds_until < bindparam("expires_at", type_=UTCDateTime),
        ),
    )
    .values(holds_until=bindparam("expires_at", type_=UTCDateTime))
)


async def plan_quote(ctx: ToolContext, needs: Sequence[Need]) -> Allocation:
    """Plans a quote: the customer's quotes are serialised first (before any stock row, the
    first step of the global lock order), then the stock rows are locked and read."""
    customer_id = ctx.customer_id()
    sql = await ctx.sql()
    if customer_id is not None and sql.dialect.name == "postgresql":
        await sql.fetch(
            SERIALISE_CUSTOMER, {"cls": _QUOTE_LOCK_CLASS, "customer": customer_id % 2**31}
        )
        # The open quotes this one supersedes are documents: locked before any stock row, as
        # place_order locks its quote before the stock it reserves.
        await sql.fetch(LOCK_OPEN_QUOTES, {"customer_id": customer_id})
    return await plan_for(ctx, needs)


async def hold_quote(
    ctx: ToolContext, quote_id: int, alloc: Allocation, expires_at: datetime
) -> set[int]:
    """Holds the quote's planned lines within the limits; returns the line keys held."""
    sql = await ctx.sql()
    budget: int | None = None
    customer_id = ctx.customer_id()
    if customer_id is not None:
        rows = await sql.fetch(CUSTOMER_HELD, {"customer_id": customer_id, "now": ctx.now})
        budget = max(0, ctx.config.hold_max_units_per_customer - int(rows[0][0]))
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
            {
                "quote_id": quote_id,
                "variant_id": need.variant_id,
                "warehouse_id": warehouse_id,
                "quantity": need.quantity,
                "expires_at": expires_at,
            }
        )
    ctx.stock_snapshot.clear()  # holds counted in it change
    await sql.execute_many(INSERT_HOLD, rows_out)
    await sql.execute_many(
        MARK_HELD,
        [{k: r[k] for k in ("variant_id", "warehouse_id", "expires_at")} for r in rows_out],
    )
    return held


__all__ = ["hold_quote", "plan_quote"]
