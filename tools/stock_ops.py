"""Every change of stock goes through here: a conditional UPDATE, a ledger row, an outbox event.

Rules that keep stock right under any concurrency (docs/stock.md):
* Changes are arithmetic in the database (``on_hand = on_hand + :d``) guarded by a WHERE that
  refuses to go below zero or below the reserved quantity, plus CHECK constraints behind it.
* Rows are locked in one global order, (variant_id, warehouse_id), so two transactions never
  wait on each other in a cycle. ``lock_levels`` takes the locks (``FOR UPDATE`` on PostgreSQL;
  SQLite has one writer at a time already) and reads a snapshot that stays true until commit.
* The ledger row is written in the same transaction, so the ledger always sums to on_hand
  and reserved.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, func, insert, select, update

from core.errors import InsufficientStock, NotFound
from storage.base import UTCDateTime
from storage.fastsql import Sql
from storage.models import StockHold, StockLevel, StockMove, Variant, Warehouse
from tools.context import ToolContext

held_by_live_quotes = (
    select(func.coalesce(func.sum(StockHold.quantity), 0))
    .where(
        StockHold.variant_id == StockLevel.variant_id,
        StockHold.warehouse_id == StockLevel.warehouse_id,
        StockHold.expires_at > bindparam("now", type_=UTCDateTime),
        StockHold.quote_id != bindparam("quote_id", type_=Integer),
    )
    .scalar_subquery()
)


@functools.cache
def _lock_levels_sql(count: int) -> Sql:
    """One statement per arity: the variants' levels in every active warehouse, locked in
    (variant_id, warehouse_id) order."""
    ids = [bindparam(f"v{i}", type_=Integer) for i in range(count)]
    return Sql(
        select(
            StockLevel.variant_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            held_by_live_quotes,
            Warehouse.kind,
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.variant_id.in_(ids), Warehouse.active.is_(True))
        .order_by(StockLevel.variant_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel)
    )


_d_on_hand = bindparam("d_on_hand", type_=Integer)
_d_reserved = bindparam("d_reserved", type_=Integer)
UPDATE_LEVEL = Sql(
    update(StockLevel)
    .where(
        and_(
            StockLevel.variant_id == bindparam("variant_id", type_=Integer),
            StockLevel.warehouse_id == bindparam("warehouse_id", type_=Integer),
            StockLevel.on_hand + _d_on_hand >= 0,
            StockLevel.reserved + _d_reserved >= 0,
            StockLevel.on_hand + _d_on_hand >= StockLevel.reserved + _d_reserved,
        )
    )
    .values(on_hand=StockLevel.on_hand + _d_on_hand, reserved=StockLevel.reserved + _d_reserved)
    .returning(StockLevel.on_hand, StockLevel.reserved)
)
INSERT_MOVE = Sql(
    insert(StockMove).values(
        variant_id=bindparam("variant_id", type_=Integer),
        warehouse_id=bindparam("warehouse_id", type_=Integer),
        delta_on_hand=bindparam("d_on_hand", type_=Integer),
        delta_reserved=bindparam("d_reserved", type_=Integer),
        reason=bindparam("reason", type_=String),
        ref_type=bindparam("ref_type", type_=String),
        ref_id=bindparam("ref_id", type_=Integer),
        note=bindparam("note", type_=String),
        actor=bindparam("actor", type_=String),
        created_at=bindparam("created_at", type_=UTCDateTime),
    )
)
SELECT_LEVEL = Sql(
    select(StockLevel.on_hand, StockLevel.reserved).where(
        StockLevel.variant_id == bindparam("variant_id", type_=Integer),
        StockLevel.warehouse_id == bindparam("warehouse_id", type_=Integer),
    )
)


@dataclass(frozen=True, slots=True)
class Level:
    variant_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    held: int  # by other customers' live quotes
    kind: str = "main"  # the warehouse's kind, for the allocation rule

    @property
    def available(self) -> int:
        """What can still be promised: not reserved and not held by someone else's quote."""
        return max(0, self.on_hand - self.reserved - self.held)


@dataclass(frozen=True, slots=True)
class Move:
    variant_id: int
    warehouse_id: int
    d_on_hand: int = 0
    d_reserved: int = 0
    reason: str = "adjustment"
    ref_type: str | None = None
    ref_id: int | None = None
    note: str = ""


async def lock_levels(
    ctx: ToolContext, variant_ids: Iterable[int], *, quote_id: int = 0
) -> dict[tuple[int, int], Level]:
    """Locks and reads every active warehouse's level of these variants, in lock order."""
    sql = await ctx.sql()
    vids = sorted(set(variant_ids))
    out: dict[tuple[int, int], Level] = {}
    if not vids:
        return out
    params: dict[str, Any] = {f"v{i}": v for i, v in enumerate(vids)}
    params.update(now=ctx.now, quote_id=quote_id)
    for vid, wid, on_hand, reserved, held, kind in await sql.fetch(
        _lock_levels_sql(len(vids)), params
    ):
        out[(vid, wid)] = Level(vid, wid, on_hand, reserved, int(held), kind)
    return out


async def apply_moves(ctx: ToolContext, moves: Sequence[Move]) -> list[tuple[int, int]]:
    """Applies the moves in lock order; all or nothing (a refusal raises and the call rolls back).

    Returns the new (on_hand, reserved) for each move, in the order given.
    """
    sql = await ctx.sql()
    order = sorted(range(len(moves)), key=lambda i: (moves[i].variant_id, moves[i].warehouse_id))
    results: list[tuple[int, int] | None] = [None] * len(moves)
    short: list[dict[str, int]] = []
    for i in order:
        m = moves[i]
        if m.d_on_hand == 0 and m.d_reserved == 0:
            continue
        params = {
            "variant_id": m.variant_id,
            "warehouse_id": m.warehouse_id,
            "d_on_hand": m.d_on_hand,
            "d_reserved": m.d_reserved,
        }
        rows: list[tuple[Any, ...]] | None = await sql.fetch(UPDATE_LEVEL, params)
        if not rows:
            rows = await _missing_or_short(ctx, m, short)
            if rows is None:
                continue
        results[i] = (rows[0][0], rows[0][1])
    if short:
        raise InsufficientStock(
            "Not enough stock for: " + ", ".join(f"variant {s['variant_id']}" for s in short),
            field="quantity",
            details={"lines": short},
        )
    await sql.execute_many(
        INSERT_MOVE,
        [
            {
                "variant_id": m.variant_id,
                "warehouse_id": m.warehouse_id,
                "d_on_hand": m.d_on_hand,
                "d_reserved": m.d_reserved,
                "reason": m.reason,
                "ref_type": m.ref_type,
                "ref_id": m.ref_id,
                "note": m.note,
                "actor": ctx.actor.label,
                "created_at": ctx.now,
            }
            for m in moves
            if m.d_on_hand or m.d_reserved
        ],
    )
    for m, res in zip(moves, results, strict=True):
        if m.d_on_hand > m.d_reserved:  # more available than before
            ctx.freed_variants.add(m.variant_id)
        if res is not None:
            ctx.emit(
                "stock.changed",
                f"variant:{m.variant_id}",
                {
                    "variant_id": m.variant_id,
                    "warehouse_id": m.warehouse_id,
                    "on_hand": res[0],
                    "reserved": res[1],
                    "available": res[0] - res[1],
                    "reason": m.reason,
                },
            )
    return [r if r is not None else (0, 0) for r in results]


async def _missing_or_short(
    ctx: ToolContext, m: Move, short: list[dict[str, int]]
) -> list[tuple[int, int]] | None:
    """Tells a refused update apart: the level row is missing (create it) or stock is short."""
    sql = await ctx.sql()
    current = await sql.fetch(
        SELECT_LEVEL, {"variant_id": m.variant_id, "warehouse_id": m.warehouse_id}
    )
    if not current:
        await ensure_levels(ctx, [m.variant_id], [m.warehouse_id])
        rows = await sql.fetch(
            UPDATE_LEVEL,
            {
                "variant_id": m.variant_id,
                "warehouse_id": m.warehouse_id,
                "d_on_hand": m.d_on_hand,
                "d_reserved": m.d_reserved,
            },
        )
        if rows:
            return [(rows[0][0], rows[0][1])]
        current = [(0, 0)]
    on_hand, reserved = current[0]
    short.append(
        {
            "variant_id": m.variant_id,
            "warehouse_id": m.warehouse_id,
            "on_hand": on_hand,
            "reserved": reserved,
            "available": on_hand - reserved,
            "change_on_hand": m.d_on_hand,
            "change_reserved": m.d_reserved,
        }
    )
    return None


async def ensure_levels(
    ctx: ToolContext, variant_ids: Iterable[int], warehouse_ids: Iterable[int]
) -> None:
    """Creates zero rows for missing (variant, warehouse) pairs, so later updates find a row."""
    vids, wids = sorted(set(variant_ids)), sorted(set(warehouse_ids))
    if not vids or not wids:
        return
    s = ctx.session
    existing = set(
        await s.execute(
            select(StockLevel.variant_id, StockLevel.warehouse_id).where(
                StockLevel.variant_id.in_(vids), StockLevel.warehouse_id.in_(wids)
            )
        )
    )
    missing = [
        {"variant_id": v, "warehouse_id": w, "on_hand": 0, "reserved": 0}
        for v in vids
        for w in wids
        if (v, w) not in existing
    ]
    if missing:
        await s.execute(insert(StockLevel), missing)


async def warehouse_ids(ctx: ToolContext, *, active_only: bool = True) -> list[int]:
    q = select(Warehouse.id).order_by(Warehouse.id)
    if active_only:
        q = q.where(Warehouse.active.is_(True))
    return list((await ctx.session.execute(q)).scalars())


async def get_warehouse(
    ctx: ToolContext, warehouse_id: int | None = None, code: str | None = None
) -> Warehouse:
    q = select(Warehouse)
    if warehouse_id is not None:
        q = q.where(Warehouse.id == warehouse_id)
    elif code is not None:
        q = q.where(Warehouse.code == code)
    else:
        raise NotFound(
            "Name a warehouse by id or code.", field="warehouse", code="unknown_warehouse"
        )
    found = (await ctx.session.execute(q)).scalar_one_or_none()
    if found is None:
        raise NotFound(
            f"Warehouse {warehouse_id if warehouse_id is not None else code} does not exist.",
            field="warehouse_id" if warehouse_id is not None else "warehouse_code",
            code="unknown_warehouse",
        )
    return found


async def variant_by_sku(ctx: ToolContext, sku: str, *, field: str = "sku") -> Variant:
    found = (
        await ctx.session.execute(select(Variant).where(Variant.sku == sku.strip()))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"There is no product with SKU '{sku}'.", field=field, code="unknown_sku")
    return found
