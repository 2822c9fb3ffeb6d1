"""Stocktakes and their count lines: loading (optionally locked), the open one of a warehouse,
what is in stock there but not counted yet, and the stock rows an apply reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from core.stocktake_status import OPEN
from storage.database import Tx
from storage.models import Product, StockLevel, Stocktake, StocktakeLine, Variant, Warehouse


async def get(tx: Tx, stocktake_id: int, *, lock: bool = False) -> Stocktake | None:
    """The stocktake, locked when it is about to change (two counts or applies take turns)."""
    q = select(Stocktake).where(Stocktake.id == stocktake_id)
    if lock:
        q = q.with_for_update()
    return (await tx.session.execute(q)).scalar_one_or_none()


async def open_in(tx: Tx, warehouse_id: int) -> int | None:
    """The id of the warehouse's open stocktake, if there is one."""
    return await tx.session.scalar(
        select(Stocktake.id).where(Stocktake.warehouse_id == warehouse_id, Stocktake.status == OPEN)
    )


async def add(tx: Tx, stocktake: Stocktake) -> Stocktake:
    """Stores a new stocktake and gives it its id."""
    tx.session.add(stocktake)
    await tx.session.flush()
    return stocktake


async def lines_of(tx: Tx, stocktake_id: int) -> list[StocktakeLine]:
    """The count lines, in the order they were first recorded."""
    q = (
        select(StocktakeLine)
        .where(StocktakeLine.stocktake_id == stocktake_id)
        .order_by(StocktakeLine.id)
    )
    return list((await tx.session.execute(q)).scalars())


def add_line(tx: Tx, line: StocktakeLine) -> None:
    tx.session.add(line)


async def on_hand_in(tx: Tx, warehouse_id: int, variant_ids: Sequence[int]) -> dict[int, int]:
    """on_hand of these variants in the warehouse now (missing: no stock row)."""
    rows = await tx.session.execute(
        select(StockLevel.variant_id, StockLevel.on_hand).where(
            StockLevel.warehouse_id == warehouse_id, StockLevel.variant_id.in_(variant_ids)
        )
    )
    return {vid: int(on_hand) for vid, on_hand in rows.all()}


async def lock_levels_in(
    tx: Tx, warehouse_id: int, variant_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """(on_hand, reserved) of these variants in one warehouse, locked.

    For the rows the stock core's ``lock_levels`` leaves out of its snapshot (an inactive
    warehouse); the caller has already locked the variants' other rows in the global order.
    """
    rows = await tx.session.execute(
        select(StockLevel.variant_id, StockLevel.on_hand, StockLevel.reserved)
        .where(StockLevel.warehouse_id == warehouse_id, StockLevel.variant_id.in_(variant_ids))
        .with_for_update()
    )
    return {v: (oh, rs) for v, oh, rs in rows.all()}


@dataclass(frozen=True, slots=True)
class StockedVariant:
    """A variant with stock in a warehouse, as a stocktake lists what is left to count."""

    variant_id: int
    sku: str
    options: dict[str, str]
    product_name: str
    on_hand: int


async def stocked_in(tx: Tx, warehouse_id: int) -> list[StockedVariant]:
    """Variants with units on hand in the warehouse, by SKU."""
    rows = await tx.session.execute(
        select(Variant.id, Variant.sku, Variant.options, Product.name, StockLevel.on_hand)
        .join(Product, Product.id == Variant.product_id)
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .where(StockLevel.warehouse_id == warehouse_id, StockLevel.on_hand > 0)
        .order_by(Variant.sku)
    )
    return [
        StockedVariant(vid, sku, options or {}, pname, on_hand)
        for vid, sku, options, pname, on_hand in rows.all()
    ]


class StocktakeInWarehouse(NamedTuple):
    stocktake: Stocktake
    warehouse_code: str


async def newest(
    tx: Tx, *, warehouse_code: str | None, status: str | None, limit: int
) -> list[StocktakeInWarehouse]:
    """Stocktakes newest first, optionally of one warehouse or in one status."""
    q = (
        select(Stocktake, Warehouse.code)
        .join(Warehouse, Warehouse.id == Stocktake.warehouse_id)
        .order_by(Stocktake.id.desc())
        .limit(limit)
    )
    if warehouse_code is not None:
        q = q.where(Warehouse.code == warehouse_code)
    if status is not None:
        q = q.where(Stocktake.status == status)
    return [StocktakeInWarehouse(st, code) for st, code in (await tx.session.execute(q)).all()]
