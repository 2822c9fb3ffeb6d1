"""storage.warehouses: totals are ints and flags bools on both databases."""

from __future__ import annotations

from sqlalchemy import update

from storage import warehouses
from storage.database import Database
from storage.models import Warehouse
from tests.conftest import Caller
from tests.factories import make_stocked_shop, reserve_stock


async def test_totals_per_warehouse_active_or_all(shop: Caller, db: Database) -> None:
    wh = await make_stocked_shop(shop)
    await shop("create_warehouse", code="DN", name="Kho Đà Nẵng", kind="sub")
    await reserve_stock(db, "AT01-DEN-M", "HCM", 3)
    async with db.transaction() as tx:
        rows = await warehouses.with_totals(tx, include_inactive=False)
        assert [(r.warehouse.code, r.on_hand, r.reserved) for r in rows] == [
            ("HCM", 20, 3),
            ("HN", 4, 0),
            ("DN", 0, 0),
        ]
        assert all(type(r.on_hand) is int and type(r.reserved) is int for r in rows)
        assert rows[0].warehouse.active is True
        assert await warehouses.code_taken(tx, "HN") is True
        assert await warehouses.code_taken(tx, "XX") is False
        await tx.session.execute(
            update(Warehouse).where(Warehouse.id == wh["HN"]).values(active=False)
        )
        active = await warehouses.with_totals(tx, include_inactive=False)
        assert [r.warehouse.code for r in active] == ["HCM", "DN"]
        every = await warehouses.with_totals(tx, include_inactive=True)
        assert [(r.warehouse.code, r.warehouse.active) for r in every][1] == ("HN", False)


async def test_ids_active_or_all_and_one_by_id(shop: Caller, db: Database) -> None:
    wh = await make_stocked_shop(shop)
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Warehouse).where(Warehouse.id == wh["HN"]).values(active=False)
        )
        assert await warehouses.ids(tx, active_only=True) == [wh["HCM"]]
        assert await warehouses.ids(tx, active_only=False) == [wh["HCM"], wh["HN"]]
        found = await warehouses.by_id(tx, wh["HN"])
        assert found is not None
        assert (found.code, found.active) == ("HN", False)
        assert await warehouses.by_id(tx, wh["HN"] + 1000) is None
