"""What the stock tools read (levels for display, the ledger, a product's variants) and the two
small writes that belong to a stock change but not to the locking core (storage.stock_levels /
tools.stock_ops): a damaged-goods write-off and the link between a transfer's ledger rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from storage.database import Tx
from storage.models import Product, StockLevel, StockMove, StockWriteOff, Variant, Warehouse
from storage.stock_levels import held_by_live_quotes


@dataclass(frozen=True, slots=True)
class LevelRow:
    """One stock row of an active warehouse as it is now, with every live quote hold on it."""

    variant_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    holds: int
    warehouse_code: str
    warehouse_name: str


async def active_levels(tx: Tx, variant_ids: Iterable[int]) -> list[LevelRow]:
    """Stock rows of these variants in active warehouses, unlocked (for display and search),
    in (variant_id, warehouse_id) order."""
    vids = sorted(set(variant_ids))
    if not vids:
        return []
    q = (
        select(
            StockLevel.variant_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            held_by_live_quotes,
            Warehouse.code,
            Warehouse.name,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.variant_id.in_(vids), Warehouse.active.is_(True))
        .order_by(StockLevel.variant_id, StockLevel.warehouse_id)
    )
    rows = await tx.session.execute(q, {"now": tx.now, "quote_id": 0})
    return [
        LevelRow(vid, wid, on_hand, reserved, int(held), code, name)
        for vid, wid, on_hand, reserved, held, code, name in rows
    ]


async def product_of(tx: Tx, variant: Variant) -> Product:
    return await tx.session.get_one(Product, variant.product_id)


async def product_by_code(tx: Tx, code: str) -> Product | None:
    """The product with this code, ignoring case (sellers type codes as they remember them)."""
    q = select(Product).where(func.lower(Product.code) == code.lower())
    return (await tx.session.execute(q)).scalars().first()


async def variants_of(tx: Tx, product_id: int, *, active_only: bool) -> list[Variant]:
    q = select(Variant).where(Variant.product_id == product_id).order_by(Variant.id)
    if active_only:
        q = q.where(Variant.active.is_(True))
    return list((await tx.session.execute(q)).scalars())


@dataclass(frozen=True, slots=True)
class LedgerRow:
    id: int
    created_at: datetime
    warehouse_code: str
    delta_on_hand: int
    delta_reserved: int
    reason: str
    ref_type: str | None
    ref_id: int | None
    note: str
    actor: str


async def ledger(
    tx: Tx, variant_id: int, *, warehouse_id: int | None, limit: int
) -> list[LedgerRow]:
    """The newest ``limit`` ledger rows of a variant, in one warehouse or all."""
    q = (
        select(StockMove, Warehouse.code)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .where(StockMove.variant_id == variant_id)
        .order_by(StockMove.id.desc())
        .limit(limit)
    )
    if warehouse_id is not None:
        q = q.where(StockMove.warehouse_id == warehouse_id)
    return [
        LedgerRow(
            m.id,
            m.created_at,
            code,
            m.delta_on_hand,
            m.delta_reserved,
            m.reason,
            m.ref_type,
            m.ref_id,
            m.note,
            m.actor,
        )
        for m, code in (await tx.session.execute(q)).all()
    ]


async def record_write_off(
    tx: Tx, *, variant_id: int, warehouse_id: int, quantity: int, unit_cost: int, note: str
) -> int:
    """Keeps the value of goods written off as damaged (for reports); returns its id, which
    the ledger row refers to."""
    write_off = StockWriteOff(
        variant_id=variant_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        unit_cost=unit_cost,
        ref_type="adjustment",
        note=note,
        created_at=tx.now,
    )
    tx.session.add(write_off)
    await tx.session.flush()
    return write_off.id


async def link_transfer_rows(tx: Tx, variant_id: int) -> int:
    """Gives both ledger rows of this transfer the id of its transfer_out row as ref_id.

    There is no transfer table; the out row's id is the transfer's reference. Rows still
    without a ref are this call's own: every transfer links its rows before commit, and the
    variant's levels stay locked until then.
    """
    rows = (
        await tx.session.execute(
            select(StockMove.id, StockMove.reason).where(
                StockMove.variant_id == variant_id,
                StockMove.ref_type == "transfer",
                StockMove.ref_id.is_(None),
            )
        )
    ).all()
    ref: int = next(i for i, reason in rows if reason == "transfer_out")
    await tx.session.execute(
        update(StockMove).where(StockMove.id.in_([i for i, _ in rows])).values(ref_id=ref)
    )
    return ref
