from __future__ import annotations

import pytest
from sqlalchemy import select

from core.costing import weighted_average_cost
from core.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from core.replenishment import suggested_quantity
from storage.database import Database
from storage.models import (
    PurchaseOrderLine,
)
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    DEN,
    KEEPER,
    SALES,
    TRANG,
    in_tx,
    ledger_mismatches,
    make_order,
    make_product,
    make_warehouses,
    outbox_payloads,
)
from tests.tools.purchases import po, setup
from tools.context import ToolContext

# ------------------------------------------------------------------------------- pure rules


def test_weighted_average_cost_rounds_half_up_to_the_dong() -> None:
    assert weighted_average_cost(12, 90_000, 4, 100_002) == 92_501  # 92,500.5
    assert weighted_average_cost(1, 1, 2, 2) == 2  # 5/3 = 1.67
    assert weighted_average_cost(0, 90_000, 5, 70_000) == 70_000  # nothing on hand: new cost
    assert weighted_average_cost(10, 90_000, 0, 1) == 90_000


def test_suggested_quantity_covers_waiting_orders_then_refills() -> None:
    assert suggested_quantity(1, 2) == 3  # back up to 2 x 2
    assert suggested_quantity(0, 2, awaiting=3) == 7
    assert suggested_quantity(0, 2, awaiting=3, on_order=5) == 2
    assert suggested_quantity(10, 2, on_order=0) == 0


# ------------------------------------------------------------------------------- suppliers


async def test_create_and_list_suppliers(shop: Caller) -> None:
    made = await shop(
        "create_supplier",
        ACCOUNTANT,
        code="ncc02",
        name=" Công ty Dệt Phong Phú ",
        contact_name="Chị Lan",
        phone="84-912-345-679",
        email="Sales@PhongPhu.vn",
        tax_code="0300588569",
        address="Q.9, TP HCM",
    )
    assert made["code"] == "NCC02"
    assert made["name"] == "Công ty Dệt Phong Phú"
    assert made["phone"] == "+84912345679"
    assert made["email"] == "sales@phongphu.vn"
    assert made["tax_code"] == "0300588569"
    await shop("create_supplier", code="NCC01", name="Xưởng may Bình Tân")
    listed = await shop("list_suppliers", KEEPER)
    assert [s["code"] for s in listed["suppliers"]] == ["NCC01", "NCC02"]
    found = await shop("list_suppliers", search="phong")
    assert [s["code"] for s in found["suppliers"]] == ["NCC02"]


async def test_supplier_refusals_name_the_field(shop: Caller) -> None:
    await shop("create_supplier", code="NCC01", name="A")
    with pytest.raises(Conflict) as err:
        await shop("create_supplier", code="ncc01", name="B")
    assert (err.value.field, err.value.code) == ("code", "duplicate_code")
    with pytest.raises(InvalidInput) as err:
        await shop("create_supplier", code="X1", name="X", tax_code="0300588560")
    assert (err.value.field, err.value.code) == ("tax_code", "invalid_tax_code")
    with pytest.raises(InvalidInput) as err:
        await shop("create_supplier", code="X2", name="X", phone="12")
    assert err.value.field == "phone"
    with pytest.raises(InvalidInput) as err:
        await shop("create_supplier", code="X3", name="X", email="not-an-email")
    assert err.value.field == "email"
    with pytest.raises(PermissionDenied):
        await shop("create_supplier", KEEPER, code="X4", name="X")


async def test_blank_supplier_code_is_refused(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("create_supplier", code="   ", name="Xưởng may")
    assert err.value.field == "code"
    assert (await shop("list_suppliers"))["suppliers"] == []


# ------------------------------------------------------------------------------- purchase orders


async def test_purchase_order_is_drafted_then_confirmed_with_an_event(
    shop: Caller, db: Database
) -> None:
    await setup(shop)
    draft = await po(shop, [(DEN, 10, 80_000), (TRANG, 5, 85_000)], confirm=False)
    assert draft["status"] == "draft"
    assert draft["number"] == f"PO{draft['id']:05d}"
    assert draft["supplier_code"] == "NCC01"
    assert draft["warehouse_code"] == "HCM"
    assert draft["total_cost"] == 10 * 80_000 + 5 * 85_000
    assert [
        (ln["sku"], ln["ordered"], ln["received"], ln["remaining"]) for ln in draft["lines"]
    ] == [(DEN, 10, 0, 10), (TRANG, 5, 0, 5)]
    assert await outbox_payloads(db, "purchase_order.confirmed") == []
    confirmed = await shop("confirm_purchase_order", purchase_order_id=draft["id"])
    assert confirmed["status"] == "confirmed"
    [event] = await outbox_payloads(db, "purchase_order.confirmed")
    assert event["purchase_order_id"] == draft["id"]
    assert event["total_cost"] == 1_225_000
    with pytest.raises(IllegalTransition):
        await shop("confirm_purchase_order", purchase_order_id=draft["id"])
    listed = await shop("list_purchase_orders", KEEPER, open_only=True)
    assert [p["id"] for p in listed["purchase_orders"]] == [draft["id"]]


async def test_list_purchase_orders_totals_a_po_worth_billions(shop: Caller) -> None:
    # 1,000 phones at 3,000,000đ: 3 billion đồng, beyond a 32-bit integer.
    await setup(shop)
    made = await po(shop, [(DEN, 1_000, 3_000_000)])
    assert made["total_cost"] == 3_000_000_000
    [listed] = (await shop("list_purchase_orders", ACCOUNTANT))["purchase_orders"]
    assert (listed["id"], listed["total_cost"]) == (made["id"], 3_000_000_000)


async def test_supplier_by_id_and_bad_purchase_orders(shop: Caller) -> None:
    await setup(shop)
    [sup] = (await shop("list_suppliers"))["suppliers"]
    made = await shop(
        "create_purchase_order",
        supplier_id=sup["id"],
        warehouse_code="hn",
        lines=[{"sku": DEN, "quantity": 1, "unit_cost": 0}],
    )
    assert made["warehouse_code"] == "HN"
    line = {"sku": DEN, "quantity": 1, "unit_cost": 1}
    with pytest.raises(InvalidInput) as err:  # duplicate SKUs are refused, not merged
        await shop(
            "create_purchase_order",
            supplier_code="NCC01",
            warehouse_code="HCM",
            lines=[line, {"sku": TRANG, "quantity": 1, "unit_cost": 1}, line],
        )
    assert (err.value.field, err.value.code) == ("lines.2.sku", "duplicate_sku")
    with pytest.raises(NotFound) as err:
        await shop(
            "create_purchase_order",
            supplier_code="NCC01",
            warehouse_code="HCM",
            lines=[line, {"sku": "NOPE", "quantity": 1, "unit_cost": 1}],
        )
    assert err.value.field == "lines.1.sku"
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_purchase_order",
            supplier_code="NCC01",
            warehouse_code="HCM",
            lines=[{"sku": DEN, "quantity": 0, "unit_cost": 1}],
        )
    assert err.value.field == "lines.0.quantity"
    with pytest.raises(InvalidInput) as err:
        await shop("create_purchase_order", warehouse_code="HCM", lines=[line])
    assert err.value.field == "supplier_code"
    with pytest.raises(NotFound) as err:
        await shop(
            "create_purchase_order", supplier_code="NCC99", warehouse_code="HCM", lines=[line]
        )
    assert err.value.field == "supplier_code"
    with pytest.raises(PermissionDenied):
        await shop(
            "create_purchase_order",
            SALES,
            supplier_code="NCC01",
            warehouse_code="HCM",
            lines=[line],
        )


async def test_ids_too_large_for_a_64_bit_key_are_refused_naming_the_field(
    shop: Caller,
) -> None:
    await setup(shop)
    big = 2**63
    line = {"sku": DEN, "quantity": 1}
    for name, args, field in [
        ("get_purchase_order", {"purchase_order_id": big}, "purchase_order_id"),
        ("confirm_purchase_order", {"purchase_order_id": big}, "purchase_order_id"),
        ("cancel_purchase_order", {"purchase_order_id": big}, "purchase_order_id"),
        (
            "close_purchase_order",
            {"purchase_order_id": big, "reason": "x"},
            "purchase_order_id",
        ),
        ("receive_goods", {"purchase_order_id": big, "lines": [line]}, "purchase_order_id"),
        (
            "create_purchase_order",
            {"supplier_id": big, "warehouse_code": "HCM", "lines": [{**line, "unit_cost": 1}]},
            "supplier_id",
        ),
    ]:
        with pytest.raises(InvalidInput) as err:
            await shop(name, **args)
        assert err.value.field == field, name


async def test_cancel_purchase_order_only_before_receipt(shop: Caller) -> None:
    await setup(shop)
    draft = await po(shop, [(DEN, 3, 1_000)], confirm=False)
    assert (
        await shop("cancel_purchase_order", purchase_order_id=draft["id"], reason="supplier out")
    )["status"] == "cancelled"
    confirmed = await po(shop, [(DEN, 3, 1_000)])
    await shop(
        "receive_goods",
        KEEPER,
        purchase_order_id=confirmed["id"],
        lines=[{"sku": DEN, "quantity": 1}],
    )
    with pytest.raises(IllegalTransition):
        await shop("cancel_purchase_order", purchase_order_id=confirmed["id"])
    other = await po(shop, [(DEN, 3, 1_000)])
    assert (await shop("cancel_purchase_order", purchase_order_id=other["id"]))[
        "status"
    ] == "cancelled"
    with pytest.raises(Conflict) as err:
        await shop(
            "receive_goods",
            KEEPER,
            purchase_order_id=other["id"],
            lines=[{"sku": DEN, "quantity": 1}],
        )
    assert err.value.code == "purchase_order_not_receivable"


async def test_close_purchase_order_short_stops_counting_the_rest_as_on_order(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    await make_product(
        shop, variants=[{"sku": "A", "options": {"Size": "S"}, "reorder_point": 5}], stock={}
    )
    await shop("create_supplier", code="NCC01", name="Xưởng A")
    made = await po(shop, [("A", 10, 80_000)])
    await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": "A", "quantity": 4}]
    )
    # 4 on hand, 6 still on order: 2 x 5 - 4 - 6 = 0, nothing to buy while the 6 are expected.
    assert (await shop("suggest_purchases"))["total_units"] == 0
    [low] = (await shop("low_stock_report", warehouse_code="HCM"))["warehouses"][0]["items"]
    assert (low["sku"], low["on_order"], low["suggested_quantity"]) == ("A", 6, 0)

    closed = await shop(
        "close_purchase_order",
        ACCOUNTANT,
        purchase_order_id=made["id"],
        reason=" Xưởng hết vải, không giao nữa ",
    )
    assert closed["status"] == "closed"
    [line] = closed["lines"]
    assert (line["ordered"], line["received"], line["remaining"], line["not_delivered"]) == (
        10,
        4,
        0,
        6,
    )
    assert closed["note"].endswith("Closed short: Xưởng hết vải, không giao nữa")
    [event] = await outbox_payloads(db, "purchase_order.closed")
    assert (event["purchase_order_id"], event["reason"], event["units_not_delivered"]) == (
        made["id"],
        "Xưởng hết vải, không giao nữa",
        6,
    )
    assert [(x["sku"], x["not_delivered"]) for x in event["lines"]] == [("A", 6)]

    # The 6 missing units are no longer on order anywhere.
    [sug] = (await shop("suggest_purchases"))["suppliers"][0]["lines"]
    assert (sug["sku"], sug["on_order"], sug["suggested_quantity"]) == ("A", 0, 6)
    [low] = (await shop("low_stock_report", warehouse_code="HCM"))["warehouses"][0]["items"]
    assert (low["on_order"], low["suggested_quantity"]) == (0, 6)
    assert (await shop("list_purchase_orders", KEEPER, open_only=True))["purchase_orders"] == []
    [listed] = (await shop("list_purchase_orders", status="closed"))["purchase_orders"]
    assert (listed["id"], listed["status"], listed["units_received"]) == (made["id"], "closed", 4)
    got = await shop("get_purchase_order", KEEPER, purchase_order_id=made["id"])
    assert (got["status"], got["lines"][0]["remaining"]) == ("closed", 0)

    # Nothing more can arrive against it, and it cannot be closed or cancelled again.
    with pytest.raises(Conflict) as err:
        await shop(
            "receive_goods",
            KEEPER,
            purchase_order_id=made["id"],
            lines=[{"sku": "A", "quantity": 6}],
        )
    assert err.value.code == "purchase_order_not_receivable"
    with pytest.raises(IllegalTransition):
        await shop("close_purchase_order", purchase_order_id=made["id"], reason="again")
    with pytest.raises(IllegalTransition):
        await shop("cancel_purchase_order", purchase_order_id=made["id"])
    assert len(await outbox_payloads(db, "purchase_order.closed")) == 1
    assert await ledger_mismatches(db) == []


async def test_close_purchase_order_only_when_partly_received(shop: Caller, db: Database) -> None:
    await setup(shop)
    draft = await po(shop, [(DEN, 3, 1_000)], confirm=False)
    confirmed = await po(shop, [(DEN, 3, 1_000)])
    for made in (draft, confirmed):  # nothing received: that is what cancel is for
        with pytest.raises(IllegalTransition) as err:
            await shop("close_purchase_order", purchase_order_id=made["id"], reason="x")
        assert err.value.field == "purchase_order_id"
        assert "cancel_purchase_order" in err.value.message
    full = await po(shop, [(DEN, 3, 1_000)])
    await shop(
        "receive_goods", KEEPER, purchase_order_id=full["id"], lines=[{"sku": DEN, "quantity": 3}]
    )
    with pytest.raises(IllegalTransition):  # fully received: nothing is missing
        await shop("close_purchase_order", purchase_order_id=full["id"], reason="x")
    part = await po(shop, [(DEN, 3, 1_000)])
    await shop(
        "receive_goods", KEEPER, purchase_order_id=part["id"], lines=[{"sku": DEN, "quantity": 1}]
    )
    with pytest.raises(InvalidInput) as err:  # a reason is required
        await shop("close_purchase_order", purchase_order_id=part["id"], reason="   ")
    assert err.value.field == "reason"
    for actor in (KEEPER, SALES):  # like cancelling, closing is for those who buy
        with pytest.raises(PermissionDenied):
            await shop("close_purchase_order", actor, purchase_order_id=part["id"], reason="x")
    with pytest.raises(NotFound) as err:
        await shop("close_purchase_order", purchase_order_id=999, reason="x")
    assert err.value.field == "purchase_order_id"
    statuses = [
        (await shop("get_purchase_order", purchase_order_id=m["id"]))["status"]
        for m in (draft, confirmed, full, part)
    ]
    assert statuses == ["draft", "confirmed", "received", "partially_received"]
    assert await outbox_payloads(db, "purchase_order.closed") == []


# ------------------------------------------------------------------------------- suggestions


async def test_suggest_purchases_groups_shortfalls_by_last_supplier(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        variants=[
            {
                "sku": "A",
                "options": {"Size": "S"},
                "reorder_point": 2,
                "stock": [{"warehouse_code": "HCM", "quantity": 1}],
            },
            {"sku": "B", "options": {"Size": "M"}, "reorder_point": 2, "stock": []},
            {
                "sku": "C",
                "options": {"Size": "L"},
                "reorder_point": 2,
                "stock": [{"warehouse_code": "HCM", "quantity": 10}],
            },
            {"sku": "D", "options": {"Size": "XL"}, "reorder_point": 0, "stock": []},
        ],
        cost_price=50_000,
        stock={},
    )
    await shop("create_supplier", code="NCC01", name="Xưởng A")
    await shop("create_supplier", code="NCC02", name="Xưởng B")
    waiting = await make_order(shop, {"B": 3})
    assert waiting["status"] == "awaiting_stock"
    await make_order(shop, {"D": 1})  # waiting too, although D has no reorder point
    await po(shop, [("B", 5, 45_000)], supplier="NCC01")  # confirmed: 5 of B on order
    await po(shop, [("A", 1, 48_000)], supplier="NCC02", confirm=False)  # draft: not on order
    await po(shop, [("C", 1, 1)], supplier="NCC02")  # C is not low: never suggested

    out = await shop("suggest_purchases", KEEPER)
    groups = {g["supplier_code"]: g for g in out["suppliers"]}
    assert list(groups) == ["NCC01", "NCC02", None]
    [b] = groups["NCC01"]["lines"]
    # B: 3 waiting + 2 x 2 reorder - 0 available - 5 on order = 2
    assert (b["sku"], b["awaiting_orders_need"], b["on_order"], b["suggested_quantity"]) == (
        "B",
        3,
        5,
        2,
    )
    assert (b["unit_cost"], b["estimated_cost"]) == (45_000, 90_000)
    [a] = groups["NCC02"]["lines"]
    # A: 2 x 2 - 1 available = 3; its last supplier is the draft's, at the draft's price
    assert (a["sku"], a["available"], a["on_order"], a["suggested_quantity"]) == ("A", 1, 0, 3)
    assert a["unit_cost"] == 48_000
    assert out["total_units"] == 2 + 3 + 1
    # D was never bought: it comes last, under no supplier, at its cost price.
    out_all = out["suppliers"]
    assert out_all[-1]["supplier_code"] is None
    [dl] = out_all[-1]["lines"]
    assert (dl["sku"], dl["suggested_quantity"], dl["unit_cost"]) == ("D", 1, 50_000)
    only = await shop("suggest_purchases", supplier_code="ncc01")
    assert [g["supplier_code"] for g in only["suppliers"]] == ["NCC01"]
    with pytest.raises(PermissionDenied):
        await shop("suggest_purchases", SALES)


async def test_suggest_purchases_leaves_out_discontinued_products(shop: Caller) -> None:
    # Low on stock, but the product was switched off: like the low-stock report, no advice.
    await make_warehouses(shop)
    await make_product(
        shop,
        variants=[{"sku": "A", "options": {"Size": "S"}, "reorder_point": 5}],
        stock={"HCM": 1},
    )
    assert [
        ln["sku"] for g in (await shop("suggest_purchases"))["suppliers"] for ln in g["lines"]
    ] == ["A"]
    await shop("update_product", code="AT01", active=False)
    assert (await shop("low_stock_report"))["total_items"] == 0
    out = await shop("suggest_purchases", KEEPER)
    assert (out["suppliers"], out["total_units"]) == ([], 0)
    # An order still waits for it: buy what it lacks (5 - 1 available), no refill on top.
    await shop("update_product", code="AT01", active=True)
    assert (await make_order(shop, {"A": 5}))["status"] == "awaiting_stock"
    await shop("update_product", code="AT01", active=False)
    [line] = (await shop("suggest_purchases", KEEPER))["suppliers"][0]["lines"]
    assert (line["sku"], line["awaiting_orders_need"], line["suggested_quantity"]) == ("A", 5, 4)


async def test_purchase_line_quantities_survive_in_the_table(shop: Caller, db: Database) -> None:
    """The PO line keeps ordered and received apart (the get_purchase_order output is derived)."""
    await setup(shop)
    made = await po(shop, [(DEN, 3, 10)])
    await shop(  # the owner may receive at another cost than the PO's
        "receive_goods",
        purchase_order_id=made["id"],
        lines=[{"sku": DEN, "quantity": 2, "unit_cost": 12}],
    )

    async def run(ctx: ToolContext) -> list[tuple[int, int, int]]:
        rows = await ctx.tx.session.execute(
            select(
                PurchaseOrderLine.quantity, PurchaseOrderLine.received, PurchaseOrderLine.unit_cost
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]

    assert await in_tx(db, run) == [(3, 2, 10)]
