"""Warehouses: creating one, listing them with their stock totals, and the row lock that makes
warehouse-wide steps (opening a stocktake) take turns."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import func, select

from storage.database import Tx
from storage.models import StockLevel, Variant, Warehouse


async def by_code(tx: Tx, codes: Collection[str] | None = None) -> dict[str, Warehouse]:
    """Warehouses by code, inactive ones too (the caller says what is wrong with one);
    ``codes`` None: every warehouse."""
    stmt = select(Warehouse)
    if codes is not None:
        if not codes:
            return {}
        stmt = stmt.where(Warehouse.code.in_(list(codes)))
    return {w.code: w for w in (await tx.session.scalars(stmt))}


async def by_id(tx: Tx, warehouse_id: int) -> Warehouse | None:
    found: Warehouse | None = await tx.session.scalar(
        select(Warehouse).where(Warehouse.id == warehouse_id)
    )
    return found


async def ids(tx: Tx, *, active_only: bool) -> list[int]:
    """Warehouse ids ascending, of the active ones or of all."""
    q = select(Warehouse.id).order_by(Warehouse.id)
    if active_only:
        q = q.where(Warehouse.active.is_(True))
    return list(await tx.session.scalars(q))


async def code_taken(tx: Tx, code: str) -> bool:
    return bool(await tx.session.scalar(select(func.count()).where(Warehouse.code == code)))


async def add(tx: Tx, warehouse: Warehouse) -> Warehouse:
    """Stores a new warehouse and gives it its id (its stock rows refer to it)."""
    tx.session.add(warehouse)
    await tx.session.flush()
    return warehouse


async def all_variant_ids(tx: Tx) -> list[int]:
    """Every variant, active or not: a new warehouse gets a stock row for each."""
    return list((await tx.session.execute(select(Variant.id))).scalars().all())


class WarehouseTotals(NamedTuple):
    warehouse: Warehouse
    on_hand: int
    reserved: int


async def with_totals(tx: Tx, *, include_inactive: bool) -> list[WarehouseTotals]:
    """Warehouses by id with their units on hand and reserved (0 for one without stock rows)."""
    q = (
        select(
            Warehouse,
            func.coalesce(func.sum(StockLevel.on_hand), 0),
            func.coalesce(func.sum(StockLevel.reserved), 0),
        )
        .outerjoin(StockLevel, StockLevel.warehouse_id == Warehouse.id)
        .group_by(Warehouse.id)
        .order_by(Warehouse.id)
    )
    if not include_inactive:
        q = q.where(Warehouse.active.is_(True))
    rows = (await tx.session.execute(q)).all()
    return [WarehouseTotals(w, int(oh), int(rs)) for w, oh, rs in rows]


async def lock(tx: Tx, warehouse_id: int) -> None:
    """Locks the warehouse's row (FOR UPDATE on PostgreSQL; SQLite has one writer anyway), so
    two callers of a warehouse-wide step take turns."""
    await tx.session.execute(
        select(Warehouse.id).where(Warehouse.id == warehouse_id).with_for_update()
    )
