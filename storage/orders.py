"""Reads and edits of orders outside the placing hot path: one order as stored, its lines and
history, the order list with its search, the look-up by number and phone, and quotes.

Functions take the transaction and typed values and return ORM entities (the tools change
them: unit of work) or plain values. The order writing path (placing, reserving) is
storage.order_writes' and friends'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, select, update

from core.order_search import ByNumber, ByPhone, OrderSearch
from storage.database import Tx
from storage.models import Order, OrderEvent, OrderLine, Quote

# Ids are 64-bit keys: a larger order number names nothing (and would overflow the driver).
_MAX_ID = 2**63 - 1


async def order_as_stored(tx: Tx, order_id: int, *, lock: bool = False) -> Order | None:
    """The order as the database has it now; ``lock`` takes its row lock first.

    The order hot path writes orders on the compiled fast path (storage.fastsql), which the
    ORM session does not see: an Order the session loaded earlier in this transaction may be
    stale. So the row is read again over whatever the identity map holds (populate_existing).
    This is the one place that knows it; every re-read of an order goes through here.
    """
    return await tx.session.get(Order, order_id, populate_existing=True, with_for_update=lock)


async def lines_of(tx: Tx, order_id: int) -> list[OrderLine]:
    """The order's lines in the order they were written."""
    rows = await tx.session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
    )
    return list(rows)


async def replace_lines(tx: Tx, old: list[OrderLine], new: list[OrderLine]) -> None:
    """The order's lines ``old`` are deleted and ``new`` written in their place (ids given)."""
    for ln in old:
        await tx.session.delete(ln)
    await tx.session.flush()
    tx.session.add_all(new)
    await tx.session.flush()


async def history_of(tx: Tx, order_id: int) -> list[OrderEvent]:
    """The order's events, oldest first."""
    rows = await tx.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    )
    return list(rows)


async def order_with_phone(tx: Tx, order_id: int, phone: str) -> Order | None:
    """The order with this id if it was placed with this phone (E.164), in one query: a wrong
    phone and a missing number look the same."""
    if order_id > _MAX_ID:
        return None
    found: Order | None = await tx.session.scalar(
        select(Order).where(Order.id == order_id, Order.buyer_phone == phone)
    )
    return found


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders a list shows; every field given narrows it. Times are aware."""

    customer_id: int | None = None
    status: str | None = None
    channel: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    search: OrderSearch | None = None


def _search_condition(search: OrderSearch) -> ColumnElement[bool]:
    """The rule is core.order_search's; names are compared folded ("hanh" finds "Hạnh")."""
    if isinstance(search, ByNumber):
        return Order.id == search.order_id if search.order_id <= _MAX_ID else false()
    if isinstance(search, ByPhone):
        if search.exact is not None:
            return Order.buyer_phone == search.exact
        return Order.buyer_phone.like(search.like or "")
    return Order.buyer_search.contains(search.folded, autoescape=True)


def _conditions(f: OrderFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.customer_id is not None:
        conds.append(Order.customer_id == f.customer_id)
    if f.status:
        conds.append(Order.status == f.status)
    if f.channel:
        conds.append(Order.channel == f.channel)
    if f.created_from:
        conds.append(Order.created_at >= f.created_from)
    if f.created_to:
        conds.append(Order.created_at <= f.created_to)
    if f.search is not None:
        conds.append(_search_condition(f.search))
    return conds


async def find_orders(
    tx: Tx, f: OrderFilter, *, limit: int, offset: int
) -> tuple[list[Order], int]:
    """One page of the orders matching ``f``, newest first, and how many match in all."""
    base = select(Order).where(*_conditions(f))
    count = await tx.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = await tx.session.scalars(base.order_by(Order.id.desc()).limit(limit).offset(offset))
    return list(rows), int(count or 0)


async def add_quote(tx: Tx, quote: Quote) -> Quote:
    """Writes a new quote; its id is known on return (holds refer to it)."""
    tx.session.add(quote)
    await tx.session.flush()
    return quote


async def quote_by_token(tx: Tx, token: str, *, lock: bool = False) -> Quote | None:
    stmt = select(Quote).where(Quote.token == token)
    found: Quote | None = await tx.session.scalar(stmt.with_for_update() if lock else stmt)
    return found


async def open_quote_ids(tx: Tx, customer_id: int) -> list[int]:
    """The customer's quotes still open (their holds still count)."""
    return list(
        await tx.session.scalars(
            select(Quote.id).where(Quote.customer_id == customer_id, Quote.status == "open")
        )
    )


async def mark_superseded(tx: Tx, quote_ids: list[int]) -> None:
    if quote_ids:
        await tx.session.execute(
            update(Quote).where(Quote.id.in_(quote_ids)).values(status="superseded")
        )


__all__ = [
    "OrderFilter",
    "add_quote",
    "find_orders",
    "history_of",
    "lines_of",
    "mark_superseded",
    "open_quote_ids",
    "order_as_stored",
    "order_with_phone",
    "quote_by_token",
    "replace_lines",
]
