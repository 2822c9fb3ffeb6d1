from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.errors import (
    Conflict,
    IllegalTransition,
    InsufficientStock,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from core.roles import Actor, Role
from core.text import fold
from storage.database import Database
from storage.models import OutboxEvent, StockLevel
from tests.conftest import Caller
from tests.factories import ADDRESS, ledger_mismatches, place_quote
from tests.seed import seed


async def levels(db: Database, variant_id: int) -> dict[int, tuple[int, int]]:
    async with db.transaction(write=False) as tx:
        rows = (
            await tx.session.execute(
                select(StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved).where(
                    StockLevel.variant_id == variant_id
                )
            )
        ).all()
    return {w: (oh, r) for w, oh, r in rows}


def order_args(**over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "channel": "phone",
        "buyer_name": "Nguyễn Văn A",
        "buyer_phone": "0912345678",
        "address": ADDRESS,
        "lines": [{"sku": "S", "quantity": 1}],
    }
    args.update(over)
    return args


async def test_create_order_reserves_in_main_warehouse_and_prices_with_vat(
    shop: Caller, db: Database
) -> None:
    s = await seed(
        db, {"S": {"HCM": 5, "HN": 5}, "M": {"HCM": 5}}, prices={"S": 110_000, "M": 220_000}
    )
    order = await shop(
        "create_order",
        **order_args(lines=[{"sku": "S", "quantity": 2}, {"sku": "M", "quantity": 1}]),
    )
    assert order["status"] == "new"
    assert order["number"] == f"DH{order['id']:06d}"
    assert {ln["warehouse_id"] for ln in order["lines"]} == {s.warehouses["HCM"]}
    # 440,000 of goods, VAT-inclusive at 10 %: VAT = round(440000 * 10 / 110) = 40,000.
    assert order["subtotal"] == 440_000
    assert order["vat_total"] == 40_000
    assert order["shipping_fee"] == 30_000  # below the free-shipping threshold
    assert order["total"] == 470_000
    assert order["cod_amount"] == 470_000
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (5, 2),
        s.warehouses["HN"]: (5, 0),
    }
    assert await ledger_mismatches(db) == []


async def test_order_split_by_line_when_no_single_warehouse_can_serve(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 1, "HN": 0}, "M": {"HCM": 0, "HN": 3}})
    order = await shop(
        "create_order",
        **order_args(lines=[{"sku": "S", "quantity": 1}, {"sku": "M", "quantity": 2}]),
    )
    where = {ln["sku"]: ln["warehouse_id"] for ln in order["lines"]}
    assert where == {"S": s.warehouses["HCM"], "M": s.warehouses["HN"]}


async def test_short_line_puts_order_awaiting_stock_with_suggestion(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 1}, "M": {"HCM": 4}})
    order = await shop(
        "create_order",
        **order_args(lines=[{"sku": "S", "quantity": 3}, {"sku": "M", "quantity": 1}]),
    )
    assert order["status"] == "awaiting_stock"
    assert order["purchase_suggestions"] == [
        {"variant_id": s.variants["S"], "sku": "S", "missing": 2}
    ]
    # The line that can be served keeps its stock; the short one holds nothing.
    assert await levels(db, s.variants["M"]) == {
        s.warehouses["HCM"]: (4, 1),
        s.warehouses["HN"]: (0, 0),
    }
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (1, 0),
        s.warehouses["HN"]: (0, 0),
    }


async def test_without_backorder_short_stock_is_refused_and_nothing_written(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 1}, "M": {"HCM": 4}})
    with pytest.raises(InsufficientStock) as err:
        await shop(
            "create_order",
            **order_args(
                backorder=False, lines=[{"sku": "M", "quantity": 1}, {"sku": "S", "quantity": 3}]
            ),
        )
    assert err.value.details["lines"] == [{"sku": "S", "requested": 3, "available": 1}]
    assert (await shop("list_orders"))["total_count"] == 0
    assert await levels(db, s.variants["M"]) == {
        s.warehouses["HCM"]: (4, 0),
        s.warehouses["HN"]: (0, 0),
    }


@pytest.mark.parametrize(
    ("over", "field", "error"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku", NotFound),
        ({"lines": [{"sku": "S", "quantity": 0}]}, "lines.0.quantity", InvalidInput),
        ({"lines": [{"sku": "S", "quantity": -2}]}, "lines.0.quantity", InvalidInput),
        ({"buyer_phone": "12345"}, "buyer_phone", InvalidInput),
        ({"lines": []}, "lines", InvalidInput),
        ({"discount": 10_000_000}, "discount", InvalidInput),
    ],
)
async def test_bad_input_is_refused_with_field(
    shop: Caller, db: Database, over: dict[str, Any], field: str, error: type[Exception]
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    with pytest.raises(error) as err:
        await shop("create_order", **order_args(**over))
    assert getattr(err.value, "field", None) == field
    assert (await shop("list_orders"))["total_count"] == 0


async def test_duplicate_external_id_is_refused_per_channel(shop: Caller, db: Database) -> None:
    await seed(db, {"S": {"HCM": 5}})
    await shop("create_order", **order_args(channel="shopee", external_id="2411ABC"))
    with pytest.raises(Conflict) as err:
        await shop("create_order", **order_args(channel="shopee", external_id="2411ABC"))
    assert err.value.code == "duplicate_external_id"
    await shop("create_order", **order_args(channel="lazada", external_id="2411ABC"))


async def test_full_lifecycle_consumes_stock_and_records_events(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args(lines=[{"sku": "S", "quantity": 2}]))
    for status in ("confirmed", "packing", "ready_to_ship", "shipping"):
        o = await shop("set_order_status", order_id=o["id"], status=status)
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (3, 0),
        s.warehouses["HN"]: (0, 0),
    }
    o = await shop("set_order_status", order_id=o["id"], status="delivered")
    assert o["payment_status"] == "paid"
    o = await shop("set_order_status", number=o["number"], status="completed")
    full = await shop("get_order", number=o["number"])
    assert [e["to_status"] for e in full["events"]] == [
        "new",
        "confirmed",
        "packing",
        "ready_to_ship",
        "shipping",
        "delivered",
        "completed",
    ]
    assert all(e["actor"] == "owner:1" for e in full["events"])
    assert await ledger_mismatches(db) == []


async def test_illegal_transition_is_refused(shop: Caller, db: Database) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    with pytest.raises(IllegalTransition) as err:
        await shop("set_order_status", order_id=o["id"], status="delivered")
    assert err.value.details["from"] == "new"
    assert (await shop("get_order", order_id=o["id"]))["status"] == "new"


async def test_cancel_releases_and_failed_delivery_restocks(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 5}})
    a = await shop("create_order", **order_args(lines=[{"sku": "S", "quantity": 2}]))
    await shop("cancel_order", order_id=a["id"], reason="khách đổi ý")
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (5, 0),
        s.warehouses["HN"]: (0, 0),
    }
    b = await shop("create_order", **order_args(lines=[{"sku": "S", "quantity": 1}]))
    for status in (
        "confirmed",
        "packing",
        "ready_to_ship",
        "shipping",
        "delivery_failed",
        "returned",
    ):
        await shop("set_order_status", order_id=b["id"], status=status)
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (5, 0),
        s.warehouses["HN"]: (0, 0),
    }
    with pytest.raises(IllegalTransition):
        await shop("cancel_order", order_id=b["id"])
    assert await ledger_mismatches(db) == []


async def test_update_order_lines_moves_reservations(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 5}, "M": {"HCM": 1}})
    o = await shop("create_order", **order_args(lines=[{"sku": "S", "quantity": 2}]))
    o = await shop(
        "update_order",
        order_id=o["id"],
        lines=[{"sku": "S", "quantity": 1}, {"sku": "M", "quantity": 1}],
        buyer_name="Trần Thị B",
    )
    assert o["buyer_name"] == "Trần Thị B"
    assert sorted((ln["sku"], ln["quantity"], ln["reserved"]) for ln in o["lines"]) == [
        ("M", 1, 1),
        ("S", 1, 1),
    ]
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (5, 1),
        s.warehouses["HN"]: (0, 0),
    }
    o = await shop("update_order", order_id=o["id"], lines=[{"sku": "M", "quantity": 3}])
    assert o["status"] == "awaiting_stock"
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (5, 0),
        s.warehouses["HN"]: (0, 0),
    }
    for status in ("confirmed",):
        with pytest.raises(InsufficientStock):
            await shop("set_order_status", order_id=o["id"], status=status)
    assert await ledger_mismatches(db) == []


async def test_shipped_order_cannot_be_edited(shop: Caller, db: Database) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    for status in ("confirmed", "packing"):
        await shop("set_order_status", order_id=o["id"], status=status)
    with pytest.raises(Conflict) as err:
        await shop("update_order", order_id=o["id"], note="x")
    assert err.value.code == "not_editable"


async def test_quote_holds_stock_until_place_order(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 2}}, customers=2)
    alice, bob = Actor.customer(s.customers[0]), Actor.customer(s.customers[1])
    q = await shop("quote_order", alice, lines=[{"sku": "S", "quantity": 2}])
    assert q["all_available"]
    assert q["total"] == 230_000
    # Bob cannot have the units Alice was quoted while her hold lasts.
    q_bob = await shop("quote_order", bob, lines=[{"sku": "S", "quantity": 1}])
    assert not q_bob["all_available"]
    assert q_bob["short"][0]["available"] == 0
    with pytest.raises(InsufficientStock):
        await shop(
            "place_order",
            bob,
            lines=[{"sku": "S", "quantity": 1}],
            buyer_name="Bob",
            buyer_phone="0987654321",
            address=ADDRESS,
        )
    order = await place_quote(shop, alice, q, buyer_phone="+84 912 345 678")
    assert order["customer_id"] == s.customers[0]
    assert order["buyer_phone"] == "+84912345678"
    assert order["total"] == q["total"]
    with pytest.raises(Conflict) as err:
        await place_quote(shop, alice, q)
    assert err.value.code == "quote_used"


async def test_expired_hold_stops_counting_without_any_job(
    shop: Caller, db: Database, config: Any
) -> None:
    s = await seed(db, {"S": {"HCM": 1}}, customers=2)
    alice, bob = Actor.customer(s.customers[0]), Actor.customer(s.customers[1])
    q = await shop("quote_order", alice, lines=[{"sku": "S", "quantity": 1}])
    async with db.transaction() as tx:  # let the hold run out
        from sqlalchemy import update

        from storage.models import Quote, StockHold

        past = tx.now - timedelta(minutes=1)
        await tx.session.execute(update(StockHold).values(expires_at=past))
        await tx.session.execute(update(Quote).values(expires_at=past))
    order = await shop(
        "place_order",
        bob,
        lines=[{"sku": "S", "quantity": 1}],
        buyer_name="Bob",
        buyer_phone="0987654321",
        address=ADDRESS,
    )
    assert order["status"] == "new"
    with pytest.raises(Conflict) as err:
        await place_quote(shop, alice, q, buyer_name="A")
    assert err.value.code == "quote_expired"


async def test_customer_sees_only_own_orders_and_no_staff_tools(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 5}}, customers=2)
    alice, bob = Actor.customer(s.customers[0]), Actor.customer(s.customers[1])
    mine = await shop(
        "place_order",
        alice,
        lines=[{"sku": "S", "quantity": 1}],
        buyer_name="Alice",
        buyer_phone="0912345678",
        address=ADDRESS,
    )
    with pytest.raises(NotFound):
        await shop("get_order", bob, order_id=mine["id"])
    with pytest.raises(PermissionDenied):  # naming another customer is refused
        await shop("list_orders", bob, customer_id=s.customers[0])
    assert (await shop("list_orders", bob))["orders"] == []
    assert [o["id"] for o in (await shop("list_orders", alice))["orders"]] == [mine["id"]]
    for name, args in (
        ("create_order", order_args()),
        ("set_order_status", {"order_id": mine["id"], "status": "confirmed"}),
        ("update_order", {"order_id": mine["id"], "note": "x"}),
    ):
        with pytest.raises(PermissionDenied):
            await shop(name, bob, **args)
    with pytest.raises(NotFound):
        await shop("cancel_order", bob, order_id=mine["id"])
    await shop("cancel_order", alice, order_id=mine["id"])


async def test_place_order_is_idempotent_by_key(shop: Caller, db: Database) -> None:
    s = await seed(db, {"S": {"HCM": 5}}, customers=1)
    alice = Actor.customer(s.customers[0])
    args = {
        "lines": [{"sku": "S", "quantity": 1}],
        "buyer_name": "Alice",
        "buyer_phone": "0912345678",
        "address": ADDRESS,
        "idempotency_key": "turn-42",
    }
    first = await shop("place_order", alice, **args)
    again = await shop("place_order", alice, **args)
    assert again["id"] == first["id"]
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (5, 1),
        s.warehouses["HN"]: (0, 0),
    }


async def test_state_changes_and_stock_changes_reach_the_outbox(shop: Caller, db: Database) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    await shop("cancel_order", order_id=o["id"])
    with pytest.raises(IllegalTransition):
        await shop("cancel_order", order_id=o["id"])  # rolled back: must leave no event
    async with db.transaction(write=False) as tx:
        topics = (
            (await tx.session.execute(select(OutboxEvent.topic).order_by(OutboxEvent.id)))
            .scalars()
            .all()
        )
    assert topics == ["stock.changed", "order.created", "order.status_changed", "stock.changed"]


async def test_receipt_of_stock_confirms_waiting_orders_first_come_first_served(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 0}})
    waiting = [
        (await shop("create_order", **order_args(lines=[{"sku": "S", "quantity": 1}])))["id"]
        for _ in range(3)
    ]
    from tools.config import ToolConfig
    from tools.context import ToolContext
    from tools.stock_ops import Move, apply_moves
    from tools.waiting import allocate_awaiting_orders

    async with db.transaction() as tx:
        ctx = ToolContext(tx=tx, actor=Actor.system(), config=ToolConfig())
        await apply_moves(
            ctx, [Move(s.variants["S"], s.warehouses["HCM"], d_on_hand=2, reason="receipt")]
        )
        done = await allocate_awaiting_orders(ctx, [s.variants["S"]])
    assert done == waiting[:2]
    statuses = [(await shop("get_order", order_id=i))["status"] for i in waiting]
    assert statuses == ["confirmed", "confirmed", "awaiting_stock"]


async def test_record_payment_until_paid_and_refuses_overpayment(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args(payment_method="bank_transfer"))
    assert (o["total"], o["cod_amount"]) == (130_000, 0)
    part = await shop("record_payment", order_id=o["id"], amount=40_000, reference="VCB 123")
    assert part["payment_status"] == "partially_paid"
    with pytest.raises(InvalidInput) as err:
        await shop("record_payment", order_id=o["id"], amount=90_001)
    assert err.value.details == {"owed": 90_000}
    paid = await shop("record_payment", order_id=o["id"], amount=90_000)
    assert paid["payment_status"] == "paid"
    history = (await shop("get_order", order_id=o["id"]))["events"]
    assert [e["note"] for e in history if e["kind"] == "payment"] == [
        "40000 đồng by bank_transfer (VCB 123)",
        "90000 đồng by bank_transfer",
    ]
    with pytest.raises(PermissionDenied):
        await shop("record_payment", Actor(role=Role.WAREHOUSE), order_id=o["id"], amount=1)


async def test_cod_order_paid_ahead_leaves_nothing_to_collect(shop: Caller, db: Database) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    assert o["cod_amount"] == 130_000
    paid = await shop("record_payment", order_id=o["id"], amount=130_000, method="bank_transfer")
    assert (paid["payment_status"], paid["cod_amount"]) == ("paid", 0)


async def test_editing_a_cod_order_paid_ahead_does_not_collect_the_payment_again(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    await shop("record_payment", order_id=o["id"], amount=50_000, method="bank_transfer")
    edited = await shop("update_order", order_id=o["id"], note="giao giờ hành chính")
    assert (edited["total"], edited["cod_amount"]) == (130_000, 80_000)
    assert edited["payment_status"] == "partially_paid"


async def test_adding_lines_to_a_paid_order_leaves_the_rest_owed(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args(payment_method="bank_transfer"))
    await shop("record_payment", order_id=o["id"], amount=130_000)
    edited = await shop("update_order", order_id=o["id"], lines=[{"sku": "S", "quantity": 2}])
    assert edited["total"] == 230_000
    assert edited["payment_status"] == "partially_paid"
    more = await shop("record_payment", order_id=o["id"], amount=100_000)
    assert more["payment_status"] == "paid"


async def test_delivered_order_goes_to_returned_only_through_a_return(
    shop: Caller, db: Database
) -> None:
    s = await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args(lines=[{"sku": "S", "quantity": 2}]))
    for status in ("confirmed", "packing", "ready_to_ship", "shipping", "delivered"):
        await shop("set_order_status", order_id=o["id"], status=status)
    with pytest.raises(IllegalTransition) as err:
        await shop("set_order_status", order_id=o["id"], status="returned")
    assert err.value.field == "status"
    assert (await shop("get_order", order_id=o["id"]))["status"] == "delivered"
    assert await levels(db, s.variants["S"]) == {
        s.warehouses["HCM"]: (3, 0),
        s.warehouses["HN"]: (0, 0),
    }


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"buyer_name": "x" * 201}, "buyer_name"),
        ({"note": "x" * 1001}, "note"),
        ({"buyer_phone": "0" * 300}, "buyer_phone"),
    ],
)
async def test_update_order_refuses_too_long_text_with_field(
    shop: Caller, db: Database, over: dict[str, Any], field: str
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    with pytest.raises(InvalidInput) as err:
        await shop("update_order", order_id=o["id"], **over)
    assert err.value.field == field
    assert (await shop("get_order", order_id=o["id"]))["buyer_name"] == "Nguyễn Văn A"


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        (
            "create_order",
            order_args(lines=[{"sku": "S", "quantity": 1, "unit_price": 3_000_000_000}]),
            "lines.0.unit_price",
        ),
        ("create_order", order_args(lines=[{"sku": "S", "quantity": 10_000}]), "lines"),
        ("create_order", order_args(shipping_fee=3_000_000_000), "shipping_fee"),
        (
            "create_order",
            order_args(shipping_fee=3_000_000_000, shipping_payer="seller"),
            "shipping_fee",
        ),
        ("update_order", {"shipping_fee": 3_000_000_000}, "shipping_fee"),
        ("update_order", {"lines": [{"sku": "S", "quantity": 10_000}]}, "lines"),
        ("quote_order", {"lines": [{"sku": "S", "quantity": 10_000}]}, "lines"),
    ],
)
async def test_amounts_too_large_to_store_are_refused_with_field(
    shop: Caller, db: Database, tool: str, args: dict[str, Any], field: str
) -> None:
    # 10,000 units at 300,000đ is 3 billion đồng: more than an order amount can hold.
    await seed(db, {"S": {"HCM": 5}}, prices={"S": 300_000})
    o = await shop("create_order", **order_args())
    if tool == "update_order":
        args = {"order_id": o["id"], **args}
    with pytest.raises(InvalidInput) as err:
        await shop(tool, **args)
    assert err.value.field == field
    assert (await shop("list_orders"))["total_count"] == 1
    assert (await shop("get_order", order_id=o["id"]))["total"] == 330_000


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("get_order", {"order_id": 2**63}, "order_id"),
        ("get_order", {"number": "DH" + "9" * 25}, "number"),
        ("cancel_order", {"order_id": 2**64}, "order_id"),
        ("list_orders", {"customer_id": 2**63}, "customer_id"),
        ("list_orders", {"offset": 2**63}, "offset"),
        ("create_order", order_args(customer_id=2**63), "customer_id"),
    ],
)
async def test_ids_beyond_what_the_database_holds_are_refused_with_field(
    shop: Caller, db: Database, tool: str, args: dict[str, Any], field: str
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    with pytest.raises((InvalidInput, NotFound)) as err:
        await shop(tool, **args)
    assert err.value.field == field


async def test_list_orders_reads_dates_without_a_timezone_as_shop_time(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    created = datetime.fromisoformat(o["created_at"])
    local = created.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    found = await shop(
        "list_orders",
        date_from=(local - timedelta(minutes=1)).isoformat(),
        date_to=(local + timedelta(minutes=1)).isoformat(),
    )
    assert [x["id"] for x in found["orders"]] == [o["id"]]
    # The same wall-clock window read as UTC would be seven hours off and find nothing.
    later = await shop("list_orders", date_from=(local + timedelta(minutes=1)).isoformat())
    assert later["orders"] == []


async def test_confirming_again_never_moves_an_order_back(shop: Caller, db: Database) -> None:
    """A second press of "Confirm" (two staff members, a retried request) leaves a confirmed
    order as it is and refuses to undo packing."""
    await seed(db, {"S": {"HCM": 5}})
    o = await shop("create_order", **order_args())
    await shop("confirm_order", order_id=o["id"])
    again = await shop("confirm_order", order_id=o["id"])
    assert again["status"] == "confirmed"
    await shop("set_order_status", order_id=o["id"], status="packing")
    with pytest.raises(IllegalTransition) as err:
        await shop("confirm_order", order_id=o["id"])
    assert err.value.field == "status"
    full = await shop("get_order", order_id=o["id"])
    assert full["status"] == "packing"
    assert [e["to_status"] for e in full["events"]] == ["new", "confirmed", "packing"]
    assert await ledger_mismatches(db) == []


async def test_warehouse_staff_cannot_cancel_through_set_order_status(
    shop: Caller, db: Database
) -> None:
    """Cancelling is a sales decision (cancel_order); the warehouse moves orders along."""
    await seed(db, {"S": {"HCM": 5}})
    keeper = Actor(role=Role.WAREHOUSE, staff_id=3)
    o = await shop("create_order", **order_args())
    await shop("set_order_status", keeper, order_id=o["id"], status="confirmed")
    with pytest.raises(PermissionDenied):
        await shop("set_order_status", keeper, order_id=o["id"], status="cancelled")
    assert (await shop("get_order", order_id=o["id"]))["status"] == "confirmed"
    await shop("set_order_status", order_id=o["id"], status="cancelled")  # the owner may


async def test_orders_are_found_by_name_without_accents_phone_or_number(
    shop: Caller, db: Database
) -> None:
    await seed(db, {"S": {"HCM": 50}})
    names = ["Trần Thị Hạnh", "Lê Văn Hành", "Nguyễn Hạnh Nhi", "Phạm Minh Khoa"] * 3
    made = [await shop("create_order", **order_args(buyer_name=n)) for n in names]
    await shop("update_order", order_id=made[-1]["id"], buyer_name="Đỗ Hạnh")

    def found(out: dict[str, Any]) -> list[str]:
        return [o["buyer_name"] for o in out["orders"]]

    page1 = await shop("list_orders", search="hanh", limit=4)
    page2 = await shop("list_orders", search="HẠNH", limit=4, offset=4)
    everyone = found(page1) + found(page2)
    # "hanh" is in Hạnh, Hành and Hạnh Nhi: three of each, plus the renamed order.
    assert page1["total_count"] == page2["total_count"] == 10
    assert len(everyone) == 8
    assert len({o["id"] for o in page1["orders"] + page2["orders"]}) == 8
    assert everyone[0] == "Đỗ Hạnh"  # newest first, under its new name
    assert all("hanh" in fold(n) for n in everyone)

    by_number = await shop("list_orders", search=made[3]["number"])
    assert [o["id"] for o in by_number["orders"]] == [made[3]["id"]]
    by_phone = await shop("list_orders", search="0912 345 678")
    assert by_phone["total_count"] == 12
    assert (await shop("list_orders", search="100%"))["total_count"] == 0  # not a wildcard


async def test_the_shops_shipping_rule_follows_edits_and_a_set_fee_stays(
    shop: Caller, db: Database
) -> None:
    """Flat 30,000đ, free from 500,000đ of goods (the default rule). A fee the shop's rule
    chose is chosen again when the lines change; a fee staff typed is kept."""
    await seed(db, {"S": {"HCM": 20}})
    ruled = await shop("create_order", **order_args())
    assert (ruled["shipping_fee"], ruled["total"]) == (30_000, 130_000)
    five = [{"sku": "S", "quantity": 5}]
    edited = await shop("update_order", order_id=ruled["id"], lines=five)
    assert (edited["shipping_fee"], edited["total"]) == (0, 500_000)
    edited = await shop("update_order", order_id=ruled["id"], discount=1)  # below 500,000 again
    assert (edited["shipping_fee"], edited["total"]) == (30_000, 529_999)
    assert edited["cod_amount"] == 529_999

    typed = await shop("create_order", **order_args(shipping_fee=15_000))
    edited = await shop("update_order", order_id=typed["id"], lines=five)
    assert (edited["shipping_fee"], edited["total"]) == (15_000, 515_000)

    await shop("update_order", order_id=ruled["id"], shipping_fee=20_000)
    edited = await shop("update_order", order_id=ruled["id"], lines=[{"sku": "S", "quantity": 1}])
    assert (edited["shipping_fee"], edited["total"]) == (20_000, 119_999)


async def test_shipping_the_seller_pays_is_kept_but_not_charged(shop: Caller, db: Database) -> None:
    await seed(db, {"S": {"HCM": 5}})
    made = await shop("create_order", **order_args(shipping_payer="seller"))
    assert (made["shipping_fee"], made["total"], made["cod_amount"]) == (30_000, 100_000, 100_000)
    got = await shop("get_order", order_id=made["id"])
    assert (got["shipping_fee"], got["total"]) == (made["shipping_fee"], made["total"])
    buyer = await shop("update_order", order_id=made["id"], shipping_payer="buyer")
    assert (buyer["shipping_fee"], buyer["total"]) == (30_000, 130_000)


async def test_a_replaced_quote_says_so_and_the_latest_one_places(
    shop: Caller, db: Database
) -> None:
    """The model (or an old button) using the quote before the customer's latest one is told
    a newer quote exists, not that an order was already placed."""
    s = await seed(db, {"S": {"HCM": 5}})
    alice = Actor.customer(s.customers[0])
    old = await shop("quote_order", alice, lines=[{"sku": "S", "quantity": 1}])
    new = await shop("quote_order", alice, lines=[{"sku": "S", "quantity": 2}])
    buyer = {"buyer_name": "Alice", "buyer_phone": "0912345678", "address": ADDRESS}
    with pytest.raises(Conflict) as err:
        await shop("place_order", alice, quote_token=old["quote_token"], **buyer)
    assert (err.value.code, err.value.field) == ("quote_superseded", "quote_token")
    placed = await shop("place_order", alice, quote_token=new["quote_token"], **buyer)
    assert placed["lines"][0]["quantity"] == 2
    with pytest.raises(Conflict) as err:
        await shop("place_order", alice, quote_token=new["quote_token"], **buyer)
    assert err.value.code == "quote_used"
