"""receive_goods: partial and complete receipts, refusals that write nothing, the average cost
over all warehouses, waiting orders served first come first served, and racing receipts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.costing import weighted_average_cost
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor, Role
from storage.database import Database
from storage.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    StockMove,
)
from tests.conftest import OWNER, SYSTEM, Caller
from tests.factories import (
    DEN,
    KEEPER,
    SALES,
    TRANG,
    count_rows,
    in_tx,
    ledger_mismatches,
    make_order,
    make_product,
    outbox_payloads,
    stock_level,
)
from tests.tools.purchases import cost_price, po, setup
from tools.config import ToolConfig
from tools.context import ToolContext
from tools.stock_ops import lock_levels, variant_by_sku

# ------------------------------------------------------------------------------- receiving


async def test_partial_receipts_then_complete(shop: Caller, db: Database) -> None:
    wh = await setup(shop)
    made = await po(shop, [(DEN, 10, 90_000), (TRANG, 4, 90_000)])
    first = await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": DEN, "quantity": 4}]
    )
    assert first["purchase_order_status"] == "partially_received"
    assert first["warehouse_code"] == "HCM"
    assert first["number"] == f"GR{first['receipt_id']:05d}"
    assert first["lines"][0]["on_hand_in_warehouse"] == 14
    assert await stock_level(db, DEN, wh["HCM"]) == (14, 0)
    got = await shop("get_purchase_order", KEEPER, purchase_order_id=made["id"])
    assert [(ln["sku"], ln["received"], ln["remaining"]) for ln in got["lines"]] == [
        (DEN, 4, 6),
        (TRANG, 0, 4),
    ]
    assert [r["units"] for r in got["receipts"]] == [4]
    second = await shop(
        "receive_goods",
        KEEPER,
        purchase_order_id=made["id"],
        lines=[{"sku": DEN, "quantity": 6}, {"sku": TRANG, "quantity": 4}],
    )
    assert second["purchase_order_status"] == "received"
    assert second["total_units"] == 10
    assert await stock_level(db, DEN, wh["HCM"]) == (20, 0)
    assert await stock_level(db, TRANG, wh["HCM"]) == (14, 0)

    async def receipt_moves(ctx: ToolContext) -> list[tuple[str, str, int]]:
        rows = await ctx.tx.session.execute(
            select(StockMove.reason, StockMove.ref_type, StockMove.delta_on_hand)
            .where(StockMove.reason == "receipt")
            .order_by(StockMove.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]

    assert await in_tx(db, receipt_moves) == [
        ("receipt", "goods_receipt", 4),
        ("receipt", "goods_receipt", 6),
        ("receipt", "goods_receipt", 4),
    ]
    events = await outbox_payloads(db, "goods.received")
    assert [sum(ln["quantity"] for ln in e["lines"]) for e in events] == [4, 10]
    assert await ledger_mismatches(db) == []


async def test_over_receipt_is_refused_and_writes_nothing(shop: Caller, db: Database) -> None:
    wh = await setup(shop)
    made = await po(shop, [(DEN, 10, 90_000), (TRANG, 2, 90_000)])
    await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": DEN, "quantity": 4}]
    )
    before = await count_rows(db, GoodsReceipt, GoodsReceiptLine, StockMove)
    with pytest.raises(Conflict) as err:
        await shop(
            "receive_goods",
            KEEPER,
            purchase_order_id=made["id"],
            lines=[{"sku": TRANG, "quantity": 2}, {"sku": DEN, "quantity": 7}],
        )
    assert (err.value.code, err.value.field) == ("over_receipt", "lines.1.quantity")
    assert err.value.details["lines"] == [
        {"sku": DEN, "ordered": 10, "received": 4, "remaining": 6, "receiving": 7}
    ]
    assert await count_rows(db, GoodsReceipt, GoodsReceiptLine, StockMove) == before
    assert await stock_level(db, DEN, wh["HCM"]) == (14, 0)
    assert await stock_level(db, TRANG, wh["HCM"]) == (10, 0)
    got = await shop("get_purchase_order", purchase_order_id=made["id"])
    assert [ln["received"] for ln in got["lines"]] == [4, 0]
    assert got["status"] == "partially_received"

    extra = await shop(
        "receive_goods",
        KEEPER,
        purchase_order_id=made["id"],
        allow_over_receipt=True,
        lines=[{"sku": DEN, "quantity": 7}],
    )
    assert extra["lines"][0]["over_received"] == 1
    assert extra["purchase_order_status"] == "partially_received"  # TRANG still to come
    got = await shop("get_purchase_order", purchase_order_id=made["id"])
    assert [(ln["received"], ln["remaining"]) for ln in got["lines"]] == [(11, 0), (0, 2)]
    assert await ledger_mismatches(db) == []


async def test_receiving_checks_the_purchase_order(shop: Caller, db: Database) -> None:
    await setup(shop)
    await make_product(shop, code="QJ01", variants=[{"sku": "QJ01-30", "options": {"Size": "30"}}])
    draft = await po(shop, [(DEN, 5, 1)], confirm=False)
    with pytest.raises(Conflict) as err:
        await shop(
            "receive_goods",
            KEEPER,
            purchase_order_id=draft["id"],
            lines=[{"sku": DEN, "quantity": 1}],
        )
    assert err.value.code == "purchase_order_not_receivable"
    assert "Confirm it first" in err.value.message
    made = await po(shop, [(DEN, 5, 1)])
    with pytest.raises(InvalidInput) as err:
        await shop(
            "receive_goods",
            KEEPER,
            purchase_order_id=made["id"],
            lines=[{"sku": DEN, "quantity": 1}, {"sku": "QJ01-30", "quantity": 1}],
        )
    assert (err.value.code, err.value.field) == ("not_on_purchase_order", "lines.1.sku")
    with pytest.raises(InvalidInput) as err:
        await shop("receive_goods", KEEPER, lines=[{"sku": DEN, "quantity": 1}])
    assert err.value.field == "warehouse_code"
    with pytest.raises(NotFound):
        await shop(
            "receive_goods", KEEPER, purchase_order_id=999, lines=[{"sku": DEN, "quantity": 1}]
        )
    with pytest.raises(PermissionDenied):
        await shop(
            "receive_goods",
            SALES,
            purchase_order_id=made["id"],
            lines=[{"sku": DEN, "quantity": 1}],
        )
    assert await count_rows(db, GoodsReceipt) == {"goods_receipts": 0}


async def test_receipt_averages_cost_over_all_warehouses(shop: Caller, db: Database) -> None:
    wh = await setup(shop)  # 10 in HCM + 2 in HN at 90,000
    made = await po(shop, [(DEN, 4, 100_002)], warehouse="HN")
    out = await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": DEN, "quantity": 4}]
    )
    # (12 x 90,000 + 4 x 100,002) / 16 = 92,500.5 -> 92,501 (half-up to the đồng)
    assert out["lines"][0]["cost_price_before"] == 90_000
    assert out["lines"][0]["cost_price_after"] == 92_501
    assert await cost_price(db, DEN) == 92_501
    assert await stock_level(db, DEN, wh["HN"]) == (6, 0)
    # Without a PO and without a unit cost, goods come in at the current cost: no change.
    out = await shop(
        "receive_goods", KEEPER, warehouse_code="HCM", lines=[{"sku": DEN, "quantity": 3}]
    )
    assert out["purchase_order_id"] is None
    assert out["lines"][0]["unit_cost"] == 92_501
    assert await cost_price(db, DEN) == 92_501
    # An explicit unit cost overrides the PO price: (19 x 92,501 + 1 x 0) / 20 = 87,875.95
    out = await shop(
        "receive_goods",
        KEEPER,
        warehouse_code="HCM",
        lines=[{"sku": DEN, "quantity": 1, "unit_cost": 0}],
    )
    assert await cost_price(db, DEN) == 87_876
    assert await ledger_mismatches(db) == []


async def test_a_keeper_receives_at_the_po_price_and_cannot_set_another(
    shop: Caller, db: Database
) -> None:
    await setup(shop)  # DEN: 12 on hand at 90,000
    made = await po(shop, [(DEN, 10, 80_000), (TRANG, 5, 85_000)])
    before = await count_rows(db, GoodsReceipt, GoodsReceiptLine, StockMove)
    with pytest.raises(PermissionDenied) as err:
        await shop(
            "receive_goods",
            KEEPER,
            purchase_order_id=made["id"],
            lines=[
                {"sku": TRANG, "quantity": 1, "unit_cost": 85_000},  # the PO's price: fine
                {"sku": DEN, "quantity": 2, "unit_cost": 70_000},
            ],
        )
    assert (err.value.field, err.value.code) == ("lines.1.unit_cost", "unit_cost_not_allowed")
    assert err.value.details == {"sku": DEN, "po_unit_cost": 80_000, "unit_cost": 70_000}
    assert await count_rows(db, GoodsReceipt, GoodsReceiptLine, StockMove) == before
    assert await cost_price(db, DEN) == 90_000
    got = await shop("get_purchase_order", purchase_order_id=made["id"])
    assert [ln["received"] for ln in got["lines"]] == [0, 0]

    # Without a unit cost (or with the PO's own) the keeper's receipt takes the PO's price.
    out = await shop(
        "receive_goods",
        KEEPER,
        purchase_order_id=made["id"],
        lines=[{"sku": DEN, "quantity": 2}, {"sku": TRANG, "quantity": 1, "unit_cost": 85_000}],
    )
    assert [ln["unit_cost"] for ln in out["lines"]] == [80_000, 85_000]
    after_keeper = weighted_average_cost(12, 90_000, 2, 80_000)
    assert await cost_price(db, DEN) == after_keeper

    # Those who may buy (owner, manager) may still record another cost, e.g. a late discount.
    manager = Actor(role=Role.MANAGER, staff_id=5)
    for actor, cost in ((OWNER, 70_000), (manager, 60_000)):
        out = await shop(
            "receive_goods",
            actor,
            purchase_order_id=made["id"],
            lines=[{"sku": DEN, "quantity": 1, "unit_cost": cost}],
        )
        assert out["lines"][0]["unit_cost"] == cost
    expected = weighted_average_cost(14, after_keeper, 1, 70_000)
    assert await cost_price(db, DEN) == weighted_average_cost(15, expected, 1, 60_000)
    # The PO keeps the agreed price.
    got = await shop("get_purchase_order", purchase_order_id=made["id"])
    assert [(ln["received"], ln["unit_cost"]) for ln in got["lines"]] == [(4, 80_000), (1, 85_000)]
    assert await ledger_mismatches(db) == []


async def test_receipt_releases_waiting_orders_first_come_first_served(
    shop: Caller, db: Database
) -> None:
    wh = await setup(shop, stock={})
    o1 = await make_order(shop, {DEN: 2})
    o2 = await make_order(shop, {DEN: 2})
    o3 = await make_order(shop, {DEN: 1})
    assert [o["status"] for o in (o1, o2, o3)] == ["awaiting_stock"] * 3
    made = await po(shop, [(DEN, 10, 80_000)])
    out = await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": DEN, "quantity": 2}]
    )
    assert out["allocated_order_ids"] == [o1["id"]]
    assert out["allocated_order_numbers"] == [o1["number"]]
    assert await stock_level(db, DEN, wh["HCM"]) == (2, 2)
    assert (await shop("get_order", order_id=o2["id"]))["status"] == "awaiting_stock"
    out = await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": DEN, "quantity": 3}]
    )
    assert out["allocated_order_ids"] == [o2["id"], o3["id"]]
    for o in (o1, o2, o3):
        got = await shop("get_order", order_id=o["id"])
        assert got["status"] == "confirmed"
        assert all(ln["reserved"] == ln["quantity"] for ln in got["lines"])
    assert await stock_level(db, DEN, wh["HCM"]) == (5, 5)
    out = await shop(
        "receive_goods", KEEPER, purchase_order_id=made["id"], lines=[{"sku": DEN, "quantity": 1}]
    )
    assert out["allocated_order_ids"] == []
    assert await ledger_mismatches(db) == []


# ------------------------------------------------------------------------------- concurrency


async def test_racing_receipts_neither_over_receive_nor_lose_the_average(
    shop: Caller, db: Database
) -> None:
    wh = await setup(shop)  # 12 on hand at 90,000
    made = await po(shop, [(DEN, 5, 90_000)])

    async def receive(quantity: int) -> str:
        try:
            await shop(
                "receive_goods",
                KEEPER,
                purchase_order_id=made["id"],
                lines=[{"sku": DEN, "quantity": quantity}],
            )
        except Conflict as exc:
            return exc.code
        return "ok"

    outcomes = sorted(await asyncio.gather(receive(3), receive(3)))
    assert outcomes == ["ok", "over_receipt"]  # 3 + 3 > 5: the second sees the first
    got = await shop("get_purchase_order", purchase_order_id=made["id"])
    assert (got["lines"][0]["received"], got["status"]) == (3, "partially_received")

    # Eight receipts of one SKU at once, each 1 unit at 190,000: every serial order gives the
    # same average, but a receipt averaging from a cost read before another committed would
    # lose that one's effect. Holding TRANG's stock rows makes all eight start (and read the
    # variant) before any of them can finish.
    expected, units = 90_000, 12
    for _ in range(8):
        expected, units = weighted_average_cost(units, expected, 1, 190_000), units + 1
    async with db.transaction() as tx:
        ctx = ToolContext(tx=tx, actor=SYSTEM, config=ToolConfig())
        await lock_levels(ctx, [(await variant_by_sku(ctx, TRANG)).id])
        racers = [
            asyncio.create_task(
                shop(
                    "receive_goods",
                    KEEPER,
                    warehouse_code="HN",
                    lines=[{"sku": TRANG, "quantity": 1, "unit_cost": 190_000}],
                )
            )
            for _ in range(8)
        ]
        await asyncio.sleep(0.5)
    await asyncio.gather(*racers)
    assert await cost_price(db, TRANG) == expected
    assert await stock_level(db, TRANG, wh["HN"]) == (10, 0)
    assert await ledger_mismatches(db) == []
