from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.returns import line_refund, refund_vat
from core.roles import Actor
from storage.database import Database
from storage.models import (
    Order,
    ReturnLine,
    ReturnRequest,
    StockMove,
    StockWriteOff,
    Warehouse,
)
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    DELIVERY,
    DEN,
    KEEPER,
    SALES,
    TRANG,
    count_rows,
    delivered_order,
    in_tx,
    ledger_mismatches,
    make_order,
    make_product,
    make_stocked_shop,
    make_warehouses,
    outbox_payloads,
    receive_one_line,
    request_return,
    stock_level,
)
from tests.tools.returns_setup import line_id, new_customer
from tools.context import ToolContext

# ------------------------------------------------------------------------------- pure rules


def test_refund_rounding_and_vat_share() -> None:
    assert line_refund(440_000, 3, 1) == 146_667  # 146,666.67
    assert line_refund(440_000, 3, 2) == 293_333  # 293,333.33
    assert line_refund(5, 2, 1) == 3  # 2.5 -> half-up
    assert line_refund(440_000, 3, 0) == 0
    assert refund_vat(110_000, 110_000, 10_000) == 10_000
    assert refund_vat(55_000, 110_000, 10_000) == 5_000
    assert refund_vat(140_000, 110_000, 10_000) == 10_000  # shipping refunded too: no more VAT


# ------------------------------------------------------------------------------- create


async def test_only_delivered_or_completed_orders_take_returns(shop: Caller) -> None:
    await make_stocked_shop(shop)
    fresh = await make_order(shop, {DEN: 1})
    with pytest.raises(Conflict) as err:
        await request_return(shop, fresh["id"], {DEN: 1}, reason="đổi ý")
    assert (err.value.code, err.value.field) == ("order_not_returnable", "order_id")
    failed = await make_order(shop, {DEN: 1}, upto=[*DELIVERY[:4], "delivery_failed"])
    with pytest.raises(Conflict) as err:
        await request_return(shop, failed["id"], {DEN: 1})
    assert "setting the order to returned" in err.value.message
    done = await make_order(shop, {DEN: 1}, upto=[*DELIVERY, "completed"])
    ret = await shop(
        "create_return",
        SALES,
        order_number=done["number"],
        reason="lỗi đường may",
        lines=[{"sku": DEN, "quantity": 1}],
    )
    assert (ret["status"], ret["order_id"], ret["refund_status"]) == (
        "requested",
        done["id"],
        "pending",
    )
    assert ret["number"] == f"RT{ret['id']:05d}"
    with pytest.raises(NotFound):
        await request_return(shop, 9999, {DEN: 1})


async def test_return_quantities_cannot_exceed_what_was_shipped(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 3, TRANG: 1})
    first = await shop(
        "create_return",
        SALES,
        order_id=order["id"],
        reason="size nhỏ",
        lines=[{"order_line_id": line_id(order, DEN), "quantity": 2}],
    )
    assert [(ln["sku"], ln["quantity"]) for ln in first["lines"]] == [(DEN, 2)]
    before = await count_rows(db, ReturnRequest, ReturnLine)
    with pytest.raises(Conflict) as err:
        await request_return(shop, order["id"], {TRANG: 1, DEN: 2})
    assert (err.value.code, err.value.field) == ("return_exceeds_shipped", "lines.1.quantity")
    assert err.value.details == {"sku": DEN, "shipped": 3, "returnable": 1}
    assert await count_rows(db, ReturnRequest, ReturnLine) == before
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_return",
            SALES,
            order_id=order["id"],
            reason="x",
            lines=[
                {"sku": DEN, "quantity": 1},
                {"order_line_id": line_id(order, DEN), "quantity": 1},
            ],
        )
    assert (err.value.code, err.value.field) == ("duplicate_line", "lines.1")
    with pytest.raises(NotFound) as err:
        await request_return(shop, order["id"], {"QJ01-30": 1})
    assert err.value.field == "lines.0.sku"
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_return", SALES, order_id=order["id"], reason="x", lines=[{"quantity": 1}]
        )
    assert err.value.field == "lines.0.order_line_id"
    with pytest.raises(InvalidInput) as err:
        await request_return(shop, order["id"], {DEN: 1}, reason="")
    assert err.value.field == "reason"
    # A cancelled request frees its quantity again.
    await shop("cancel_return", SALES, return_id=first["id"], reason="khách giữ lại")
    again = await request_return(shop, order["id"], {DEN: 3, TRANG: 1})
    assert [ln["quantity"] for ln in again["lines"]] == [3, 1]
    [requested] = (await outbox_payloads(db, "return.requested"))[-1:]
    assert requested["return_id"] == again["id"]


async def test_customers_return_their_own_orders_only(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    mine, theirs = await new_customer(db, "Lan"), await new_customer(db, "Minh")
    order = await delivered_order(shop, {DEN: 2}, customer_id=mine)
    me, other = Actor.customer(mine), Actor.customer(theirs)
    ret = await shop(
        "create_return",
        me,
        order_id=order["id"],
        reason="không vừa",
        lines=[{"sku": DEN, "quantity": 1}],
    )
    assert ret["created_by"] == f"customer:{mine}"
    with pytest.raises(PermissionDenied):
        await shop(
            "create_return",
            other,
            order_id=order["id"],
            reason="x",
            lines=[{"sku": DEN, "quantity": 1}],
        )
    with pytest.raises(PermissionDenied):  # a missing order looks the same to a customer
        await shop(
            "create_return", other, order_id=9999, reason="x", lines=[{"sku": DEN, "quantity": 1}]
        )
    assert (await shop("get_return", me, return_id=ret["id"]))["id"] == ret["id"]
    with pytest.raises(PermissionDenied):
        await shop("get_return", other, return_id=ret["id"])
    assert [r["id"] for r in (await shop("list_returns", me))["returns"]] == [ret["id"]]
    assert (await shop("list_returns", other))["returns"] == []
    with pytest.raises(PermissionDenied):
        await shop(
            "receive_return",
            me,
            return_id=ret["id"],
            lines=[{"return_line_id": ret["lines"][0]["id"], "good": 1}],
        )
    with pytest.raises(PermissionDenied):
        await shop("cancel_return", other, return_id=ret["id"])
    assert (await shop("cancel_return", me, return_id=ret["id"]))["status"] == "cancelled"


# ------------------------------------------------------------------------------- receive


async def test_damaged_units_are_written_off_and_the_ledger_nets(
    shop: Caller, db: Database
) -> None:
    wh = await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 3}, discount=10_000)
    assert await stock_level(db, DEN, wh["HCM"]) == (7, 0)
    ret = await request_return(shop, order["id"], {DEN: 3}, reason="rách")
    rl = ret["lines"][0]["id"]
    with pytest.raises(InvalidInput) as err:
        await shop(
            "receive_return",
            KEEPER,
            return_id=ret["id"],
            lines=[{"return_line_id": rl, "good": 2, "damaged": 2}],
        )
    assert (err.value.code, err.value.field) == ("return_exceeds_requested", "lines.0.good")
    with pytest.raises(InvalidInput) as err:
        await shop(
            "receive_return",
            KEEPER,
            return_id=ret["id"],
            lines=[{"return_line_id": rl, "good": 0, "damaged": 0}],
        )
    assert err.value.code == "nothing_received"
    assert "nothing_came_back" in err.value.message  # names the refund-without-goods way
    with pytest.raises(InvalidInput) as err:  # saying explicitly that goods came back: the same
        await shop(
            "receive_return",
            KEEPER,
            return_id=ret["id"],
            nothing_came_back=False,
            lines=[{"return_line_id": rl, "good": 0, "damaged": 0}],
        )
    assert (err.value.code, err.value.field) == ("nothing_received", "lines")
    assert await count_rows(db, StockWriteOff) == {"stock_write_offs": 0}

    out = await shop(
        "receive_return",
        KEEPER,
        return_id=ret["id"],
        lines=[{"return_line_id": rl, "good": 1, "damaged": 1}],
    )
    assert out["status"] == "received"
    assert (out["lines"][0]["good"], out["lines"][0]["damaged"]) == (1, 1)
    assert out["lines"][0]["warehouse_code"] == "HCM"  # where the line shipped from
    # 2 of 3 came back; the line paid 3 x 150,000 - 10,000 = 440,000: 293,333.33 -> 293,333
    assert out["refund_value"] == 293_333
    assert out["order_status"] == "delivered"  # one unit is still with the buyer
    assert await stock_level(db, DEN, wh["HCM"]) == (8, 0)

    async def moves(ctx: ToolContext) -> list[tuple[str, int]]:
        rows = await ctx.tx.session.execute(
            select(StockMove.reason, StockMove.delta_on_hand)
            .where(StockMove.ref_type == "return")
            .order_by(StockMove.id)
        )
        return [(r[0], r[1]) for r in rows]

    assert await in_tx(db, moves) == [("return_restock", 2), ("damaged", -1)]

    async def write_offs(ctx: ToolContext) -> list[tuple[int, int, str | None, int | None]]:
        rows = await ctx.tx.session.execute(
            select(
                StockWriteOff.quantity,
                StockWriteOff.unit_cost,
                StockWriteOff.ref_type,
                StockWriteOff.ref_id,
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    assert await in_tx(db, write_offs) == [(1, 90_000, "return", ret["id"])]
    assert await ledger_mismatches(db) == []
    [event] = await outbox_payloads(db, "return.received")
    assert (event["order_returned"], event["lines"][0]["damaged"]) == (False, 1)
    with pytest.raises(Conflict) as err:
        await shop(
            "receive_return", KEEPER, return_id=ret["id"], lines=[{"return_line_id": rl, "good": 1}]
        )
    assert err.value.code == "return_not_open"
    # The unit not received can still be returned later.
    later = await request_return(shop, order["id"], {DEN: 1})
    assert later["lines"][0]["quantity"] == 1


async def test_lines_where_nothing_came_back_need_no_warehouse(shop: Caller, db: Database) -> None:
    wh = await make_warehouses(shop)
    # DEN is only in HCM and TRANG only in HN, so the order ships from both.
    await make_product(
        shop,
        variants=[
            {
                "sku": DEN,
                "options": {"Màu": "Đen"},
                "stock": [{"warehouse_code": "HCM", "quantity": 5}],
            },
            {
                "sku": TRANG,
                "options": {"Màu": "Trắng"},
                "stock": [{"warehouse_code": "HN", "quantity": 5}],
            },
        ],
        stock={},
    )
    order = await delivered_order(shop, {DEN: 1, TRANG: 1})
    assert {ln["sku"]: ln["warehouse_id"] for ln in order["lines"]} == {
        DEN: wh["HCM"],
        TRANG: wh["HN"],
    }
    both = await request_return(shop, order["id"], {DEN: 1, TRANG: 1})

    async def close_hn(ctx: ToolContext) -> None:
        await ctx.tx.session.execute(
            update(Warehouse).where(Warehouse.code == "HN").values(active=False)
        )

    await in_tx(db, close_hn)
    by_sku = {ln["sku"]: ln["id"] for ln in both["lines"]}
    # The TRANG unit never came back: HN being closed does not matter.
    out = await shop(
        "receive_return",
        KEEPER,
        return_id=both["id"],
        lines=[
            {"return_line_id": by_sku[DEN], "good": 1},
            {"return_line_id": by_sku[TRANG], "good": 0, "damaged": 0},
        ],
    )
    assert out["status"] == "received"
    got = {ln["sku"]: (ln["good"], ln["damaged"], ln["warehouse_code"]) for ln in out["lines"]}
    assert got == {DEN: (1, 0, "HCM"), TRANG: (0, 0, None)}
    assert await stock_level(db, DEN, wh["HCM"]) == (5, 0)
    assert await stock_level(db, TRANG, wh["HN"]) == (4, 0)
    assert await ledger_mismatches(db) == []

    # A return of which nothing at all came back is refused for that reason, not for a
    # warehouse: it is cancelled instead.
    nothing = await request_return(shop, order["id"], {TRANG: 1})
    with pytest.raises(InvalidInput) as err:
        await receive_one_line(shop, nothing)
    assert (err.value.code, err.value.field) == ("nothing_received", "lines")
    cancelled = await shop("cancel_return", SALES, return_id=nothing["id"], reason="thất lạc")
    assert cancelled["status"] == "cancelled"


async def test_order_becomes_returned_when_everything_is_back(shop: Caller, db: Database) -> None:
    wh = await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 2, TRANG: 1})
    first = await request_return(shop, order["id"], {DEN: 1})
    out = await receive_one_line(shop, first, good=1)
    assert out["order_status"] == "delivered"
    second = await request_return(shop, order["id"], {DEN: 1, TRANG: 1})
    out = await shop(
        "receive_return",
        KEEPER,
        return_id=second["id"],
        warehouse_code="hn",
        lines=[{"return_line_id": ln["id"], "good": 1} for ln in second["lines"]],
    )
    assert out["order_status"] == "returned"
    assert {ln["warehouse_code"] for ln in out["lines"]} == {"HN"}
    assert await stock_level(db, DEN, wh["HCM"]) == (9, 0)
    assert await stock_level(db, DEN, wh["HN"]) == (3, 0)
    assert await stock_level(db, TRANG, wh["HN"]) == (3, 0)
    got = await shop("get_order", order_id=order["id"])
    assert got["status"] == "returned"
    last = [e for e in got["events"] if e["kind"] == "status"][-1]
    assert (last["from_status"], last["to_status"]) == ("delivered", "returned")
    assert (await outbox_payloads(db, "return.received"))[-1]["order_returned"] is True
    assert await ledger_mismatches(db) == []


# ------------------------------------------------------------------------------- refund


async def test_refunds_default_to_paid_value_and_never_exceed_what_was_paid(
    shop: Caller, db: Database
) -> None:
    await make_stocked_shop(shop)
    # 3 x 150,000 - 10,000 discount = 440,000 goods + 30,000 shipping = 470,000 paid (COD).
    order = await delivered_order(shop, {DEN: 3}, discount=10_000)
    assert (order["total"], order["payment_status"]) == (470_000, "paid")
    first = await request_return(shop, order["id"], {DEN: 1})
    with pytest.raises(Conflict) as err:
        await shop("refund_return", ACCOUNTANT, return_id=first["id"], method="cash")
    assert err.value.code == "return_not_received"
    await receive_one_line(shop, first, good=1)
    with pytest.raises(PermissionDenied):
        await shop("refund_return", SALES, return_id=first["id"], method="cash")
    with pytest.raises(InvalidInput) as err:
        await shop("refund_return", ACCOUNTANT, return_id=first["id"], method="cheque")
    assert err.value.field == "method"
    out = await shop("refund_return", ACCOUNTANT, return_id=first["id"], method="bank_transfer")
    assert (out["refund_amount"], out["refund_status"], out["refund_method"]) == (
        146_667,
        "refunded",
        "bank_transfer",
    )
    assert out["order_payment_status"] == "partially_refunded"
    with pytest.raises(Conflict) as err:
        await shop("refund_return", ACCOUNTANT, return_id=first["id"], method="cash")
    assert err.value.code == "already_refunded"

    second = await request_return(shop, order["id"], {DEN: 2})
    await receive_one_line(shop, second, good=1, damaged=1)
    # 470,000 paid - 146,667 refunded = 323,333 left (shipping included if asked for).
    with pytest.raises(Conflict) as err:
        await shop(
            "refund_return", ACCOUNTANT, return_id=second["id"], method="cash", amount=323_334
        )
    assert (err.value.code, err.value.field) == ("refund_exceeds_paid", "amount")
    assert err.value.details["limit"] == 323_333
    pending = await shop("get_return", ACCOUNTANT, return_id=second["id"])
    assert (pending["refund_status"], pending["refund_amount"]) == ("pending", 0)
    assert pending["refund_value"] == 293_333
    assert pending["order_payment_status"] == "partially_refunded"
    out = await shop(
        "refund_return",
        ACCOUNTANT,
        return_id=second["id"],
        method="cash",
        amount=323_333,
        note="hoàn cả phí ship",
    )
    assert out["order_payment_status"] == "refunded"
    assert out["order_status"] == "returned"
    events = await outbox_payloads(db, "return.refunded")
    assert [(e["amount"], e["refunded_total"]) for e in events] == [
        (146_667, 146_667),
        (323_333, 470_000),
    ]
    got = await shop("get_order", order_id=order["id"])
    assert got["payment_status"] == "refunded"
    assert sum(1 for e in got["events"] if e["kind"] == "payment") == 2
    listed = await shop("list_returns", ACCOUNTANT, refund_status="refunded")
    assert [r["id"] for r in listed["returns"]] == [second["id"], first["id"]]


async def test_returning_a_line_a_unit_at_a_time_refunds_exactly_its_total(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 10}, sale_price=100_001, cost_price=60_000)
    # 3 x 100,001 - 1 discount = 300,002 for the line, no shipping: 300,002 paid (COD).
    order = await delivered_order(shop, {DEN: 3}, discount=1, shipping_fee=0)
    assert (order["total"], order["shipping_fee"], order["payment_status"]) == (300_002, 0, "paid")
    refunded = []
    for _ in range(3):
        ret = await request_return(shop, order["id"], {DEN: 1})
        await receive_one_line(shop, ret, good=1)
        out = await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="cash")
        refunded.append(out["refund_amount"])
        assert out["refund_value"] == out["refund_amount"]
    # Prorated on the units returned so far: 100,001 / 200,001 - 100,001 / 300,002 - 200,001.
    assert refunded == [100_001, 100_000, 100_001]
    assert sum(refunded) == 300_002
    assert out["order_payment_status"] == "refunded"
    assert out["order_status"] == "returned"
    events = await outbox_payloads(db, "return.refunded")
    assert events[-1]["refunded_total"] == 300_002
    # A return keeps its place: reading the first again shows the same value.
    listed = await shop("list_returns", ACCOUNTANT, order_id=order["id"])
    assert [r["refund_value"] for r in reversed(listed["returns"])] == [100_001, 100_000, 100_001]


async def test_open_returns_of_a_line_are_valued_in_turn(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 10}, sale_price=100_001, cost_price=60_000)
    order = await delivered_order(shop, {DEN: 3}, discount=1, shipping_fee=0)
    first = await request_return(shop, order["id"], {DEN: 2})
    second = await request_return(shop, order["id"], {DEN: 1})
    assert (first["refund_value"], second["refund_value"]) == (200_001, 100_001)
    # Only one unit of the first comes back: the second return now follows that one unit.
    await receive_one_line(shop, first, good=1)
    await receive_one_line(shop, second, damaged=1)
    got = await shop("get_return", ACCOUNTANT, return_id=second["id"])
    assert got["refund_value"] == 100_000  # 200,001 - 100,001
    third = await request_return(shop, order["id"], {DEN: 1})
    await receive_one_line(shop, third, good=1)
    amounts = [
        (await shop("refund_return", ACCOUNTANT, return_id=r["id"], method="cash"))["refund_amount"]
        for r in (third, first, second)  # refunded in any order
    ]
    assert amounts == [100_001, 100_001, 100_000]
    assert sum(amounts) == 300_002


async def test_refund_limit_uses_total_when_no_payment_was_recorded(shop: Caller) -> None:
    await make_stocked_shop(shop)
    # Bank transfer never recorded as paid: the order total is the ceiling.
    order = await delivered_order(shop, {DEN: 1}, payment_method="bank_transfer")
    assert order["payment_status"] == "unpaid"
    ret = await request_return(shop, order["id"], {DEN: 1})
    await receive_one_line(shop, ret, good=1)
    with pytest.raises(Conflict):
        await shop(
            "refund_return",
            ACCOUNTANT,
            return_id=ret["id"],
            method="bank_transfer",
            amount=order["total"] + 1,
        )
    out = await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="bank_transfer")
    assert out["refund_amount"] == 150_000
    assert out["order_payment_status"] == "partially_refunded"  # shipping not refunded


async def test_racing_return_requests_cannot_claim_more_than_was_shipped(
    shop: Caller, db: Database
) -> None:
    await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 3})

    async def ask() -> str:
        try:
            await request_return(shop, order["id"], {DEN: 2})
        except Conflict as exc:
            return exc.code
        return "ok"

    # Hold the order row so both requests are in flight before either can decide.
    async with db.transaction() as tx:
        await tx.session.execute(select(Order.id).where(Order.id == order["id"]).with_for_update())
        racers = [asyncio.create_task(ask()) for _ in range(2)]
        await asyncio.sleep(0.3)
    assert sorted(await asyncio.gather(*racers)) == ["ok", "return_exceeds_shipped"]


async def test_ids_too_large_for_a_64_bit_key_are_refused_naming_the_field(
    shop: Caller,
) -> None:
    await make_stocked_shop(shop)
    big = 2**63
    one = [{"order_line_id": 1, "quantity": 1}]
    for name, args, field in [
        ("get_return", {"return_id": big}, "return_id"),
        ("cancel_return", {"return_id": big}, "return_id"),
        ("refund_return", {"return_id": big, "method": "cash"}, "return_id"),
        ("list_returns", {"order_id": big}, "order_id"),
        (
            "receive_return",
            {"return_id": 1, "lines": [{"return_line_id": big, "good": 1}]},
            "lines.0.return_line_id",
        ),
        ("create_return", {"order_id": big, "reason": "x", "lines": one}, "order_id"),
        (
            "create_return",
            {"order_id": 1, "reason": "x", "lines": [{"order_line_id": big, "quantity": 1}]},
            "lines.0.order_line_id",
        ),
        (
            "create_return",
            {"order_number": "9" * 20, "reason": "x", "lines": one},
            "order_number",
        ),
    ]:
        with pytest.raises(InvalidInput) as err:
            await shop(name, **args)
        assert err.value.field == field, name
