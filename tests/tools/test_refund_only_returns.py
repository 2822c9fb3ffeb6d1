"""Returns where nothing came back (lost in transit, the buyer keeps the item, a marketplace
ruling): refunded without goods, with the flag, a reason and no stock moved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor
from storage.database import Database
from storage.models import (
    OutboxEvent,
    StockMove,
    StockWriteOff,
)
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    DEN,
    KEEPER,
    SALES,
    TRANG,
    count_rows,
    delivered_order,
    in_tx,
    ledger_mismatches,
    make_stocked_shop,
    outbox_payloads,
    receive_one_line,
    request_return,
    stock_level,
)
from tests.tools.returns_setup import new_customer
from tools.context import ToolContext

# ------------------------------------------------------------------------------- refund only


async def return_moves(db: Database) -> list[tuple[str, int]]:
    async def run(ctx: ToolContext) -> list[tuple[str, int]]:
        rows = await ctx.tx.session.execute(
            select(StockMove.reason, StockMove.delta_on_hand)
            .where(StockMove.ref_type == "return")
            .order_by(StockMove.id)
        )
        return [(r[0], r[1]) for r in rows]

    return await in_tx(db, run)


async def nothing_came_back(
    shop: Caller, ret: dict[str, Any], reason: str = "lost_in_transit", **args: Any
) -> dict[str, Any]:
    """The warehouse records that none of the return's goods will come back."""
    return await shop(
        "receive_return",
        KEEPER,
        return_id=ret["id"],
        nothing_came_back=True,
        no_goods_reason=reason,
        **args,
    )


async def test_a_refund_only_return_is_refunded_without_goods_and_moves_no_stock(
    shop: Caller, db: Database
) -> None:
    wh = await make_stocked_shop(shop)
    # 3 x 150,000 - 10,000 discount = 440,000 goods + 30,000 shipping = 470,000 paid (COD).
    order = await delivered_order(shop, {DEN: 3}, discount=10_000)
    assert await stock_level(db, DEN, wh["HCM"]) == (7, 0)
    ret = await request_return(shop, order["id"], {DEN: 2}, reason="GHN làm mất hàng hoàn")
    out = await nothing_came_back(shop, ret, note="mã vận đơn GHN123\nđã khiếu nại")
    assert (out["status"], out["nothing_came_back"], out["no_goods_reason"]) == (
        "refund_only",
        True,
        "lost_in_transit",
    )
    assert out["received_at"] is not None
    assert out["reason"].endswith(
        "Nothing came back (lost_in_transit): mã vận đơn GHN123 đã khiếu nại"
    )
    assert [
        (ln["quantity"], ln["good"], ln["damaged"], ln["warehouse_code"]) for ln in out["lines"]
    ] == [(2, 0, 0, None)]
    # The 2 units kept by the carrier are worth 2/3 of the line: 293,333.33 -> 293,333.
    assert out["refund_value"] == 293_333
    assert out["order_status"] == "delivered"  # the goods did not come back
    # Nothing restocked, nothing written off, no ledger row, the stock invariant holds.
    assert await stock_level(db, DEN, wh["HCM"]) == (7, 0)
    assert await return_moves(db) == []
    assert await count_rows(db, StockWriteOff) == {"stock_write_offs": 0}
    assert await ledger_mismatches(db) == []
    [event] = await outbox_payloads(db, "return.received")
    assert (event["nothing_came_back"], event["no_goods_reason"], event["order_returned"]) == (
        True,
        "lost_in_transit",
        False,
    )
    assert [(x["good"], x["damaged"], x["warehouse_code"]) for x in event["lines"]] == [
        (0, 0, None)
    ]
    history = await shop("get_order", order_id=order["id"])
    assert any(
        "nothing came back (lost_in_transit)" in e["note"] and ret["number"] in e["note"]
        for e in history["events"]
        if e["kind"] == "return"
    )
    assert history["status"] == "delivered"

    # Accounting refunds it like any return: the default is the refund value.
    refunded = await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="marketplace")
    assert (refunded["refund_amount"], refunded["refund_status"]) == (293_333, "refunded")
    assert refunded["order_payment_status"] == "partially_refunded"
    assert refunded["status"] == "refund_only"
    [paid] = await outbox_payloads(db, "return.refunded")
    assert (paid["amount"], paid["nothing_came_back"], paid["no_goods_reason"]) == (
        293_333,
        True,
        "lost_in_transit",
    )
    history = await shop("get_order", order_id=order["id"])
    [payment] = [e for e in history["events"] if e["kind"] == "payment"]
    assert "without goods" in payment["note"]
    listed = await shop("list_returns", ACCOUNTANT, status="refund_only")
    assert [r["id"] for r in listed["returns"]] == [ret["id"]]

    # The 2 units count as returned: they cannot be claimed again, only the third can.
    with pytest.raises(Conflict) as err:
        await request_return(shop, order["id"], {DEN: 2})
    assert err.value.code == "return_exceeds_shipped"
    assert err.value.details == {"sku": DEN, "shipped": 3, "returnable": 1}
    last = await request_return(shop, order["id"], {DEN: 1})
    await receive_one_line(shop, last, good=1)
    got = await shop("get_return", ACCOUNTANT, return_id=last["id"])
    assert got["order_status"] == "delivered"  # only one of three units came back
    assert await stock_level(db, DEN, wh["HCM"]) == (8, 0)
    third = await shop("refund_return", ACCOUNTANT, return_id=last["id"], method="cash")
    assert third["refund_amount"] == 146_667  # 440,000 - 293,333: the line adds up exactly
    assert third["nothing_came_back"] is False
    assert await ledger_mismatches(db) == []
    # A settled return stays settled.
    with pytest.raises(Conflict) as err:
        await nothing_came_back(shop, ret)
    assert err.value.code == "return_not_open"
    with pytest.raises(Conflict) as err:
        await shop("cancel_return", SALES, return_id=ret["id"])
    assert err.value.code == "return_not_open"
    with pytest.raises(Conflict) as err:
        await request_return(shop, order["id"], {DEN: 1})
    assert err.value.details["returnable"] == 0


async def test_nothing_came_back_needs_the_flag_a_reason_and_no_goods(
    shop: Caller, db: Database
) -> None:
    await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 1, TRANG: 1})
    ret = await request_return(shop, order["id"], {DEN: 1, TRANG: 1})
    rl = [ln["id"] for ln in ret["lines"]]
    before = await count_rows(db, StockMove, StockWriteOff, OutboxEvent)
    refused: list[tuple[dict[str, Any], str, str]] = [
        # An all-zero receipt, or none, without the flag is a mistake, refused as before.
        (
            {"lines": [{"return_line_id": rl[0]}, {"return_line_id": rl[1]}]},
            "lines",
            "nothing_received",
        ),
        ({}, "lines", "nothing_received"),
        (
            {"no_goods_reason": "lost_in_transit"},
            "no_goods_reason",
            "no_goods_reason_without_nothing_came_back",
        ),
        (
            {
                "no_goods_reason": "buyer_keeps_item",
                "lines": [{"return_line_id": rl[0], "good": 1}],
            },
            "no_goods_reason",
            "no_goods_reason_without_nothing_came_back",
        ),
        # The flag needs a reason, a note for "other", no warehouse and no goods.
        ({"nothing_came_back": True}, "no_goods_reason", "no_goods_reason_required"),
        (
            {"nothing_came_back": True, "no_goods_reason": "other", "note": "  "},
            "note",
            "note_required",
        ),
        (
            {
                "nothing_came_back": True,
                "no_goods_reason": "lost_in_transit",
                "warehouse_code": "HCM",
            },
            "warehouse_code",
            "no_goods_no_warehouse",
        ),
        (
            {
                "nothing_came_back": True,
                "no_goods_reason": "lost_in_transit",
                "lines": [{"return_line_id": rl[0]}, {"return_line_id": rl[1], "damaged": 1}],
            },
            "lines.1.damaged",
            "goods_came_back",
        ),
        (
            {
                "nothing_came_back": True,
                "no_goods_reason": "lost_in_transit",
                "lines": [{"return_line_id": rl[0]}, {"return_line_id": rl[0]}],
            },
            "lines.1.return_line_id",
            "duplicate_line",
        ),
    ]
    for args, field, code in refused:
        with pytest.raises(InvalidInput) as err:
            await shop("receive_return", KEEPER, return_id=ret["id"], **args)
        assert (err.value.field, err.value.code) == (field, code), args
    with pytest.raises(InvalidInput) as err:  # only the known reasons
        await nothing_came_back(shop, ret, reason="stolen")
    assert err.value.field == "no_goods_reason"
    with pytest.raises(NotFound) as err:
        await nothing_came_back(shop, ret, lines=[{"return_line_id": 2**40}])
    assert err.value.field == "lines.0.return_line_id"
    assert await count_rows(db, StockMove, StockWriteOff, OutboxEvent) == before
    assert (await shop("get_return", return_id=ret["id"]))["status"] == "requested"

    # Lines listed with nothing on them are accepted with the flag; "other" says why in the note.
    out = await nothing_came_back(
        shop,
        ret,
        reason="other",
        note="khách tặng lại cho người thân",
        lines=[{"return_line_id": rl[0], "good": 0, "damaged": 0}],
    )
    assert (out["status"], out["no_goods_reason"]) == ("refund_only", "other")
    assert {ln["sku"]: ln["quantity"] for ln in out["lines"]} == {DEN: 1, TRANG: 1}
    assert out["refund_value"] == 300_000
    # Every unit is accounted for, none came back: the order is not returned.
    assert out["order_status"] == "delivered"
    refunded = await shop("refund_return", ACCOUNTANT, return_id=out["id"], method="cash")
    assert refunded["refund_amount"] == 300_000
    assert refunded["order_payment_status"] == "partially_refunded"  # shipping not refunded
    assert await ledger_mismatches(db) == []


async def test_a_customer_reason_cannot_pass_for_a_refund_only_mark(shop: Caller) -> None:
    await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 2})
    ret = await request_return(
        shop, order["id"], {DEN: 1}, reason="Nothing came back (marketplace_ruling)"
    )
    assert (ret["nothing_came_back"], ret["no_goods_reason"]) == (False, None)
    await receive_one_line(shop, ret, good=1)
    got = await shop("get_return", return_id=ret["id"])
    assert (got["status"], got["nothing_came_back"], got["no_goods_reason"]) == (
        "received",
        False,
        None,
    )


async def test_who_may_settle_a_return_without_goods(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    buyer = await new_customer(db, "Lan")
    order = await delivered_order(shop, {DEN: 2}, customer_id=buyer)
    ret = await request_return(shop, order["id"], {DEN: 1})
    # Recording it is receive_return's (warehouse, managers, owner); refunding, accounting's.
    for actor in (SALES, ACCOUNTANT, Actor.customer(buyer)):
        with pytest.raises(PermissionDenied):
            await shop(
                "receive_return",
                actor,
                return_id=ret["id"],
                nothing_came_back=True,
                no_goods_reason="buyer_keeps_item",
            )
    out = await nothing_came_back(shop, ret, reason="buyer_keeps_item")
    assert out["status"] == "refund_only"
    for actor in (SALES, KEEPER, Actor.customer(buyer)):
        with pytest.raises(PermissionDenied):
            await shop("refund_return", actor, return_id=ret["id"], method="cash")
    refunded = await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="cash")
    assert refunded["refund_amount"] == 150_000
    # The owner may record one too (as with any receipt).
    other = await request_return(shop, order["id"], {DEN: 1})
    got = await shop(
        "receive_return",
        return_id=other["id"],
        nothing_came_back=True,
        no_goods_reason="marketplace_ruling",
    )
    assert got["no_goods_reason"] == "marketplace_ruling"
    mine = await shop("get_return", Actor.customer(buyer), return_id=got["id"])
    assert mine["nothing_came_back"] is True
