from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.database import Database
from storage.models import OutboxEvent, StockMove, Stocktake, StocktakeLine
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    DEN,
    KEEPER,
    SALES,
    TRANG,
    count_rows,
    in_tx,
    ledger_mismatches,
    make_product,
    make_stocked_shop,
    reserve_stock,
    stock_level,
)
from tools.context import ToolContext


async def setup(shop: Caller) -> dict[str, int]:
    wh = await make_stocked_shop(shop)
    await make_product(
        shop,
        code="QJ01",
        name="Quần jean",
        variants=[{"sku": "QJ01-30", "options": {"Size": "30"}}],
        stock={"HCM": 4},
        cost_price=200_000,
    )
    return wh


async def stocktake_moves(db: Database) -> list[tuple[int, int]]:
    async def run(ctx: ToolContext) -> list[tuple[int, int]]:
        rows = await ctx.tx.session.execute(
            select(StockMove.delta_on_hand, StockMove.ref_id)
            .where(StockMove.reason == "stocktake")
            .order_by(StockMove.id)
        )
        return [(r[0], r[1]) for r in rows]

    return await in_tx(db, run)


def by_sku(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ln["sku"]: ln for ln in out["lines"]}


async def test_one_open_stocktake_per_warehouse(shop: Caller) -> None:
    await setup(shop)
    st = await shop("start_stocktake", KEEPER, warehouse_code="hcm", note="cuối tháng")
    assert (st["status"], st["warehouse_code"], st["lines"]) == ("open", "HCM", [])
    # Everything with stock in HCM is listed as not counted yet.
    assert [u["sku"] for u in st["not_counted"]] == [DEN, TRANG, "QJ01-30"]
    assert st["not_counted_total"] == 3
    with pytest.raises(Conflict) as err:
        await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    assert (err.value.code, err.value.field) == ("stocktake_already_open", "warehouse_code")
    assert err.value.details["stocktake_id"] == st["id"]
    other = await shop("start_stocktake", KEEPER, warehouse_code="HN")
    assert other["warehouse_code"] == "HN"
    await shop("cancel_stocktake", KEEPER, stocktake_id=st["id"])
    again = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    assert again["id"] != st["id"]
    with pytest.raises(PermissionDenied):
        await shop("start_stocktake", SALES, warehouse_code="HCM")
    with pytest.raises(NotFound):
        await shop("start_stocktake", KEEPER, warehouse_code="DN")


async def test_counts_record_expected_and_recounts_overwrite(shop: Caller, db: Database) -> None:
    await setup(shop)
    st = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    out = await shop(
        "record_count",
        KEEPER,
        stocktake_id=st["id"],
        lines=[{"sku": DEN, "counted": 7}, {"sku": "QJ01-30", "counted": 5}],
    )
    lines = by_sku(out)
    assert (lines[DEN]["expected"], lines[DEN]["counted"], lines[DEN]["variance"]) == (10, 7, -3)
    assert lines[DEN]["variance_value"] == -3 * 90_000
    assert (lines["QJ01-30"]["variance"], lines["QJ01-30"]["variance_value"]) == (1, 200_000)
    assert [u["sku"] for u in out["not_counted"]] == [TRANG]
    assert (out["units_short"], out["units_over"]) == (3, 1)
    assert out["variance_value"] == -270_000 + 200_000
    # Counting DEN again replaces the earlier count (one row per SKU).
    out = await shop(
        "record_count", KEEPER, stocktake_id=st["id"], lines=[{"sku": DEN, "counted": 9}]
    )
    assert by_sku(out)[DEN]["counted"] == 9
    assert await count_rows(db, StocktakeLine) == {"stocktake_lines": 2}
    got = await shop("get_stocktake", ACCOUNTANT, stocktake_id=st["id"])
    assert got == out
    with pytest.raises(InvalidInput) as err:
        await shop(
            "record_count", KEEPER, stocktake_id=st["id"], lines=[{"sku": DEN, "counted": -1}]
        )
    assert err.value.field == "lines.0.counted"
    with pytest.raises(NotFound) as err:
        await shop(
            "record_count",
            KEEPER,
            stocktake_id=st["id"],
            lines=[{"sku": DEN, "counted": 1}, {"sku": "NOPE", "counted": 1}],
        )
    assert err.value.field == "lines.1.sku"


async def test_apply_corrects_on_hand_and_the_ledger_follows(shop: Caller, db: Database) -> None:
    wh = await setup(shop)
    st = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    await shop(
        "record_count",
        KEEPER,
        stocktake_id=st["id"],
        lines=[
            {"sku": DEN, "counted": 7},
            {"sku": TRANG, "counted": 10},
            {"sku": "QJ01-30", "counted": 6},
        ],
    )
    out = await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert out["status"] == "applied"
    assert out["applied_at"] is not None
    assert out["not_counted"] == []
    assert await stock_level(db, DEN, wh["HCM"]) == (7, 0)
    assert await stock_level(db, TRANG, wh["HCM"]) == (10, 0)  # no variance, no move
    assert await stock_level(db, "QJ01-30", wh["HCM"]) == (6, 0)
    assert await stock_level(db, DEN, wh["HN"]) == (2, 0)  # other warehouses untouched
    assert await stocktake_moves(db) == [(-3, st["id"]), (2, st["id"])]
    assert await ledger_mismatches(db) == []

    async def events(ctx: ToolContext) -> list[dict[str, Any]]:
        rows = await ctx.tx.session.execute(
            select(OutboxEvent.payload).where(OutboxEvent.topic == "stocktake.applied")
        )
        return [r[0] for r in rows]

    [event] = await in_tx(db, events)
    assert event["variance_value"] == -3 * 90_000 + 2 * 200_000
    with pytest.raises(Conflict) as err:
        await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert err.value.code == "stocktake_not_open"
    with pytest.raises(Conflict):
        await shop(
            "record_count", KEEPER, stocktake_id=st["id"], lines=[{"sku": DEN, "counted": 1}]
        )


async def test_goods_moving_after_the_count_are_not_counted_twice(
    shop: Caller, db: Database
) -> None:
    wh = await setup(shop)
    st = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    await shop("record_count", KEEPER, stocktake_id=st["id"], lines=[{"sku": DEN, "counted": 8}])
    # 5 more arrive after the count: on hand 15, the count said 2 were missing.
    await shop("receive_goods", KEEPER, warehouse_code="HCM", lines=[{"sku": DEN, "quantity": 5}])
    await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert await stock_level(db, DEN, wh["HCM"]) == (13, 0)
    assert await ledger_mismatches(db) == []


async def test_stocktake_below_reserved_is_refused_and_writes_nothing(
    shop: Caller, db: Database
) -> None:
    wh = await setup(shop)
    await reserve_stock(db, DEN, "HCM", 6)
    await reserve_stock(db, "QJ01-30", "HCM", 4)
    st = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    await shop(
        "record_count",
        KEEPER,
        stocktake_id=st["id"],
        lines=[
            {"sku": DEN, "counted": 5},
            {"sku": TRANG, "counted": 3},
            {"sku": "QJ01-30", "counted": 3},
        ],
    )
    before = await count_rows(db, StockMove, OutboxEvent)
    with pytest.raises(Conflict) as err:
        await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert err.value.code == "stocktake_below_reserved"
    assert err.value.details["skus"] == [DEN, "QJ01-30"]
    assert DEN in err.value.message
    assert "QJ01-30" in err.value.message
    assert TRANG not in err.value.message  # 3 counted, nothing reserved: fine on its own
    [den, _] = err.value.details["lines"]
    assert (den["on_hand"], den["reserved"], den["on_hand_after"]) == (10, 6, 5)
    assert await count_rows(db, StockMove, OutboxEvent) == before
    assert await stock_level(db, DEN, wh["HCM"]) == (10, 6)
    assert await stock_level(db, TRANG, wh["HCM"]) == (10, 0)
    assert (await shop("get_stocktake", KEEPER, stocktake_id=st["id"]))["status"] == "open"
    # Re-counted so that nothing drops below reserved, it applies.
    await shop(
        "record_count",
        KEEPER,
        stocktake_id=st["id"],
        lines=[{"sku": DEN, "counted": 6}, {"sku": "QJ01-30", "counted": 4}],
    )
    await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert await stock_level(db, DEN, wh["HCM"]) == (6, 6)
    assert await stock_level(db, TRANG, wh["HCM"]) == (3, 0)
    assert await ledger_mismatches(db) == []


async def test_cancel_and_empty_stocktakes(shop: Caller, db: Database) -> None:
    wh = await setup(shop)
    st = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    with pytest.raises(InvalidInput) as err:
        await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert err.value.code == "stocktake_empty"
    await shop("record_count", KEEPER, stocktake_id=st["id"], lines=[{"sku": DEN, "counted": 0}])
    out = await shop("cancel_stocktake", KEEPER, stocktake_id=st["id"])
    assert out["status"] == "cancelled"
    with pytest.raises(Conflict):
        await shop("apply_stocktake", KEEPER, stocktake_id=st["id"])
    assert await stock_level(db, DEN, wh["HCM"]) == (10, 0)
    assert await stocktake_moves(db) == []
    with pytest.raises(PermissionDenied):
        await shop("apply_stocktake", SALES, stocktake_id=st["id"])
    listed = await shop("list_stocktakes", KEEPER, status="cancelled")
    assert [s["id"] for s in listed["stocktakes"]] == [st["id"]]
    with pytest.raises(NotFound):
        await shop("get_stocktake", KEEPER, stocktake_id=999)
    assert await count_rows(db, Stocktake) == {"stocktakes": 1}


async def test_ids_too_large_for_a_64_bit_key_are_refused_naming_the_field(
    shop: Caller,
) -> None:
    await setup(shop)
    big = 2**63
    for name, args in [
        ("get_stocktake", {"stocktake_id": big}),
        ("record_count", {"stocktake_id": big, "lines": [{"sku": DEN, "counted": 1}]}),
        ("apply_stocktake", {"stocktake_id": big}),
        ("cancel_stocktake", {"stocktake_id": big}),
    ]:
        with pytest.raises(InvalidInput) as err:
            await shop(name, **args)
        assert err.value.field == "stocktake_id", name


async def test_a_finished_stocktake_takes_no_further_step(shop: Caller) -> None:
    """core.stocktake_status decides: applied and cancelled are final for every step."""
    await setup(shop)
    applied = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    await shop(
        "record_count", KEEPER, stocktake_id=applied["id"], lines=[{"sku": DEN, "counted": 9}]
    )
    await shop("apply_stocktake", KEEPER, stocktake_id=applied["id"])
    cancelled = await shop("start_stocktake", KEEPER, warehouse_code="HCM")
    await shop("cancel_stocktake", KEEPER, stocktake_id=cancelled["id"])
    for st in (applied, cancelled):
        for name, args in (
            ("cancel_stocktake", {}),
            ("apply_stocktake", {}),
            ("record_count", {"lines": [{"sku": DEN, "counted": 1}]}),
        ):
            with pytest.raises(Conflict) as err:
                await shop(name, KEEPER, stocktake_id=st["id"], **args)
            assert err.value.code == "stocktake_not_open", (st["status"], name)
    final = await shop("get_stocktake", KEEPER, stocktake_id=applied["id"])
    assert final["status"] == "applied"
