"""A write made with an idempotency key happens once, however often it is retried (a chat
platform re-delivering, an HTTP client timing out, a button pressed twice); the retry gets the
first result back. The runner does it for every tool whose input inherits Idempotent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from core.errors import Conflict, InsufficientStock
from storage.database import Database
from storage.models import AuditEntry, GoodsReceipt, ToolResult
from tests.conftest import OWNER, Caller
from tests.factories import ADDRESS, DEN, KEEPER, SALES, count_rows, make_product, make_warehouses

KEY = "7f3c2a9e-receipt-0001"


async def on_hand(shop: Caller, sku: str = DEN) -> int:
    stock = (await shop("check_stock", sku=sku))["variants"][0]
    return int(stock["on_hand"])


async def setup(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 10})
    await shop("create_supplier", code="ncc01", name="Xưởng may Bình Tân")


async def confirmed_po(shop: Caller, quantity: int = 10) -> dict[str, Any]:
    made = await shop(
        "create_purchase_order",
        supplier_code="NCC01",
        warehouse_code="HCM",
        lines=[{"sku": DEN, "quantity": quantity, "unit_cost": 80_000}],
    )
    return await shop("confirm_purchase_order", purchase_order_id=made["id"])


async def outcomes(db: Database, tool: str) -> list[str]:
    async with db.transaction(write=False) as tx:
        rows = await tx.session.scalars(
            select(AuditEntry.outcome).where(AuditEntry.tool == tool).order_by(AuditEntry.id)
        )
        return list(rows)


async def test_a_retried_receipt_is_received_once(shop: Caller, db: Database) -> None:
    await setup(shop)
    po = await confirmed_po(shop)
    args = {"purchase_order_id": po["id"], "lines": [{"sku": DEN, "quantity": 4}]}
    first = await shop("receive_goods", KEEPER, idempotency_key=KEY, **args)
    again = await shop("receive_goods", KEEPER, idempotency_key=KEY, **args)
    assert again == first
    assert await on_hand(shop) == 14
    assert await count_rows(db, GoodsReceipt) == {"goods_receipts": 1}
    assert (await shop("get_purchase_order", purchase_order_id=po["id"]))["lines"][0][
        "received"
    ] == 4
    assert await outcomes(db, "receive_goods") == ["ok", "replayed"]
    # Without a key the same request is a new receipt, as before.
    await shop("receive_goods", KEEPER, **args)
    assert await on_hand(shop) == 18


async def test_a_key_reused_for_another_request_or_by_another_caller_is_refused(
    shop: Caller, db: Database
) -> None:
    await setup(shop)
    await shop("adjust_stock", KEEPER, sku=DEN, warehouse_code="HCM", delta=2, idempotency_key=KEY)
    for actor, delta in ((KEEPER, 3), (OWNER, 2)):
        with pytest.raises(Conflict) as err:
            await shop(
                "adjust_stock",
                actor,
                sku=DEN,
                warehouse_code="HCM",
                delta=delta,
                idempotency_key=KEY,
            )
        assert (err.value.code, err.value.field) == ("idempotency_key_reused", "idempotency_key")
    assert await on_hand(shop) == 12
    # Keys are per tool: the same string on another tool is another action.
    await shop(
        "transfer_stock",
        KEEPER,
        sku=DEN,
        from_warehouse_code="HCM",
        to_warehouse_code="HN",
        quantity=1,
        idempotency_key=KEY,
    )


async def test_a_refused_call_keeps_nothing_so_the_key_can_be_used_when_it_succeeds(
    shop: Caller, db: Database
) -> None:
    await setup(shop)
    args = {"sku": DEN, "from_warehouse_code": "HCM", "to_warehouse_code": "HN"}
    with pytest.raises(InsufficientStock):
        await shop("transfer_stock", KEEPER, quantity=50, idempotency_key=KEY, **args)
    assert await count_rows(db, ToolResult) == {"tool_results": 0}
    with pytest.raises(InsufficientStock):  # the same request again: tried again, refused again
        await shop("transfer_stock", KEEPER, quantity=50, idempotency_key=KEY, **args)
    await shop("adjust_stock", KEEPER, sku=DEN, warehouse_code="HCM", delta=40)
    moved = await shop("transfer_stock", KEEPER, quantity=50, idempotency_key=KEY, **args)
    assert moved == await shop("transfer_stock", KEEPER, quantity=50, idempotency_key=KEY, **args)


async def test_a_payment_recorded_twice_with_one_key_counts_once(
    shop: Caller, db: Database
) -> None:
    await setup(shop)
    order = await shop(
        "create_order",
        SALES,
        channel="phone",
        buyer_name="Lan",
        buyer_phone="0912345678",
        address=ADDRESS,
        payment_method="bank_transfer",
        lines=[{"sku": DEN, "quantity": 1}],
    )
    pay = {"order_id": order["id"], "amount": 50_000, "reference": "CK 123"}
    await shop("record_payment", SALES, idempotency_key=KEY, **pay)
    after = await shop("record_payment", SALES, idempotency_key=KEY, **pay)
    assert after["paid_amount"] == 50_000
    assert (await shop("get_order", order_id=order["id"]))["paid_amount"] == 50_000


async def test_concurrent_first_calls_with_one_key_receive_once(shop: Caller, db: Database) -> None:
    await setup(shop)
    po = await confirmed_po(shop)
    args = {"purchase_order_id": po["id"], "lines": [{"sku": DEN, "quantity": 3}]}
    results = await asyncio.gather(
        *(shop("receive_goods", KEEPER, idempotency_key=KEY, **args) for _ in range(5))
    )
    assert all(r == results[0] for r in results)
    assert await on_hand(shop) == 13
    assert await count_rows(db, GoodsReceipt) == {"goods_receipts": 1}
