from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from core.errors import InsufficientStock, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor
from storage.database import Database
from storage.models import OutboxEvent, StockLevel, StockMove, StockWriteOff, Warehouse
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    CUSTOMER,
    KEEPER,
    SALES,
    count_rows,
    hold_stock,
    in_tx,
    ledger_mismatches,
    make_stocked_shop,
    reserve_stock,
)
from tools.context import ToolContext

STOCK_WRITES = (StockLevel, StockMove, StockWriteOff, OutboxEvent)


async def level(shop: Caller, sku: str, code: str) -> dict[str, Any]:
    out = await shop("check_stock", sku=sku)
    rows: list[dict[str, Any]] = out["variants"][0]["warehouses"]
    [row] = [w for w in rows if w["warehouse_code"] == code]
    return row


# ------------------------------------------------------------------------------- check_stock


async def test_check_stock_staff_sees_warehouses(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    await reserve_stock(db, "AT01-DEN-M", "HCM", 3)
    await hold_stock(db, "AT01-DEN-M", "HCM", 1)
    out = await shop("check_stock", SALES, sku="AT01-DEN-M")
    assert out["product_code"] == "AT01"
    [v] = out["variants"]
    assert (v["on_hand"], v["reserved"], v["held"], v["available"]) == (12, 3, 1, 8)
    assert v["name"] == "Áo thun cotton - Đen / M"
    assert [(w["warehouse_code"], w["available"]) for w in v["warehouses"]] == [
        ("HCM", 6),
        ("HN", 2),
    ]


async def test_check_stock_customer_sees_only_available(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    await reserve_stock(db, "AT01-DEN-M", "HCM", 3)
    out = await shop("check_stock", CUSTOMER, product_code="at01")
    assert [v["sku"] for v in out["variants"]] == ["AT01-DEN-M", "AT01-TRANG-L"]
    den = out["variants"][0]
    assert den["available"] == 9
    assert den["options"] == {"Màu": "Đen", "Size": "M"}
    for field in ("on_hand", "reserved", "held", "warehouses", "reorder_point", "active"):
        assert den[field] is None, field


async def test_check_stock_hides_inactive_from_customers(shop: Caller) -> None:
    await make_stocked_shop(shop)
    await shop("update_product", code="AT01", variants=[{"sku": "AT01-TRANG-L", "active": False}])
    out = await shop("check_stock", CUSTOMER, product_code="AT01")
    assert [v["sku"] for v in out["variants"]] == ["AT01-DEN-M"]
    with pytest.raises(NotFound):
        await shop("check_stock", CUSTOMER, sku="AT01-TRANG-L")
    staff = await shop("check_stock", SALES, sku="AT01-TRANG-L")
    assert staff["variants"][0]["active"] is False
    await shop("update_product", code="AT01", active=False)
    with pytest.raises(NotFound):
        await shop("check_stock", CUSTOMER, product_code="AT01")


async def test_check_stock_needs_one_reference(shop: Caller) -> None:
    with pytest.raises(InvalidInput):
        await shop("check_stock")
    with pytest.raises(NotFound) as err:
        await shop("check_stock", sku="NOPE")
    assert err.value.field == "sku"


# ------------------------------------------------------------------------------ adjust_stock


async def test_adjust_by_delta_and_set_to_keeps_ledger_in_sync(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    out = await shop(
        "adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="hcm", delta=5, note="found a box"
    )
    assert (out["change"], out["on_hand"], out["available"]) == (5, 15, 15)
    out = await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HCM", delta=-4)
    assert out["on_hand"] == 11
    out = await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HN", set_to=7)
    assert (out["change"], out["on_hand"]) == (5, 7)
    same = await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HN", set_to=7)
    assert same["change"] == 0
    assert await ledger_mismatches(db) == []
    ledger = await shop("stock_ledger", sku="AT01-DEN-M")
    assert [(r["reason"], r["delta_on_hand"], r["warehouse_code"]) for r in ledger["rows"][:3]] == [
        ("adjustment", 5, "HN"),
        ("adjustment", -4, "HCM"),
        ("adjustment", 5, "HCM"),
    ]
    assert ledger["rows"][2]["note"] == "found a box"
    assert ledger["rows"][0]["actor"] == "warehouse:3"


async def test_adjust_cannot_remove_reserved_stock(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    await reserve_stock(db, "AT01-DEN-M", "HCM", 8)
    before = await count_rows(db, *STOCK_WRITES)
    with pytest.raises(InsufficientStock) as err:
        await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HCM", delta=-3)
    assert "reserved" in err.value.message
    assert err.value.details["removable"] == 2
    with pytest.raises(InsufficientStock) as err:
        await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HCM", set_to=5)
    assert err.value.field == "set_to"
    assert await count_rows(db, *STOCK_WRITES) == before
    ok = await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HCM", set_to=8)
    assert (ok["on_hand"], ok["reserved"], ok["available"]) == (8, 8, 0)
    assert await ledger_mismatches(db) == []


async def test_damaged_writes_off_and_only_removes(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    with pytest.raises(InvalidInput):
        await shop(
            "adjust_stock",
            KEEPER,
            sku="AT01-DEN-M",
            warehouse_code="HCM",
            delta=2,
            reason="damaged",
        )
    out = await shop(
        "adjust_stock",
        KEEPER,
        sku="AT01-DEN-M",
        warehouse_code="HCM",
        delta=-2,
        reason="damaged",
        note="ướt",
    )
    assert out["on_hand"] == 8

    async def write_offs(ctx: ToolContext) -> list[tuple[int, int, str]]:
        rows = await ctx.tx.session.execute(
            select(StockWriteOff.quantity, StockWriteOff.unit_cost, StockWriteOff.note)
        )
        return [(q, cost, note) for q, cost, note in rows]

    assert await in_tx(db, write_offs) == [(2, 90_000, "ướt")]
    [row] = (await shop("stock_ledger", sku="AT01-DEN-M", limit=1))["rows"]
    assert (row["reason"], row["ref_type"], row["delta_on_hand"]) == ("damaged", "write_off", -2)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"delta": 1, "set_to": 3}, "delta"),
        ({}, "delta"),
        ({"delta": 0}, "delta"),
        ({"set_to": -1}, "set_to"),
        ({"delta": 1, "reason": "shipment"}, "reason"),
    ],
)
async def test_adjust_input_errors_name_the_field(
    shop: Caller, args: dict[str, int | str], field: str
) -> None:
    await make_stocked_shop(shop)
    with pytest.raises(InvalidInput) as err:
        await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HCM", **args)
    assert err.value.field == field


async def test_adjust_unknown_or_inactive_warehouse(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    with pytest.raises(NotFound) as err:
        await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="DN", delta=1)
    assert err.value.field == "warehouse_code"

    async def close_hn(ctx: ToolContext) -> None:
        await ctx.tx.session.execute(
            update(Warehouse).where(Warehouse.code == "HN").values(active=False)
        )

    await in_tx(db, close_hn)
    with pytest.raises(InvalidInput) as err2:
        await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HN", delta=1)
    assert err2.value.code == "warehouse_inactive"


# ---------------------------------------------------------------------------- transfer_stock


async def test_transfer_moves_available_stock_with_linked_ledger_rows(
    shop: Caller, db: Database
) -> None:
    await make_stocked_shop(shop)
    out = await shop(
        "transfer_stock",
        KEEPER,
        sku="AT01-DEN-M",
        from_warehouse_code="HCM",
        to_warehouse_code="hn",
        quantity=4,
    )
    assert (out["from_warehouse"]["on_hand"], out["to_warehouse"]["on_hand"]) == (6, 6)
    rows = (await shop("stock_ledger", sku="AT01-DEN-M", limit=2))["rows"]
    assert {(r["reason"], r["warehouse_code"], r["delta_on_hand"]) for r in rows} == {
        ("transfer_out", "HCM", -4),
        ("transfer_in", "HN", 4),
    }
    assert {(r["ref_type"], r["ref_id"]) for r in rows} == {("transfer", out["transfer_ref"])}
    out_row = next(r for r in rows if r["reason"] == "transfer_out")
    assert out_row["id"] == out["transfer_ref"]
    # A second transfer gets its own reference.
    again = await shop(
        "transfer_stock",
        KEEPER,
        sku="AT01-DEN-M",
        from_warehouse_code="HN",
        to_warehouse_code="HCM",
        quantity=1,
    )
    assert again["transfer_ref"] != out["transfer_ref"]
    assert (await level(shop, "AT01-DEN-M", "HCM"))["on_hand"] == 7
    assert await ledger_mismatches(db) == []


async def test_transfer_leaves_reserved_and_held_stock(shop: Caller, db: Database) -> None:
    await make_stocked_shop(shop)
    await reserve_stock(db, "AT01-DEN-M", "HCM", 6)
    await hold_stock(db, "AT01-DEN-M", "HCM", 1)
    before = await count_rows(db, *STOCK_WRITES)
    with pytest.raises(InsufficientStock) as err:
        await shop(
            "transfer_stock",
            KEEPER,
            sku="AT01-DEN-M",
            from_warehouse_code="HCM",
            to_warehouse_code="HN",
            quantity=4,
        )
    assert err.value.details["available"] == 3
    assert err.value.field == "quantity"
    assert await count_rows(db, *STOCK_WRITES) == before
    await shop(
        "transfer_stock",
        KEEPER,
        sku="AT01-DEN-M",
        from_warehouse_code="HCM",
        to_warehouse_code="HN",
        quantity=3,
    )
    hcm = await level(shop, "AT01-DEN-M", "HCM")
    assert (hcm["on_hand"], hcm["reserved"], hcm["available"]) == (7, 6, 0)
    assert await ledger_mismatches(db) == []


async def test_transfer_refuses_same_warehouse_and_bad_quantity(shop: Caller) -> None:
    await make_stocked_shop(shop)
    with pytest.raises(InvalidInput) as err:
        await shop(
            "transfer_stock",
            KEEPER,
            sku="AT01-DEN-M",
            from_warehouse_code="HCM",
            to_warehouse_code="hcm",
            quantity=1,
        )
    assert (err.value.code, err.value.field) == ("same_warehouse", "to_warehouse_code")
    with pytest.raises(InvalidInput) as err:
        await shop(
            "transfer_stock",
            KEEPER,
            sku="AT01-DEN-M",
            from_warehouse_code="HCM",
            to_warehouse_code="HN",
            quantity=0,
        )
    assert err.value.field == "quantity"
    with pytest.raises(NotFound) as err2:
        await shop(
            "transfer_stock",
            KEEPER,
            sku="AT01-DEN-M",
            from_warehouse_code="XX",
            to_warehouse_code="HN",
            quantity=1,
        )
    assert err2.value.field == "from_warehouse_code"


# ------------------------------------------------------------------------------ stock_ledger


async def test_ledger_filters_by_warehouse_and_limits(shop: Caller) -> None:
    await make_stocked_shop(shop)
    for d in (1, 2, 3):
        await shop("adjust_stock", KEEPER, sku="AT01-DEN-M", warehouse_code="HN", delta=d)
    hn = await shop("stock_ledger", SALES, sku="AT01-DEN-M", warehouse_code="HN", limit=2)
    assert [r["delta_on_hand"] for r in hn["rows"]] == [3, 2]
    all_rows = await shop("stock_ledger", sku="AT01-DEN-M", limit=200)
    assert len(all_rows["rows"]) == 5  # two opening rows and three adjustments
    assert {r["warehouse_code"] for r in all_rows["rows"]} == {"HCM", "HN"}


# ------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("actor", [SALES, ACCOUNTANT, CUSTOMER])
async def test_only_warehouse_roles_change_stock(shop: Caller, actor: Actor) -> None:
    await make_stocked_shop(shop)
    with pytest.raises(PermissionDenied):
        await shop("adjust_stock", actor, sku="AT01-DEN-M", warehouse_code="HCM", delta=1)
    with pytest.raises(PermissionDenied):
        await shop(
            "transfer_stock",
            actor,
            sku="AT01-DEN-M",
            from_warehouse_code="HCM",
            to_warehouse_code="HN",
            quantity=1,
        )


async def test_customers_cannot_read_the_ledger(shop: Caller) -> None:
    await make_stocked_shop(shop)
    with pytest.raises(PermissionDenied):
        await shop("stock_ledger", CUSTOMER, sku="AT01-DEN-M")
