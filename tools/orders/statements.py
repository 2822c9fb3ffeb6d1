"""The compiled statements of the order hot path (storage.fastsql): writing an order and its
lines in two round trips, and remembering a buyer with one read in the common case."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Boolean, Integer, String, bindparam, func, insert, select, update

from storage.base import UTCDateTime
from storage.fastsql import Sql
from storage.models import Customer, CustomerAddress, CustomerPhone, Order, OrderLine

_p = bindparam
INSERT_ORDER = Sql(
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
_LINE_COLUMNS = {
    "order_id": Integer,
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


@functools.cache
def insert_lines_sql(count: int) -> Sql:
    """All of an order's lines in one multi-row INSERT; ids come back keyed by SKU (unique
    within an order), since RETURNING does not promise row order."""
    rows: list[dict[str, Any]] = [
        {col: _p(f"{col}_{i}", type_=t) for col, t in _LINE_COLUMNS.items()} for i in range(count)
    ]
    return Sql(insert(OrderLine).values(rows).returning(OrderLine.id, OrderLine.sku))


SELECT_BY_EXTERNAL = Sql(
    select(Order.id).where(
        Order.channel == _p("channel", type_=String),
        Order.external_id == _p("external_id", type_=String),
    )
)
_cid = _p("customer_id", type_=Integer)
# What the shop already knows of this buyer, in one statement (the common case writes nothing).
KNOWN_BUYER = Sql(
    select(
        select(Customer.name).where(Customer.id == _cid).scalar_subquery(),
        select(CustomerPhone.customer_id)
        .where(CustomerPhone.phone == _p("phone", type_=String))
        .scalar_subquery(),
        select(func.count())
        .select_from(CustomerAddress)
        .where(
            CustomerAddress.customer_id == _cid,
            CustomerAddress.line == _p("line", type_=String),
            CustomerAddress.ward == _p("ward", type_=String),
            CustomerAddress.district == _p("district", type_=String),
            CustomerAddress.province == _p("province", type_=String),
        )
        .scalar_subquery(),
    )
)
INSERT_PHONE = Sql(
    insert(CustomerPhone).values(
        customer_id=_p("customer_id", type_=Integer), phone=_p("phone", type_=String)
    )
)
FILL_NAME = Sql(
    update(Customer)
    .where(Customer.id == _p("customer_id", type_=Integer), Customer.name == "")
    .values(name=_p("name", type_=String), search_text=_p("folded", type_=String))
)
INSERT_ADDRESS = Sql(
    insert(CustomerAddress).values(
        customer_id=_p("customer_id", type_=Integer),
        recipient=_p("recipient", type_=String),
        phone=_p("phone", type_=String),
        line=_p("line", type_=String),
        ward=_p("ward", type_=String),
        district=_p("district", type_=String),
        province=_p("province", type_=String),
        is_default=_p("is_default", type_=Boolean),
    )
)
