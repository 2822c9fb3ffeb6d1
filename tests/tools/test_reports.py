from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from core.errors import InvalidInput, PermissionDenied
from storage.database import Database
from storage.models import Order, ReturnRequest
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    KEEPER,
    SALES,
    delivered_order,
    in_tx,
    make_order,
    make_product,
    make_warehouses,
    receive_one_line,
    request_return,
    reserve_stock,
)
from tools.config import ToolConfig
from tools.context import ToolContext
from tools.registry import Registry
from tools.runner import ToolRunner

# ------------------------------------------------------------------------------- low stock


async def test_low_stock_report_per_warehouse(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        variants=[
            {
                "sku": "A",
                "options": {"Size": "S"},
                "reorder_point": 5,
                "stock": [
                    {"warehouse_code": "HCM", "quantity": 5},
                    {"warehouse_code": "HN", "quantity": 10},
                ],
            },
            {
                "sku": "B",
                "options": {"Size": "M"},
                "reorder_point": 3,
                "stock": [{"warehouse_code": "HCM", "quantity": 10}],
            },
            {"sku": "C", "options": {"Size": "L"}, "reorder_point": 0, "stock": []},
            {
                "sku": "D",
                "options": {"Size": "XL"},
                "reorder_point": 5,
                "stock": [
                    {"warehouse_code": "HCM", "quantity": 6},
                    {"warehouse_code": "HN", "quantity": 6},
                ],
            },
        ],
        stock={},
    )
    await reserve_stock(db, "B", "HCM", 8)  # 10 on hand, 2 available
    await shop("create_supplier", code="NCC01", name="Xưởng A")
    made = await shop(
        "create_purchase_order",
        supplier_code="NCC01",
        warehouse_code="HCM",
        lines=[{"sku": "A", "quantity": 4, "unit_cost": 1}],
    )
    await shop("confirm_purchase_order", purchase_order_id=made["id"])

    out = await shop("low_stock_report", SALES)
    got = {w["warehouse_code"]: {i["sku"]: i for i in w["items"]} for w in out["warehouses"]}
    assert list(got) == ["HCM", "HN"]
    assert list(got["HCM"]) == ["A", "B"]  # C has no reorder point, D has 6 > 5
    a, b = got["HCM"]["A"], got["HCM"]["B"]
    assert (a["on_hand"], a["reserved"], a["available"], a["reorder_point"]) == (5, 0, 5, 5)
    assert (a["on_order"], a["suggested_quantity"]) == (4, 1)  # 2 x 5 - 5 - 4
    assert (b["on_hand"], b["reserved"], b["available"], b["reorder_point"]) == (10, 8, 2, 3)
    assert b["suggested_quantity"] == 4  # 2 x 3 - 2
    assert b["name"] == "Áo thun cotton - M"
    assert list(got["HN"]) == ["B"]  # HN has no B at all; A (10) and D (6) are above 5
    assert out["total_items"] == 3
    only = await shop("low_stock_report", KEEPER, warehouse_code="hn")
    assert [w["warehouse_code"] for w in only["warehouses"]] == ["HN"]


# ------------------------------------------------------------------------------- sales


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def set_times(
    db: Database, orders: dict[int, datetime], refunds: dict[int, datetime] | None = None
) -> None:
    async def run(ctx: ToolContext) -> None:
        for oid, at in orders.items():
            await ctx.tx.session.execute(update(Order).where(Order.id == oid).values(created_at=at))
        for rid, at in (refunds or {}).items():
            await ctx.tx.session.execute(
                update(ReturnRequest).where(ReturnRequest.id == rid).values(refunded_at=at)
            )

    await in_tx(db, run)


async def sized_shop(shop: Caller, prices: dict[str, int]) -> None:
    """HCM, HN and a product with a Size variant per SKU at these prices, cost 60,000, 50 in HCM."""
    await make_warehouses(shop)
    await make_product(
        shop,
        variants=[{"sku": s, "options": {"Size": s}, "sale_price": p} for s, p in prices.items()],
        cost_price=60_000,
        stock={"HCM": 50},
    )


async def returned_and_refunded(shop: Caller, order: dict[str, Any], sku: str, qty: int) -> int:
    ret = await request_return(shop, order["id"], {sku: qty})
    await receive_one_line(shop, ret, good=qty)
    await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="cash")
    return int(ret["id"])


async def sales_fixture(shop: Caller, db: Database) -> None:
    """Known orders around 1-2 March 2026 (shop time UTC+7); prices VAT-inclusive at 10 %."""
    await sized_shop(shop, {"S": 110_000, "M": 220_000})
    # o1: 2 x S, phone, 1 Mar 10:00 local. Delivered; one S comes back and is refunded on
    # 2 Mar 09:00 local.
    o1 = await delivered_order(shop, {"S": 2})
    # o2: M + S, shopee, 33,000 off (22,000 + 11,000), shop pays 25,000 shipping; 23:30 local.
    o2 = await make_order(
        shop,
        {"M": 1, "S": 1},
        channel="shopee",
        discount=33_000,
        shipping_payer="seller",
        shipping_fee=25_000,
    )
    # o3: S, phone, 2 Mar 00:30 local = 1 Mar 17:30 UTC: a 2 March sale.
    o3 = await make_order(shop, {"S": 1})
    # o4: cancelled; o5: 28 Feb 23:59 local, outside; o6: returned in full (and refunded).
    o4 = await make_order(shop, {"M": 1}, upto=["cancelled"])
    o5 = await make_order(shop, {"S": 1})
    o6 = await delivered_order(shop, {"M": 1}, channel="zalo")
    r1 = await returned_and_refunded(shop, o1, "S", 1)
    r6 = await returned_and_refunded(shop, o6, "M", 1)
    await set_times(
        db,
        {
            o1["id"]: utc(2026, 3, 1, 3, 0),
            o2["id"]: utc(2026, 3, 1, 16, 30),
            o3["id"]: utc(2026, 3, 1, 17, 30),
            o4["id"]: utc(2026, 3, 1, 5, 0),
            o5["id"]: utc(2026, 2, 28, 16, 59),
            o6["id"]: utc(2026, 3, 1, 4, 0),
        },
        {r1: utc(2026, 3, 2, 2, 0), r6: utc(2026, 3, 2, 2, 0)},
    )


FIELDS = (
    "orders",
    "units",
    "gross",
    "discount",
    "vat",
    "net_revenue",
    "cost",
    "profit",
    "shipping_charged",
    "shipping_paid_by_shop",
    "refunds",
    "refunds_net",
    "returned_cost",
    "net_revenue_after_refunds",
    "profit_after_refunds",
)


def figures(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(row[f] for f in FIELDS)


async def test_sales_report_by_day_and_channel(shop: Caller, db: Database) -> None:
    await sales_fixture(shop, db)
    out = await shop("sales_report", ACCOUNTANT, date_from="2026-03-01", date_to="2026-03-02")
    assert out["timezone"] == "Asia/Ho_Chi_Minh"
    rows = {(r["day"], r["channel"]): figures(r) for r in out["rows"]}
    # Hand-computed. VAT inside a VAT-inclusive amount = amount x 10 / 110.
    assert rows == {
        # o1: 220,000 gross, VAT 20,000, net 200,000, cost 2 x 60,000, shipping 30,000 (buyer)
        ("2026-03-01", "phone"): (
            1,
            2,
            220_000,
            0,
            20_000,
            200_000,
            120_000,
            80_000,
            30_000,
            0,
            0,
            0,
            0,
            200_000,
            80_000,
        ),
        # o2: 198,000 + 99,000 gross, VAT 18,000 + 9,000, cost 120,000; shop paid 25,000 shipping
        ("2026-03-01", "shopee"): (
            1,
            2,
            297_000,
            33_000,
            27_000,
            270_000,
            120_000,
            150_000,
            0,
            25_000,
            0,
            0,
            0,
            270_000,
            150_000,
        ),
        # o3 (110,000 gross, VAT 10,000, cost 60,000), and o1's refund of one S: 110,000 back,
        # 100,000 of it net of VAT; the unit went back into stock, so its 60,000 cost returns.
        ("2026-03-02", "phone"): (
            1,
            1,
            110_000,
            0,
            10_000,
            100_000,
            60_000,
            40_000,
            30_000,
            0,
            110_000,
            100_000,
            60_000,
            0,
            0,
        ),
    }
    assert figures(out["total"]) == (
        3,
        5,
        627_000,
        33_000,
        57_000,
        570_000,
        300_000,
        270_000,
        60_000,
        25_000,
        110_000,
        100_000,
        60_000,
        470_000,
        230_000,
    )
    days = {d["day"]: d for d in out["days"]}
    assert (days["2026-03-01"]["orders"], days["2026-03-01"]["gross"]) == (2, 517_000)
    assert days["2026-03-02"]["profit_after_refunds"] == 0
    channels = {c["channel"]: c for c in out["channels"]}
    assert (channels["phone"]["orders"], channels["phone"]["net_revenue"]) == (2, 300_000)
    assert channels["shopee"]["profit"] == 150_000
    assert "zalo" not in channels  # the fully returned order and its refund are left out

    shopee = await shop(
        "sales_report", date_from="2026-03-01", date_to="2026-03-02", channel="shopee"
    )
    assert [r["channel"] for r in shopee["rows"]] == ["shopee"]
    assert shopee["total"]["gross"] == 297_000
    one_day = await shop("sales_report", date_from="2026-03-02", date_to="2026-03-02")
    assert figures(one_day["total"]) == rows[("2026-03-02", "phone")]


async def test_sales_report_days_follow_the_shop_timezone(
    db: Database, registry: Registry, shop: Caller
) -> None:
    await sales_fixture(shop, db)
    in_utc = ToolRunner(db, registry, ToolConfig(timezone="UTC"))
    out = (
        await in_utc.call(
            "sales_report", {"date_from": "2026-03-01", "date_to": "2026-03-01"}, ACCOUNTANT
        )
    ).model_dump(mode="json")
    # In UTC, o3 (17:30 UTC) is a 1 March sale and the refund (2 Mar 02:00 UTC) falls outside.
    rows = {r["channel"]: r for r in out["rows"]}
    assert (rows["phone"]["orders"], rows["phone"]["gross"], rows["phone"]["refunds"]) == (
        2,
        330_000,
        0,
    )
    assert out["total"]["orders"] == 3


async def test_sales_report_validates_its_range(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("sales_report", date_from="2026-03-02", date_to="2026-03-01")
    assert err.value.field == "date_to"
    with pytest.raises(InvalidInput) as err:
        await shop("sales_report", date_from="2025-01-01", date_to="2026-03-01")
    assert err.value.field == "date_to"
    with pytest.raises(InvalidInput) as err:
        await shop("sales_report", date_from="yesterday", date_to="2026-03-01")
    assert err.value.field == "date_from"
    with pytest.raises(PermissionDenied):
        await shop("sales_report", SALES, date_from="2026-03-01", date_to="2026-03-01")
    with pytest.raises(InvalidInput) as err:  # the last day there is: no day after it
        await shop("sales_report", date_from="9999-12-31", date_to="9999-12-31")
    assert err.value.field == "date_to"
    with pytest.raises(InvalidInput) as err:  # midnight in Vietnam is still the year 0 in UTC
        await shop("sales_report", date_from="0001-01-01", date_to="0001-01-02")
    assert err.value.field == "date_from"
    empty = await shop("sales_report", date_from="2026-03-01", date_to="2026-03-01")
    assert (empty["rows"], empty["total"]["orders"]) == ([], 0)
    assert date.fromisoformat(empty["date_from"]) == date(2026, 3, 1)


async def test_refunded_shipping_is_not_taken_off_revenue(shop: Caller, db: Database) -> None:
    await sized_shop(shop, {"S": 110_000})
    # 2 x S at 110,000 (VAT 10,000 each) + 30,000 shipping paid by the buyer: 250,000 (COD).
    order = await delivered_order(shop, {"S": 2})
    assert (order["total"], order["shipping_fee"]) == (250_000, 30_000)
    ret = await request_return(shop, order["id"], {"S": 1})
    await receive_one_line(shop, ret, good=1)
    # The unit (110,000) and the shipping (30,000) are refunded.
    await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="cash", amount=140_000)
    await set_times(db, {order["id"]: utc(2026, 3, 1, 3, 0)}, {ret["id"]: utc(2026, 3, 1, 4, 0)})
    out = await shop("sales_report", ACCOUNTANT, date_from="2026-03-01", date_to="2026-03-01")
    t = out["total"]
    assert (t["net_revenue"], t["profit"], t["shipping_charged"]) == (200_000, 80_000, 30_000)
    # Only the goods part, net of its VAT, comes off: 200,000 - (110,000 - 10,000).
    assert t["net_revenue_after_refunds"] == 100_000
    assert (t["refunds"], t["refunds_net"], t["refunds_shipping"]) == (140_000, 100_000, 30_000)
    assert t["profit_after_refunds"] == 40_000  # 80,000 - 100,000 + 60,000 restocked at cost


async def test_partial_refunds_and_unit_by_unit_refunds_in_the_sales_report(
    shop: Caller, db: Database
) -> None:
    await sized_shop(shop, {"S": 110_000, "L": 100_001})
    # S: a goodwill refund of half the unit's price, less than the goods: all goods, no shipping.
    o1 = await delivered_order(shop, {"S": 2})
    r1 = await request_return(shop, o1["id"], {"S": 1})
    await receive_one_line(shop, r1, damaged=1)
    await shop("refund_return", ACCOUNTANT, return_id=r1["id"], method="cash", amount=55_000)
    # L: 3 x 100,001 - 1 discount = 300,002 (VAT 27,273), no shipping; its 3 units come back
    # one at a time and their refunds add up to the line exactly. The S stays with the buyer.
    o2 = await delivered_order(shop, {"L": 3, "S": 1}, channel="zalo", discount=1, shipping_fee=0)
    assert [ln["line_total"] for ln in o2["lines"]] == [300_002, 110_000]
    rids = [await returned_and_refunded(shop, o2, "L", 1) for _ in range(3)]
    await set_times(
        db,
        {o1["id"]: utc(2026, 3, 1, 3, 0), o2["id"]: utc(2026, 3, 1, 3, 0)},
        {r1["id"]: utc(2026, 3, 1, 4, 0), **{r: utc(2026, 3, 1, 4, 0) for r in rids}},
    )
    out = await shop("sales_report", ACCOUNTANT, date_from="2026-03-01", date_to="2026-03-01")
    rows = {r["channel"]: r for r in out["rows"]}
    phone, zalo = rows["phone"], rows["zalo"]
    assert (phone["refunds"], phone["refunds_shipping"], phone["refunds_net"]) == (
        55_000,
        0,
        50_000,
    )
    assert phone["returned_cost"] == 0  # damaged: written off, not back in stock
    assert (zalo["gross"], zalo["vat"], zalo["net_revenue"]) == (410_002, 37_273, 372_729)
    assert (zalo["refunds"], zalo["refunds_shipping"], zalo["refunds_net"]) == (
        300_002,
        0,
        272_729,
    )
    assert zalo["net_revenue_after_refunds"] == 100_000  # the S kept: 110,000 - 10,000 VAT
    # 372,729 - 4 x 60,000 cost - 272,729 + 3 x 60,000 back in stock
    assert zalo["profit_after_refunds"] == 40_000


async def test_refunds_without_goods_take_revenue_back_and_bring_no_cost_back(
    shop: Caller, db: Database
) -> None:
    await sized_shop(shop, {"S": 110_000})

    async def refund_only(order: dict[str, Any], qty: int, why: str) -> dict[str, Any]:
        ret = await request_return(shop, order["id"], {"S": qty})
        await shop(
            "receive_return",
            KEEPER,
            return_id=ret["id"],
            nothing_came_back=True,
            no_goods_reason=why,
        )
        return await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="marketplace")

    # phone: 2 x S (VAT 10,000 each); the buyer keeps one and is refunded for it.
    o1 = await delivered_order(shop, {"S": 2})
    r1 = await refund_only(o1, 1, "buyer_keeps_item")
    # shopee: 1 x S, lost on its way back and refunded in full: the order stays a sale.
    o2 = await delivered_order(shop, {"S": 1}, channel="shopee")
    r2 = await refund_only(o2, 1, "lost_in_transit")
    assert (r1["refund_amount"], r2["refund_amount"]) == (110_000, 110_000)
    assert r2["order_status"] == "delivered"
    await set_times(
        db,
        {o1["id"]: utc(2026, 3, 1, 3, 0), o2["id"]: utc(2026, 3, 1, 3, 0)},
        {r1["id"]: utc(2026, 3, 1, 4, 0), r2["id"]: utc(2026, 3, 1, 4, 0)},
    )
    out = await shop("sales_report", ACCOUNTANT, date_from="2026-03-01", date_to="2026-03-01")
    rows = {r["channel"]: figures(r) for r in out["rows"]}
    assert rows == {
        # 220,000 gross, 20,000 VAT, cost 120,000; 110,000 refunded, 100,000 net of VAT comes
        # off; no cost comes back (nothing restocked): 80,000 - 100,000 = -20,000.
        "phone": (
            1,
            2,
            220_000,
            0,
            20_000,
            200_000,
            120_000,
            80_000,
            30_000,
            0,
            110_000,
            100_000,
            0,
            100_000,
            -20_000,
        ),
        # The whole sale refunded and the unit gone: no revenue left, its cost is the loss.
        "shopee": (
            1,
            1,
            110_000,
            0,
            10_000,
            100_000,
            60_000,
            40_000,
            30_000,
            0,
            110_000,
            100_000,
            0,
            0,
            -60_000,
        ),
    }
    assert out["total"]["refunds_shipping"] == 0
    assert out["total"]["profit_after_refunds"] == -80_000


async def test_sales_report_without_dates_covers_the_current_month_in_the_shops_timezone(
    shop: Caller,
) -> None:
    before = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    out = await shop("sales_report", ACCOUNTANT)
    after = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    first = date.fromisoformat(out["date_from"])
    last = date.fromisoformat(out["date_to"])
    assert first in {before.replace(day=1), after.replace(day=1)}
    assert first.day == 1
    assert (last.year, last.month) == (first.year, first.month)
    assert (last + timedelta(days=1)).day == 1  # the month's last day


async def test_sales_report_with_one_date_fills_in_that_month(shop: Caller) -> None:
    out = await shop("sales_report", ACCOUNTANT, date_from="2024-02-10")
    assert (out["date_from"], out["date_to"]) == ("2024-02-10", "2024-02-29")
    out = await shop("sales_report", ACCOUNTANT, date_to="2025-12-20")
    assert (out["date_from"], out["date_to"]) == ("2025-12-01", "2025-12-20")
