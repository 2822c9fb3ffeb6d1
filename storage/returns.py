"""Returns (trả hàng) as the return tools read and write them: return requests, their lines,
the claims they make on order lines, refunds.

Typed values in and out, identical on SQLite and PostgreSQL. A return, its lines and its
order are returned as ORM entities where the tool changes them (unit of work).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, select

from core.return_status import RefundStatus
from core.returns import Claim
from storage.database import Tx
from storage.models import (
    Order,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    StockWriteOff,
    Warehouse,
)

# --------------------------------------------------------------------------- orders


# --------------------------------------------------------------------------- returns


async def return_as_stored(tx: Tx, return_id: int, *, lock: bool = False) -> ReturnRequest | None:
    """The return as the database has it now, overwriting the session's copy: read again
    under its order's lock (``lock``), it must show what a call that held the lock before
    us changed."""
    return await tx.session.get(
        ReturnRequest, return_id, populate_existing=True, with_for_update=lock
    )


async def add_return(tx: Tx, ret: ReturnRequest, lines: Iterable[ReturnLine]) -> ReturnRequest:
    """Stores a new return with its lines (the lines get the return's id here)."""
    tx.session.add(ret)
    await tx.session.flush()
    for line in lines:
        line.return_id = ret.id
        tx.session.add(line)
    await tx.session.flush()
    return ret


class ReturnLineRow(NamedTuple):
    """A return line with the order line it returns and where its goods came back to."""

    line: ReturnLine
    order_line: OrderLine
    warehouse_code: str | None


async def lines_of(tx: Tx, return_id: int) -> list[ReturnLineRow]:
    """The return's lines in the order they were written."""
    rows = await tx.session.execute(
        select(ReturnLine, OrderLine, Warehouse.code)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .outerjoin(Warehouse, Warehouse.id == ReturnLine.warehouse_id)
        .where(ReturnLine.return_id == return_id)
        .order_by(ReturnLine.id)
    )
    return [ReturnLineRow(rl, ol, code) for rl, ol, code in rows.all()]


async def returns_listed(
    tx: Tx,
    *,
    customer_id: int | None,
    order_id: int | None,
    status: str | None,
    refund_status: str | None,
    limit: int,
) -> list[tuple[ReturnRequest, Order]]:
    """Returns with their orders, newest first; ``customer_id`` keeps one customer's only."""
    q = (
        select(ReturnRequest, Order)
        .join(Order, Order.id == ReturnRequest.order_id)
        .order_by(ReturnRequest.id.desc())
        .limit(limit)
    )
    if customer_id is not None:
        q = q.where(Order.customer_id == customer_id)
    if order_id is not None:
        q = q.where(ReturnRequest.order_id == order_id)
    if status:
        q = q.where(ReturnRequest.status == status)
    if refund_status:
        q = q.where(ReturnRequest.refund_status == refund_status)
    return [(ret, order) for ret, order in (await tx.session.execute(q)).all()]


async def refunded_total(tx: Tx, order_id: int) -> int:
    """What the order's returns have refunded so far, in đồng."""
    total = await tx.session.scalar(
        select(func.coalesce(func.sum(ReturnRequest.refund_amount), 0)).where(
            ReturnRequest.order_id == order_id,
            ReturnRequest.refund_status == RefundStatus.REFUNDED.value,
        )
    )
    return int(total or 0)


# --------------------------------------------------------------------------- claims


async def claims_matching(tx: Tx, condition: ColumnElement[bool]) -> dict[int, list[Claim]]:
    """The return lines matching ``condition``, by order line, in return order (the order
    the cumulative refund rule counts them in)."""
    rows = await tx.session.execute(
        select(
            ReturnLine.order_line_id,
            ReturnRequest.status,
            ReturnLine.quantity,
            ReturnLine.good,
            ReturnLine.damaged,
            ReturnLine.return_id,
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(condition)
        .order_by(ReturnLine.return_id, ReturnLine.id)
    )
    out: dict[int, list[Claim]] = defaultdict(list)
    for olid, status, qty, good, damaged, rid in rows.all():
        out[olid].append(Claim(status, qty, good, damaged, rid))
    return out


async def claims_of_order(tx: Tx, order_id: int) -> dict[int, list[Claim]]:
    """Every return line of the order, by order line, as it weighs on what is returnable."""
    return await claims_matching(tx, ReturnRequest.order_id == order_id)


async def claims_of_order_lines(tx: Tx, order_line_ids: Sequence[int]) -> dict[int, list[Claim]]:
    """Every return line of these order lines, by order line."""
    if not order_line_ids:
        return defaultdict(list)
    return await claims_matching(tx, ReturnLine.order_line_id.in_(order_line_ids))


# --------------------------------------------------------------------------- receiving


async def warehouses_by_id(tx: Tx) -> dict[int, Warehouse]:
    """Every warehouse (a shop has a handful): where returned goods may go."""
    return {w.id: w for w in (await tx.session.execute(select(Warehouse))).scalars()}


def add_write_offs(tx: Tx, write_offs: Iterable[StockWriteOff]) -> None:
    """Queues the write-off rows of damaged returned goods (written with the next flush)."""
    tx.session.add_all(write_offs)
