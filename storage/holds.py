"""Quote holds' statements: serialising one customer's quotes, the units a customer holds,
writing and dropping holds (tools.holds decides what is held, docs/stock.md, Holds).

On the compiled fast path (storage.fastsql): quoting and placing from a quote are hot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, delete, func, insert, or_, select, update

from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql
from storage.models import Quote, StockHold, StockLevel

# Advisory lock keys are (class, object): this class is "QUOT", the object the customer.
_QUOTE_LOCK_CLASS = 0x51554F54
_SERIALISE_CUSTOMER = Sql(
    select(
        func.pg_advisory_xact_lock(
            bindparam("cls", type_=Integer), bindparam("customer", type_=Integer)
        )
    )
)
_LOCK_OPEN_QUOTES = Sql(
    select(Quote.id)
    .where(Quote.customer_id == bindparam("customer_id", type_=Integer), Quote.status == "open")
    .order_by(Quote.id)
    .with_for_update()
)
_CUSTOMER_HELD = Sql(
    select(func.coalesce(func.sum(StockHold.quantity), 0))
    .join(Quote, Quote.id == StockHold.quote_id)
    .where(
        Quote.customer_id == bindparam("customer_id", type_=Integer),
        Quote.status == "open",
        StockHold.expires_at > bindparam("now", type_=UTCDateTime),
    )
)
_INSERT_HOLD = Sql(
    insert(StockHold).values(
        quote_id=bindparam("quote_id", type_=Integer),
        variant_id=bindparam("variant_id", type_=Integer),
        warehouse_id=bindparam("warehouse_id", type_=Integer),
        quantity=bindparam("quantity", type_=Integer),
        expires_at=bindparam("expires_at", type_=UTCDateTime),
    )
)
# The row is locked (the caller's plan): its holds_until says a live hold may exist until then.
_MARK_HELD = Sql(
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
_DELETE_HOLDS = Sql(
    delete(StockHold).where(StockHold.quote_id == bindparam("quote_id", type_=Integer))
)


async def serialise_customer(tx: Tx, customer_id: int) -> None:
    """Makes this customer's quotes run one at a time, before any stock row is locked (the
    first step of the global lock order): on PostgreSQL a transaction-scoped advisory lock,
    then the customer's open quotes (which the new one supersedes) locked by id, as
    place_order locks its quote before the stock it reserves. SQLite has one writer anyway."""
    sql = await tx.raw()
    if sql.dialect.name != "postgresql":
        return
    await sql.fetch(
        _SERIALISE_CUSTOMER, {"cls": _QUOTE_LOCK_CLASS, "customer": customer_id % 2**31}
    )
    await sql.fetch(_LOCK_OPEN_QUOTES, {"customer_id": customer_id})


async def customer_held(tx: Tx, customer_id: int) -> int:
    """Units the customer's open quotes hold now (live holds only)."""
    sql = await tx.raw()
    rows = await sql.fetch(_CUSTOMER_HELD, {"customer_id": customer_id, "now": tx.now})
    return int(rows[0][0])


class NewHold(NamedTuple):
    quote_id: int
    variant_id: int
    warehouse_id: int
    quantity: int
    expires_at: datetime


async def add_holds(tx: Tx, holds: Sequence[NewHold]) -> None:
    """Writes the holds and moves each row's holds_until up to their expiry. The caller holds
    the rows' locks, so the live holds counted under them stay true."""
    sql = await tx.raw()
    await sql.execute_many(_INSERT_HOLD, [h._asdict() for h in holds])
    await sql.execute_many(
        _MARK_HELD,
        [
            {"variant_id": h.variant_id, "warehouse_id": h.warehouse_id, "expires_at": h.expires_at}
            for h in holds
        ],
    )


async def drop_quote_holds(tx: Tx, quote_id: int) -> None:
    """Deletes every hold of the quote (placed, superseded or replaced)."""
    await (await tx.raw()).execute(_DELETE_HOLDS, {"quote_id": quote_id})


__all__ = ["NewHold", "add_holds", "customer_held", "drop_quote_holds", "serialise_customer"]
