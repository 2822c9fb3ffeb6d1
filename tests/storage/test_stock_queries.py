"""storage.stock_queries returns the same typed values on SQLite and PostgreSQL: ints, aware
datetimes, decoded options; only active warehouses and live holds count."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import update

from storage import stock_queries
from storage.database import Database, Tx
from storage.models import Warehouse
from tests.conftest import Caller
from tests.factories import DEN, KEEPER, hold_stock, make_stocked_shop


async def den_id(tx: Tx) -> int:
    """make_stocked_shop's first variant, DEN."""
    product = await stock_queries.product_by_code(tx, "AT01")
    assert product is not None
    return (await stock_queries.variants_of(tx, product.id, active_only=True))[0].id


async def test_active_levels_leave_out_inactive_warehouses_and_count_live_holds(
    shop: Caller, db: Database
) -> None:
    wh = await make_stocked_shop(shop)
    await hold_stock(db, DEN, "HCM", 3)
    await hold_stock(db, DEN, "HCM", 4, minutes=-1)  # expired: not counted
    async with db.transaction() as tx:
        variant_id = await den_id(tx)
        rows = await stock_queries.active_levels(tx, [variant_id, variant_id])
        assert [(r.warehouse_code, r.on_hand, r.reserved, r.holds) for r in rows] == [
            ("HCM", 10, 0, 3),
            ("HN", 2, 0, 0),
        ]
        assert all(type(r.holds) is int for r in rows)
        await tx.session.execute(
            update(Warehouse).where(Warehouse.id == wh["HN"]).values(active=False)
        )
        assert [r.warehouse_code for r in await stock_queries.active_levels(tx, [variant_id])] == [
            "HCM"
        ]
        assert await stock_queries.active_levels(tx, []) == []


async def test_product_by_code_ignores_case_and_variants_keep_their_options(
    shop: Caller, db: Database
) -> None:
    await make_stocked_shop(shop)
    async with db.transaction(write=False) as tx:
        product = await stock_queries.product_by_code(tx, "At01")
        assert product is not None
        assert product.code == "AT01"
        assert await stock_queries.product_by_code(tx, "nope") is None
        variants = await stock_queries.variants_of(tx, product.id, active_only=False)
        assert variants[0].options == {"Màu": "Đen", "Size": "M"}
        assert variants[0].active is True


async def test_ledger_rows_are_newest_first_with_aware_times(shop: Caller, db: Database) -> None:
    wh = await make_stocked_shop(shop)
    await shop("adjust_stock", KEEPER, sku=DEN, warehouse_code="HN", delta=3, note="found")
    async with db.transaction(write=False) as tx:
        rows = await stock_queries.ledger(tx, await den_id(tx), warehouse_id=None, limit=10)
        assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
        assert (rows[0].warehouse_code, rows[0].delta_on_hand, rows[0].note) == ("HN", 3, "found")
        assert all(r.created_at.tzinfo is not None for r in rows)
        assert rows[0].created_at.utcoffset() == UTC.utcoffset(None)
        hcm = await stock_queries.ledger(tx, await den_id(tx), warehouse_id=wh["HCM"], limit=1)
        assert [(r.warehouse_code, r.reason) for r in hcm] == [("HCM", "initial")]
