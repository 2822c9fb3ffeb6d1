"""storage.orders: the order as stored (after the fast path wrote it), its lines and history,
the list filter and the look-up, with the same typed values on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Integer, String, bindparam, update

from core.order_search import ByName, ByNumber, ByPhone
from storage import orders
from storage.database import Database
from storage.fastsql import Sql
from storage.models import Order
from tests.conftest import Caller
from tests.factories import make_order, make_stocked_shop

SET_NOTE = Sql(
    update(Order)
    .where(Order.id == bindparam("id", type_=Integer))
    .values(note=bindparam("note", type_=String))
)


@pytest.fixture
async def placed(shop: Caller) -> dict[str, Any]:
    await make_stocked_shop(shop)
    return await make_order(shop, {"AT01-DEN-M": 2, "AT01-TRANG-L": 1}, note="first")


async def test_order_as_stored_sees_what_the_fast_path_wrote(
    db: Database, placed: dict[str, Any]
) -> None:
    async with db.transaction() as tx:
        before = await orders.order_as_stored(tx, placed["id"])
        assert before is not None
        assert before.note == "first"
        await (await tx.raw()).execute(SET_NOTE, {"id": placed["id"], "note": "changed"})
        again = await orders.order_as_stored(tx, placed["id"], lock=True)
    assert again is before  # the same entity, refreshed in place
    assert again.note == "changed"
    assert again.created_at.tzinfo is not None


async def test_order_as_stored_of_a_missing_order_is_none(db: Database) -> None:
    async with db.transaction() as tx:
        assert await orders.order_as_stored(tx, 424242) is None


async def test_lines_and_history_come_in_writing_order(
    db: Database, shop: Caller, placed: dict[str, Any]
) -> None:
    await shop("set_order_status", order_id=placed["id"], status="confirmed")
    async with db.transaction(write=False) as tx:
        lines = await orders.lines_of(tx, placed["id"])
        history = await orders.history_of(tx, placed["id"])
    assert [(ln.sku, ln.quantity) for ln in lines] == [("AT01-DEN-M", 2), ("AT01-TRANG-L", 1)]
    assert [e.kind for e in history][-1] == "status"
    assert history[-1].to_status == "confirmed"
    assert all(e.created_at.tzinfo is not None for e in history)


async def test_order_with_phone_needs_both(db: Database, placed: dict[str, Any]) -> None:
    async with db.transaction(write=False) as tx:
        assert await orders.order_with_phone(tx, placed["id"], "+84912345678") is not None
        assert await orders.order_with_phone(tx, placed["id"], "+84999999999") is None
        assert await orders.order_with_phone(tx, 2**63, "+84912345678") is None  # past 64 bits


@pytest.mark.parametrize(
    ("f", "found"),
    [
        (orders.OrderFilter(), True),
        (orders.OrderFilter(search=ByNumber(1)), True),
        (orders.OrderFilter(search=ByNumber(2**64)), False),
        (orders.OrderFilter(search=ByPhone(exact="+84912345678", like=None)), True),
        (orders.OrderFilter(search=ByPhone(exact=None, like="%345678")), True),
        (orders.OrderFilter(search=ByName("van a")), True),
        (orders.OrderFilter(search=ByName("100%")), False),  # % is a character, not a pattern
        (orders.OrderFilter(status="cancelled"), False),
        (orders.OrderFilter(channel="phone", customer_id=None), True),
        (orders.OrderFilter(created_from=datetime.now(UTC) + timedelta(days=1)), False),
        (orders.OrderFilter(created_to=datetime.now(UTC) + timedelta(days=1)), True),
    ],
)
async def test_find_orders_filters(
    db: Database, placed: dict[str, Any], f: orders.OrderFilter, found: bool
) -> None:
    async with db.transaction(write=False) as tx:
        rows, count = await orders.find_orders(tx, f, limit=10, offset=0)
    assert [o.id for o in rows] == ([placed["id"]] if found else [])
    assert count == len(rows)


async def test_find_orders_pages_newest_first_and_counts_all(
    db: Database, shop: Caller, placed: dict[str, Any]
) -> None:
    second = await make_order(shop, {"AT01-DEN-M": 1})
    async with db.transaction(write=False) as tx:
        rows, count = await orders.find_orders(tx, orders.OrderFilter(), limit=1, offset=1)
    assert [o.id for o in rows] == [placed["id"]]
    assert second["id"] > placed["id"]
    assert count == 2
