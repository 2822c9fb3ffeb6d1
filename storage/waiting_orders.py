"""Queries of the waiting-order allocation (tools/waiting.py), on the compiled fast path.

They take the call's transaction and typed values and return typed values, identical on
SQLite and PostgreSQL. Statements are compiled once per arity of their id lists.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select, update

from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql, in_binds, in_params
from storage.models import Order, OrderLine

AWAITING, CONFIRMED = "awaiting_stock", "confirmed"


@dataclass(frozen=True, slots=True)
class OpenLine:
    """A line of a waiting order that still lacks its stock."""

    id: int
    order_id: int
    variant_id: int
    sku: str
    quantity: int
    reserved: int


@functools.lru_cache(maxsize=256)
def _candidates_sql(variants: int) -> Sql:
    return Sql(
        select(OrderLine.order_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.variant_id.in_(in_binds("v", variants, Integer)),
            OrderLine.warehouse_id.is_(None),  # the partial index ix_order_lines_unallocated
            OrderLine.quantity <= bindparam("bound", type_=Integer),
            OrderLine.order_id > bindparam("after", type_=Integer),
            Order.status == AWAITING,
        )
        .order_by(OrderLine.order_id)
        .limit(bindparam("limit", type_=Integer))
    )


async def candidates(
    tx: Tx, variant_ids: Sequence[int], bound: int, after: int, limit: int
) -> tuple[list[int], bool]:
    """Waiting orders after ``after`` (placement order) with an unallocated line of these
    variants no larger than ``bound``; and whether there may be more after them."""
    rows = await (await tx.raw()).fetch(
        _candidates_sql(len(variant_ids)),
        {**in_params("v", variant_ids), "bound": bound, "after": after, "limit": limit},
    )
    ids = [r[0] for r in rows]
    return list(dict.fromkeys(ids)), len(ids) == limit


@functools.lru_cache(maxsize=64)
def _open_lines_sql(orders: int) -> Sql:
    return Sql(
        select(
            OrderLine.id,
            OrderLine.order_id,
            OrderLine.variant_id,
            OrderLine.sku,
            OrderLine.quantity,
            OrderLine.reserved,
        )
        .where(
            OrderLine.order_id.in_(in_binds("o", orders, Integer)),
            OrderLine.reserved < OrderLine.quantity,
        )
        .order_by(OrderLine.order_id, OrderLine.id)
    )


async def open_lines(tx: Tx, order_ids: Sequence[int]) -> list[OpenLine]:
    if not order_ids:
        return []
    rows = await (await tx.raw()).fetch(_open_lines_sql(len(order_ids)), in_params("o", order_ids))
    return [OpenLine(*r) for r in rows]


@functools.lru_cache(maxsize=128)
def _lock_orders_sql(orders: int, skip_locked: bool) -> Sql:
    return Sql(
        select(Order.id)
        .where(Order.id.in_(in_binds("o", orders, Integer)), Order.status == AWAITING)
        .order_by(Order.id)
        .with_for_update(skip_locked=skip_locked)
    )


async def lock_waiting_orders(tx: Tx, order_ids: Sequence[int], *, wait: bool) -> set[int]:
    """Locks those of these orders that still wait, ascending; without ``wait``, the ones
    another transaction holds are left out (SKIP LOCKED)."""
    if not order_ids:
        return set()
    if tx.dialect == "sqlite":
        # One writer: the candidates were read in this transaction and nobody else holds them.
        return set(order_ids)
    rows = await (await tx.raw()).fetch(
        _lock_orders_sql(len(order_ids), not wait), in_params("o", sorted(order_ids))
    )
    return {r[0] for r in rows}


ALLOCATE_LINE = Sql(
    update(OrderLine)
    .where(OrderLine.id == bindparam("line_id", type_=Integer))
    .values(warehouse_id=bindparam("warehouse_id", type_=Integer), reserved=OrderLine.quantity)
)
CONFIRM_ORDER = Sql(
    update(Order)
    .where(Order.id == bindparam("order_id", type_=Integer), Order.status == AWAITING)
    .values(status=CONFIRMED, updated_at=bindparam("now", type_=UTCDateTime))
)


async def allocate_lines(tx: Tx, placed: Sequence[tuple[int, int]]) -> None:
    """(line id, warehouse id): the line is reserved in full there."""
    await (await tx.raw()).execute_many(
        ALLOCATE_LINE, [{"line_id": line, "warehouse_id": wh} for line, wh in placed]
    )


async def confirm(tx: Tx, order_id: int) -> None:
    """The waiting order got all its stock: confirmed, as of the call's time."""
    await (await tx.raw()).execute(CONFIRM_ORDER, {"order_id": order_id, "now": tx.now})


__all__ = [
    "OpenLine",
    "allocate_lines",
    "candidates",
    "confirm",
    "lock_waiting_orders",
    "open_lines",
]
