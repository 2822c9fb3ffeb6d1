"""storage.reports' aggregate rows are the same typed values on SQLite and PostgreSQL: sums
are int (PostgreSQL's SUM of bigint is numeric), times aware, options decoded."""

from __future__ import annotations

from datetime import timedelta

from storage import reports, returns
from storage.database import Database
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    delivered_order,
    make_order,
    make_product,
    make_warehouses,
    receive_one_line,
    request_return,
)


async def test_low_stock_rows_and_what_is_on_order(shop: Caller, db: Database) -> None:
    wh = await make_warehouses(shop)
    await make_product(
        shop,
        variants=[{"sku": "A", "options": {"Size": "S", "Màu": "Đỏ"}, "reorder_point": 5}],
        stock={"HCM": 5},
    )
    await shop("create_supplier", code="NCC01", name="Xưởng A")
    made = await shop(
        "create_purchase_order",
        supplier_code="NCC01",
        warehouse_code="HCM",
        lines=[{"sku": "A", "quantity": 4, "unit_cost": 1}],
    )
    await shop("confirm_purchase_order", purchase_order_id=made["id"])
    async with db.transaction(write=False) as tx:
        [row] = await reports.low_stock(tx, warehouse_code="HCM")
        assert (row.sku, row.on_hand, row.reserved, row.reorder_point) == ("A", 5, 0, 5)
        assert row.options == {"Size": "S", "Màu": "Đỏ"}
        every = await reports.low_stock(tx, warehouse_code=None)
        assert [(r.warehouse_code, r.on_hand) for r in every] == [("HCM", 5), ("HN", 0)]
        on_order = await reports.on_order(tx, [row.variant_id])
        assert on_order == {(row.variant_id, wh["HCM"]): 4}
        assert all(type(n) is int for n in on_order.values())
        assert await reports.on_order(tx, []) == {}


async def test_sales_and_refund_rows(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, variants=[{"sku": "S", "options": {"Size": "S"}}], stock={"HCM": 9})
    order = await delivered_order(shop, {"S": 2})
    await make_order(shop, {"S": 1}, channel="shopee")
    ret = await request_return(shop, order["id"], {"S": 1})
    await receive_one_line(shop, ret, good=1)
    await shop("refund_return", ACCOUNTANT, return_id=ret["id"], method="cash")
    async with db.transaction(write=False) as tx:
        start, end = tx.now - timedelta(hours=1), tx.now + timedelta(hours=1)
        sales = await reports.sales_by_order(tx, start, end, channel=None)
        assert sorted((s.channel, s.units) for s in sales) == [("phone", 2), ("shopee", 1)]
        for s in sales:
            assert s.created_at.tzinfo is not None
            figures = (s.units, s.gross, s.discount, s.vat, s.cost, s.shipping_fee)
            assert all(type(n) is int for n in figures)
            assert s.cost == 90_000 * s.units
        assert [
            s.channel for s in await reports.sales_by_order(tx, start, end, channel="zalo")
        ] == []

        [line] = await reports.refunded_lines(tx, start, end, channel=None)
        assert line.refunded_at.tzinfo is not None
        assert (line.claim.claimed, line.claim.restocked, line.ordered) == (1, 1, 2)
        assert await reports.refunded_lines(tx, start, end, channel="shopee") == []
        claims = await returns.claims_of_order_lines(tx, [line.order_line_id])
        assert [c.return_id for c in claims[line.order_line_id]] == [ret["id"]]
