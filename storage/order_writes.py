"""Writing an order on the hot path: the order row and its lines, and the look-up by
idempotency key (the buyer's details remembered with it: storage.customers, known_buyer).

Statements are compiled once (storage.fastsql) and run on the transaction's raw driver. An
order, its lines and its "created" history row are one statement on PostgreSQL (data-modifying
CTEs: a round trip is most of what a statement costs there) and three on SQLite (in-process,
where a statement costs microseconds). Rows go in as TypedDicts: no per-call objects beyond
the parameters the driver needs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    bindparam,
    insert,
    literal,
    null,
    select,
    true,
)

from storage import order_events
from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql
from storage.models import (
    Order,
    OrderEvent,
    OrderLine,
)


class NewOrder(TypedDict):
    """An order row's columns as the tools decide them (paid_amount starts at 0)."""

    channel: str
    external_id: str | None
    customer_id: int | None
    status: str
    buyer_name: str
    buyer_search: str
    buyer_phone: str | None
    address_line: str
    ward: str
    district: str
    province: str
    subtotal: int
    discount: int
    vat_total: int
    shipping_fee: int
    shipping_auto: bool
    shipping_payer: str
    total: int
    cod_amount: int
    payment_method: str
    payment_status: str
    note: str
    created_at: datetime


class NewLine(TypedDict):
    """An order line's columns but its order, which is written with it."""

    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    vat_rate: int
    unit_cost: int
    discount: int
    vat_amount: int
    line_total: int
    warehouse_id: int | None
    reserved: int


_p = bindparam
_order_insert = (
    insert(Order)
    .values(
        channel=_p("channel", type_=String),
        external_id=_p("external_id", type_=String),
        customer_id=_p("customer_id", type_=Integer),
        status=_p("status", type_=String),
        buyer_name=_p("buyer_name", type_=String),
        buyer_search=_p("buyer_search", type_=String),
        buyer_phone=_p("buyer_phone", type_=String),
        address_line=_p("address_line", type_=String),
        ward=_p("ward", type_=String),
        district=_p("district", type_=String),
        province=_p("province", type_=String),
        subtotal=_p("subtotal", type_=Integer),
        discount=_p("discount", type_=Integer),
        vat_total=_p("vat_total", type_=Integer),
        shipping_fee=_p("shipping_fee", type_=Integer),
        shipping_auto=_p("shipping_auto", type_=Boolean),
        shipping_payer=_p("shipping_payer", type_=String),
        total=_p("total", type_=Integer),
        cod_amount=_p("cod_amount", type_=Integer),
        payment_method=_p("payment_method", type_=String),
        payment_status=_p("payment_status", type_=String),
        paid_amount=0,
        note=_p("note", type_=String),
        created_at=_p("created_at", type_=UTCDateTime),
        updated_at=_p("created_at", type_=UTCDateTime),
    )
    .returning(Order.id)
)
_INSERT_ORDER = Sql(_order_insert)
_LINE_COLUMNS = {
    "variant_id": Integer,
    "sku": String,
    "name": String,
    "quantity": Integer,
    "unit_price": Integer,
    "vat_rate": Integer,
    "unit_cost": Integer,
    "discount": Integer,
    "vat_amount": Integer,
    "line_total": Integer,
    "warehouse_id": Integer,
    "reserved": Integer,
}


def _line_values(i: int, order_id: ColumnElement[int]) -> dict[str, Any]:
    """Line ``i``'s columns as binds named ``{column}_{i}``."""
    return {"order_id": order_id} | {
        col: _p(f"{col}_{i}", type_=t) for col, t in _LINE_COLUMNS.items()
    }


@functools.cache
def _insert_lines_sql(count: int) -> Sql:
    """All of an order's lines in one multi-row INSERT; ids come back keyed by SKU (unique
    within an order), since RETURNING does not promise row order."""
    order_id = _p("order_id", type_=Integer)
    rows = [_line_values(i, order_id) for i in range(count)]
    return Sql(insert(OrderLine).values(rows).returning(OrderLine.id, OrderLine.sku))


@functools.cache
def _insert_order_pg(count: int) -> Sql:
    """PostgreSQL: the order, its ``count`` lines and its history row in one statement; one
    row back per line: (order id, line id, SKU)."""
    o = _order_insert.cte("o")
    order_id = select(o.c.id).scalar_subquery()
    lines = (
        insert(OrderLine)
        .values([_line_values(i, order_id) for i in range(count)])
        .returning(OrderLine.id, OrderLine.sku)
        .cte("l")
    )
    history = insert(OrderEvent).from_select(
        ["order_id", "kind", "from_status", "to_status", "actor", "note", "created_at"],
        select(
            o.c.id,
            literal("created", String),
            null(),
            _p("status", type_=String),
            _p("actor", type_=String),
            literal("", String),
            _p("created_at", type_=UTCDateTime),
        ),
    )
    return Sql(
        select(o.c.id, lines.c.id, lines.c.sku)
        .select_from(o)
        .join(lines, true())
        .add_cte(history.cte("h"))
    )


async def insert_order(
    tx: Tx, order: NewOrder, lines: Sequence[NewLine], *, actor: str
) -> tuple[int, list[int]]:
    """Writes the order, its lines and its "created" history row (by ``actor``); returns the
    order's id and the lines' ids in the order of ``lines``."""
    fast = await tx.raw()
    if tx.dialect == "postgresql":
        params: dict[str, Any] = {**order, "actor": actor}
        _add_lines(params, lines)
        rows = await fast.fetch(_insert_order_pg(len(lines)), params)
        order_id: int = rows[0][0]
        ids = {sku: line_id for _, line_id, sku in rows}
    else:
        order_id = (await fast.fetch(_INSERT_ORDER, order))[0][0]
        params = {"order_id": order_id}
        _add_lines(params, lines)
        returned = await fast.fetch(_insert_lines_sql(len(lines)), params)
        ids = {sku: line_id for line_id, sku in returned}
        await order_events.add_order_event(
            tx,
            order_id,
            "created",
            from_status=None,
            to_status=order["status"],
            actor=actor,
            note="",
        )
    return order_id, [ids[line["sku"]] for line in lines]


def _add_lines(params: dict[str, Any], lines: Sequence[NewLine]) -> None:
    for i, line in enumerate(lines):
        params.update({f"{k}_{i}": v for k, v in line.items()})


_SELECT_BY_EXTERNAL = Sql(
    select(Order.id).where(
        Order.channel == _p("channel", type_=String),
        Order.external_id == _p("external_id", type_=String),
    )
)


async def order_id_by_external(tx: Tx, channel: str, external_id: str) -> int | None:
    """The order placed on ``channel`` under this external id (or idempotency key), if any."""
    rows = await (await tx.raw()).fetch(
        _SELECT_BY_EXTERNAL, {"channel": channel, "external_id": external_id}
    )
    return int(rows[0][0]) if rows else None
