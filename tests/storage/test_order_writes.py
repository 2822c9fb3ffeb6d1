"""The rows a call writes on the fast path, alike on SQLite and PostgreSQL: an order with its
lines and its "created" history row (one statement on PostgreSQL), a call's outbox events with
its audit row (one statement on PostgreSQL), and an idempotent call's stored result."""

from __future__ import annotations

from typing import Any

import pytest

from storage import audit, order_writes, orders, outbox, tool_results
from storage.audit import NewAuditEntry
from storage.base import utcnow
from storage.database import Database
from storage.order_writes import NewLine, NewOrder
from storage.outbox import NewEvent, OutboxReader
from tests.conftest import Caller
from tests.factories import make_order, make_stocked_shop


def _order(at: Any) -> NewOrder:
    return {
        "channel": "phone",
        "external_id": None,
        "customer_id": None,
        "status": "new",
        "buyer_name": "Trần Thị B",
        "buyer_search": "tran thi b",
        "buyer_phone": "+84912345678",
        "address_line": "1 Lê Lợi",
        "ward": "Bến Nghé",
        "district": "Quận 1",
        "province": "TP HCM",
        "subtotal": 300_000,
        "discount": 0,
        "vat_total": 0,
        "shipping_fee": 30_000,
        "shipping_auto": True,
        "shipping_payer": "buyer",
        "total": 330_000,
        "cod_amount": 330_000,
        "payment_method": "cod",
        "payment_status": "unpaid",
        "note": "",
        "created_at": at,
    }


def _line(sku: str, variant_id: int, quantity: int) -> NewLine:
    return {
        "variant_id": variant_id,
        "sku": sku,
        "name": sku,
        "quantity": quantity,
        "unit_price": 100_000,
        "vat_rate": 0,
        "unit_cost": 50_000,
        "discount": 0,
        "vat_amount": 0,
        "line_total": 100_000 * quantity,
        "warehouse_id": None,
        "reserved": 0,
    }


async def test_an_order_is_written_with_its_lines_and_created_event(
    db: Database, shop: Caller, backend: str
) -> None:
    await make_stocked_shop(shop)
    placed = await make_order(shop, {"AT01-DEN-M": 1, "AT01-TRANG-L": 1})
    variant = {ln["sku"]: ln["variant_id"] for ln in placed["lines"]}
    # Given in the order the caller wants them back, not SKU order.
    lines = [
        _line("AT01-TRANG-L", variant["AT01-TRANG-L"], 2),
        _line("AT01-DEN-M", variant["AT01-DEN-M"], 1),
    ]
    db.trace = []
    async with db.transaction() as tx:
        order_id, line_ids = await order_writes.insert_order(
            tx, _order(tx.now), lines, actor="sales:7"
        )
        at = tx.now
    statements, db.trace = len(db.trace), None
    assert statements == (1 if backend == "postgres" else 3)
    async with db.transaction(write=False) as tx:
        stored = await orders.lines_of(tx, order_id)
        history = await orders.history_of(tx, order_id)
        order = await orders.order_as_stored(tx, order_id)
    assert order is not None
    assert (order.total, order.paid_amount, order.created_at) == (330_000, 0, at)
    assert [(ln.id, ln.sku, ln.quantity, ln.order_id) for ln in stored] == [
        (line_ids[0], "AT01-TRANG-L", 2, order_id),
        (line_ids[1], "AT01-DEN-M", 1, order_id),
    ]
    assert [
        (e.kind, e.from_status, e.to_status, e.actor, e.note, e.created_at) for e in history
    ] == [("created", None, "new", "sales:7", "", at)]


def _entry(tool: str) -> NewAuditEntry:
    return {
        "at": utcnow(),
        "actor": "owner",
        "role": "owner",
        "tool": tool,
        "surface": "test",
        "args": {"x": 1},
        "outcome": "ok",
        "error": None,
        "duration_ms": 3,
    }


@pytest.mark.parametrize("count", [0, 1, 3, outbox.FOLD_MAX + 1])
async def test_a_calls_events_are_written_with_its_audit_row_in_order(
    db: Database, count: int
) -> None:
    events: list[NewEvent] = [
        {"topic": "stock.changed", "key": f"variant:{n}", "payload": {"n": n, "ok": True}}
        for n in range(count)
    ]
    reader = OutboxReader(db, "test")
    async with reader.batch() as batch:
        assert batch.events == []  # registered before the events are written
    async with db.transaction() as tx:
        await audit.add_entry(tx, _entry("adjust_stock"), events)
        at = tx.now
    async with reader.batch() as batch:
        got = [(e.topic, e.key, e.payload, e.created_at) for e in batch.events]
    assert got == [(e["topic"], e["key"], e["payload"], at) for e in events]
    async with db.transaction(write=False) as tx:
        [row] = await audit.latest(tx, 5)
    assert (row.tool, row.actor, row.role, row.surface, row.outcome) == (
        "adjust_stock",
        "owner",
        "owner",
        "test",
        "ok",
    )
    assert row.at.tzinfo is not None


async def test_a_stored_result_comes_back_decoded(db: Database) -> None:
    async with db.transaction() as tx:
        assert await tool_results.stored_result(tx, "adjust_stock", "key-0001") is None
        await tool_results.store_result(
            tx,
            "adjust_stock",
            "key-0001",
            actor="owner",
            request_hash="ab" * 32,
            result={"id": 7, "lines": [1, 2]},
        )
    async with db.transaction(write=False) as tx:
        found = await tool_results.stored_result(tx, "adjust_stock", "key-0001")
    assert found == ("owner", "ab" * 32, {"id": 7, "lines": [1, 2]})
