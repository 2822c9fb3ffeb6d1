"""Stock that becomes available by any road goes to the orders waiting for it, oldest first,
in the same transaction: not only goods receipts, but adjustments, transfers, a cancelled
order's release and a failed delivery coming back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from core.roles import Actor
from storage.database import Database
from tests.conftest import Caller
from tests.factories import ADDRESS, KEEPER
from tests.seed import Seeded, seed
from tools.config import ToolConfig
from tools.context import ToolContext
from tools.stock_ops import Move, apply_moves


async def order(shop: Caller, quantity: int = 1) -> dict[str, Any]:
    return await shop(
        "create_order",
        channel="phone",
        buyer_name="Nguyễn Văn A",
        buyer_phone="0912345678",
        address=ADDRESS,
        lines=[{"sku": "S", "quantity": quantity}],
    )


async def statuses(shop: Caller, orders: list[dict[str, Any]]) -> list[str]:
    return [(await shop("get_order", order_id=o["id"]))["status"] for o in orders]


async def waiting(shop: Caller, db: Database, n: int, stock: int = 0) -> tuple[Seeded, list[Any]]:
    s = await seed(db, {"S": {"HCM": stock, "HN": 0}}, customers=0)
    made = [await order(shop) for _ in range(n)]
    return s, made


async def test_an_adjustment_up_confirms_the_oldest_waiting_orders(
    shop: Caller, db: Database
) -> None:
    _, made = await waiting(shop, db, 3)
    assert await statuses(shop, made) == ["awaiting_stock"] * 3
    await shop(
        "adjust_stock", KEEPER, sku="S", warehouse_code="HCM", delta=2, note="tìm thấy trong kho"
    )
    assert await statuses(shop, made) == ["confirmed", "confirmed", "awaiting_stock"]
    full = await shop("get_order", order_id=made[0]["id"])
    assert full["events"][-1]["to_status"] == "confirmed"
    assert full["lines"][0]["reserved"] == 1
    stock = (await shop("check_stock", sku="S"))["variants"][0]
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (2, 2, 0)


async def test_a_cancelled_order_releases_its_stock_to_a_waiting_one(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 1, "HN": 0}})
    first, second = await order(shop), await order(shop)
    assert await statuses(shop, [first, second]) == ["new", "awaiting_stock"]
    await shop("cancel_order", order_id=first["id"], reason="khách đổi ý")
    assert await statuses(shop, [first, second]) == ["cancelled", "confirmed"]


async def test_a_transfer_that_puts_a_line_in_one_warehouse_serves_it(
    shop: Caller, db: Database
) -> None:
    """A line is never split between warehouses: 1 + 1 units cannot serve a line of 2 until a
    transfer brings them together."""
    await seed(db, {"S": {"HCM": 1, "HN": 1}})
    big = await order(shop, quantity=2)
    assert await statuses(shop, [big]) == ["awaiting_stock"]
    await shop(
        "transfer_stock",
        KEEPER,
        sku="S",
        from_warehouse_code="HN",
        to_warehouse_code="HCM",
        quantity=1,
    )
    assert await statuses(shop, [big]) == ["confirmed"]


async def test_a_failed_delivery_coming_back_serves_a_waiting_order(
    shop: Caller, db: Database
) -> None:
    _, (sent,) = await waiting(shop, db, 1, stock=1)
    late = await order(shop)
    for status in ("confirmed", "packing", "ready_to_ship", "shipping", "delivery_failed"):
        await shop("set_order_status", order_id=sent["id"], status=status)
    assert await statuses(shop, [late]) == ["awaiting_stock"]
    await shop("set_order_status", order_id=sent["id"], status="returned")  # restocked
    assert await statuses(shop, [late]) == ["confirmed"]


async def test_only_moves_that_make_stock_available_count_as_freed(db: Database) -> None:
    """What the runner offers to waiting orders: a receipt or a release frees stock; shipping
    what was reserved, reserving or taking stock out frees none (so those calls never run the
    allocation)."""
    s = await seed(db, {"S": {"HCM": 5, "HN": 0}})
    v, hcm = s.variants["S"], s.warehouses["HCM"]
    cases = [
        (Move(v, hcm, d_reserved=2, reason="reservation"), False),
        (Move(v, hcm, d_on_hand=-1, d_reserved=-1, reason="shipment"), False),
        (Move(v, hcm, d_on_hand=-1, reason="damaged"), False),
        (Move(v, hcm, d_reserved=-1, reason="release"), True),
        (Move(v, hcm, d_on_hand=3, reason="receipt"), True),
    ]
    for move, frees in cases:
        async with db.transaction() as tx:
            ctx = ToolContext(tx=tx, actor=Actor.system(), config=ToolConfig())
            await apply_moves(ctx, [move])
            assert ctx.freed_variants == ({v} if frees else set()), move


async def test_a_partly_reserved_order_is_confirmed_when_its_missing_line_arrives(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"A": {"HCM": 5}, "B": {"HCM": 0}})
    both = await shop(
        "create_order",
        channel="phone",
        buyer_name="K",
        lines=[{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}],
    )
    assert both["status"] == "awaiting_stock"
    assert [ln["reserved"] for ln in both["lines"]] == [2, 0]
    later = await shop(
        "create_order", channel="phone", buyer_name="K", lines=[{"sku": "B", "quantity": 1}]
    )
    await shop("adjust_stock", KEEPER, sku="B", warehouse_code="HCM", delta=1)
    assert await statuses(shop, [both, later]) == ["confirmed", "awaiting_stock"]
    full = await shop("get_order", order_id=both["id"])
    assert [ln["reserved"] for ln in full["lines"]] == [2, 1]


async def test_an_early_order_too_big_for_the_stock_is_passed_over_for_one_that_fits(
    shop: Caller, db: Database
) -> None:
    await waiting(shop, db, 0)
    big, small, last = await order(shop, 3), await order(shop, 1), await order(shop, 1)
    await shop("adjust_stock", KEEPER, sku="S", warehouse_code="HCM", delta=1)
    assert await statuses(shop, [big, small, last]) == [
        "awaiting_stock",
        "confirmed",
        "awaiting_stock",
    ]
    await shop("adjust_stock", KEEPER, sku="S", warehouse_code="HCM", delta=3)
    assert await statuses(shop, [big, small, last]) == ["confirmed", "confirmed", "awaiting_stock"]


async def test_serving_one_freed_unit_does_the_same_work_for_2_or_60_waiting_orders(
    shop: Caller, db: Database
) -> None:
    """Waiting orders are reached through an index in placement order and serving stops when
    the freed stock is used up: the statements run for +1 do not grow with the queue."""
    await waiting(shop, db, 0)
    made = [await order(shop) for _ in range(2)]

    async def statements_for_one_unit() -> list[str]:
        seen: list[str] = []

        def record(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
            seen.append(statement.split()[0])

        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            await shop("adjust_stock", KEEPER, sku="S", warehouse_code="HCM", delta=1)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        return seen

    few = await statements_for_one_unit()
    made += [await order(shop) for _ in range(60)]
    many = await statements_for_one_unit()
    assert few == many
    got = await statuses(shop, made)
    assert got[:3] == ["confirmed", "confirmed", "awaiting_stock"]  # placement order
    assert got.count("confirmed") == 2
