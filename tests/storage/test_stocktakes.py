"""storage.stocktakes: what is left to count comes with decoded options, and the stock reads
of counting and applying see the warehouse asked for only."""

from __future__ import annotations

from storage import stocktakes
from storage.database import Database
from tests.conftest import Caller
from tests.factories import DEN, KEEPER, TRANG, make_product, make_stocked_shop


async def test_stocked_in_lists_variants_with_stock_by_sku(shop: Caller, db: Database) -> None:
    wh = await make_stocked_shop(shop)
    await make_product(shop, code="QJ01", variants=[{"sku": "QJ01-30"}], stock={"HCM": 0})
    async with db.transaction(write=False) as tx:
        rows = await stocktakes.stocked_in(tx, wh["HCM"])
        assert [(r.sku, r.on_hand) for r in rows] == [(DEN, 10), (TRANG, 10)]
        assert rows[0].options == {"Màu": "Đen", "Size": "M"}
        assert rows[0].product_name == "Áo thun cotton"
        ids = [r.variant_id for r in rows]
        assert await stocktakes.on_hand_in(tx, wh["HN"], ids) == dict.fromkeys(ids, 2)


async def test_stocktakes_newest_first_with_aware_times(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    first = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    await shop("cancel_stocktake", KEEPER, stocktake_id=first["id"])
    second = await shop("start_stocktake", KEEPER, warehouse_code="HN")
    async with db.transaction() as tx:
        rows = await stocktakes.newest(tx, warehouse_code=None, status=None, limit=10)
        assert [(r.stocktake.id, r.warehouse_code) for r in rows] == [
            (second["id"], "HN"),
            (first["id"], "HCM"),
        ]
        assert all(r.stocktake.created_at.tzinfo is not None for r in rows)
        cancelled = await stocktakes.newest(tx, warehouse_code="HCM", status="cancelled", limit=1)
        assert [r.stocktake.id for r in cancelled] == [first["id"]]
        assert await stocktakes.open_in(tx, rows[0].stocktake.warehouse_id) == second["id"]
        locked = await stocktakes.get(tx, second["id"], lock=True)
        assert locked is not None
        assert locked.status == "open"
        assert await stocktakes.get(tx, 10**12) is None
