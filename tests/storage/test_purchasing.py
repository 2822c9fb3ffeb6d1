"""storage.purchasing: typed values, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from storage import purchasing as store
from storage.database import Database
from storage.models import Variant
from tests.conftest import Caller
from tests.factories import DEN, KEEPER, TRANG, make_order, make_stocked_shop


async def _shop_with_po(shop: Caller) -> dict[str, Any]:
    await make_stocked_shop(shop)
    await shop("create_supplier", code="ncc01", name="Xưởng may")
    po = await shop(
        "create_purchase_order",
        supplier_code="NCC01",
        warehouse_code="HCM",
        lines=[{"sku": DEN, "quantity": 5, "unit_cost": 90_000}],
    )
    return dict(await shop("confirm_purchase_order", purchase_order_id=po["id"]))


async def test_receipts_and_summaries_are_ints_and_aware_datetimes(
    db: Database, shop: Caller
) -> None:
    po = await _shop_with_po(shop)
    await shop(
        "receive_goods", KEEPER, purchase_order_id=po["id"], lines=[{"sku": DEN, "quantity": 2}]
    )
    async with db.transaction(write=False) as tx:
        [receipt] = await store.receipts_of(tx, po["id"])
        [summary] = await store.order_summaries(
            tx, status=None, open_only=True, supplier_code="NCC01", limit=10
        )
        none_closed = await store.order_summaries(
            tx, status="closed", open_only=False, supplier_code=None, limit=10
        )
    assert (receipt.units, receipt.warehouse_code) == (2, "HCM")
    assert type(receipt.units) is int
    assert receipt.created_at.tzinfo is not None
    assert (summary.total_cost, summary.units_ordered, summary.units_received) == (450_000, 5, 2)
    assert all(type(x) is int for x in (summary.total_cost, summary.units_received))
    assert summary.po.status == "partially_received"
    assert none_closed == []


async def test_purchase_candidates_carry_bools_and_the_waiting_need(
    db: Database, shop: Caller
) -> None:
    await make_stocked_shop(shop, {"HCM": 1})
    assert (await make_order(shop, {DEN: 3}))["status"] == "awaiting_stock"  # 1 in stock
    den = (await _variant_ids(db))[DEN]
    for active in (True, False):
        await shop("update_product", code="AT01", active=active)
        async with db.transaction(write=False) as tx:
            need = await store.awaiting_need(tx)
            found = await store.purchase_candidates(tx, need)
        assert need == {den: 3}
        [candidate] = [c for c in found if c.variant_id == den]
        assert candidate.product_active is active
        assert (candidate.on_hand, candidate.reserved) == (1, 0)


async def test_last_purchases_skip_cancelled_orders_and_newest_wins(
    db: Database, shop: Caller
) -> None:
    po = await _shop_with_po(shop)
    newer = await shop(
        "create_purchase_order",
        supplier_code="NCC01",
        warehouse_code="HCM",
        lines=[{"sku": DEN, "quantity": 1, "unit_cost": 95_000}],
    )
    await shop("cancel_purchase_order", purchase_order_id=newer["id"])
    ids = await _variant_ids(db)
    async with db.transaction(write=False) as tx:
        last = await store.last_purchases(tx, [ids[DEN], ids[TRANG]])
        on_order = await store.units_on_order(tx, [ids[DEN], ids[TRANG]])
    assert last == {ids[DEN]: (po["supplier_id"], 90_000)}
    assert on_order == {ids[DEN]: 5}


async def test_variants_as_committed_overwrite_the_sessions_copy(
    db: Database, shop: Caller
) -> None:
    await make_stocked_shop(shop)
    async with db.transaction() as tx:
        [variant] = (await store.variants_by_sku(tx, [DEN])).values()
        # Written behind the session's back, as a receipt committed while we waited would.
        await tx.conn.execute(
            update(Variant).where(Variant.id == variant.id).values(cost_price=123_456)
        )
        fresh = await store.variants_as_committed(tx, [variant.id])
        totals = await store.on_hand_totals(tx, [variant.id])
    assert fresh[variant.id] is variant
    assert variant.cost_price == 123_456
    assert totals == {variant.id: 12}  # 10 in HCM, 2 in HN


async def _variant_ids(db: Database) -> dict[str, int]:
    async with db.transaction(write=False) as tx:
        return {sku: v.id for sku, v in (await store.variants_by_sku(tx, [DEN, TRANG])).items()}
