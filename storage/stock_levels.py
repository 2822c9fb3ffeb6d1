"""The statements of every stock change: lock and read the rows, count live holds, change a
level by arithmetic in the database, write the ledger, create missing rows.

tools.stock_ops decides when and in what order (the global lock order, the snapshot, what a
refusal means); this module only runs the SQL. It is the order hot path: statements are
compiled once per dialect and arity (storage.fastsql) and results are plain ints and tuples.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    Text,
    bindparam,
    case,
    column,
    func,
    insert,
    select,
    update,
    values,
)

from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql, in_binds, in_params
from storage.models import StockHold, StockLevel, StockMove, Warehouse

# Units held by live quote holds on a stock row, excluding one quote's own (quote_id 0: none):
# a correlated subquery for reads that show availability (storage.stock_queries). It counts
# what live_holds counts for a locked read.
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


def _ids(count: int) -> list[Any]:
    return in_binds("v", count, Integer)


@functools.cache
def _lock_rows_sql(count: int, skip_locked: bool) -> Sql:
    """One statement per arity: every warehouse's row of the variants (inactive ones too, so a
    later update never locks a row this statement left out), locked in (variant_id,
    warehouse_id) order."""
    return Sql(
        select(
            StockLevel.variant_id,
            StockLevel.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            Warehouse.kind,
            Warehouse.active,
            StockLevel.holds_until > bindparam("now", type_=UTCDateTime),
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.variant_id.in_(_ids(count)))
        .order_by(StockLevel.variant_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel, skip_locked=skip_locked)
    )


@functools.cache
def _live_holds_sql(count: int) -> Sql:
    own = bindparam("quote_id", type_=Integer)
    return Sql(
        select(
            StockHold.variant_id,
            StockHold.warehouse_id,
            func.sum(StockHold.quantity),
            func.sum(case((StockHold.quote_id == own, StockHold.quantity), else_=0)),
        )
        .where(
            StockHold.variant_id.in_(_ids(count)),
            StockHold.expires_at > bindparam("now", type_=UTCDateTime),
        )
        .group_by(StockHold.variant_id, StockHold.warehouse_id)
    )


@functools.cache
def _row_counts_sql(count: int) -> Sql:
    return Sql(
        select(StockLevel.variant_id, func.count())
        .where(StockLevel.variant_id.in_(_ids(count)))
        .group_by(StockLevel.variant_id)
    )


def _change(d_on_hand: Any, d_reserved: Any) -> tuple[list[ColumnElement[bool]], dict[str, Any]]:
    """The one rule of a stock change, for every statement that makes one: arithmetic in the
    database, refused (the row left as it was) below zero or below what is reserved."""
    guard = [
        StockLevel.on_hand + d_on_hand >= 0,
        StockLevel.reserved + d_reserved >= 0,
        StockLevel.on_hand + d_on_hand >= StockLevel.reserved + d_reserved,
    ]
    values = {
        "on_hand": StockLevel.on_hand + d_on_hand,
        "reserved": StockLevel.reserved + d_reserved,
    }
    return guard, values


_guard, _values = _change(
    bindparam("d_on_hand", type_=Integer), bindparam("d_reserved", type_=Integer)
)
_UPDATE_LEVEL = Sql(
    update(StockLevel)
    .where(
        StockLevel.variant_id == bindparam("variant_id", type_=Integer),
        StockLevel.warehouse_id == bindparam("warehouse_id", type_=Integer),
        *_guard,
    )
    .values(_values)
    .returning(StockLevel.on_hand, StockLevel.reserved)
)
_INSERT_MOVE = Sql(
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
_SELECT_LEVEL = Sql(
    select(StockLevel.on_hand, StockLevel.reserved).where(
        StockLevel.variant_id == bindparam("variant_id", type_=Integer),
        StockLevel.warehouse_id == bindparam("warehouse_id", type_=Integer),
    )
)


class LockedRow(NamedTuple):
    """A stock row as its lock found it, with its warehouse's kind and whether it is active."""

    variant_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    kind: str
    active: bool
    # holds_until is still ahead: a live hold may exist (else there is certainly none).
    maybe_held: bool


def has_row_locks(tx: Tx) -> bool:
    """Whether stock rows are locked one by one (PostgreSQL's FOR UPDATE). SQLite has one
    writer at a time: a write transaction already holds every row."""
    return tx.dialect != "sqlite"


async def lock_rows(
    tx: Tx, variant_ids: Sequence[int], *, skip_locked: bool = False
) -> list[LockedRow]:
    """Locks every row of these variants (given ascending) in (variant_id, warehouse_id)
    order and reads them; ``skip_locked`` leaves out rows another transaction holds instead
    of waiting for them."""
    sql = await tx.raw()
    params: dict[str, Any] = in_params("v", variant_ids)
    params["now"] = tx.now
    rows = await sql.fetch(_lock_rows_sql(len(variant_ids), skip_locked), params)
    return [
        LockedRow(v, w, on_hand, reserved, kind, bool(active), bool(maybe_held))
        for v, w, on_hand, reserved, kind, active, maybe_held in rows
    ]


async def live_holds(
    tx: Tx, variant_ids: Sequence[int], quote_id: int
) -> dict[tuple[int, int], tuple[int, int]]:
    """Units of live holds per (variant, warehouse): all of them, and those of ``quote_id``.

    A statement of its own, run after the rows are locked: in READ COMMITTED a statement sees
    the data of its start, so holds committed by the transaction it waited for would be missed
    if the locking statement counted them (this is how 300 concurrent quotes once held 66
    units of 12)."""
    sql = await tx.raw()
    params: dict[str, Any] = in_params("v", variant_ids)
    params["now"] = tx.now
    params["quote_id"] = quote_id
    rows = await sql.fetch(_live_holds_sql(len(variant_ids)), params)
    return {(v, w): (int(total), int(own)) for v, w, total, own in rows}


async def row_counts(tx: Tx, variant_ids: Sequence[int]) -> dict[int, int]:
    """How many stock rows each of these variants has (one without rows is absent)."""
    sql = await tx.raw()
    params = in_params("v", variant_ids)
    return {v: int(n) for v, n in await sql.fetch(_row_counts_sql(len(variant_ids)), params)}


async def change_level(
    tx: Tx, variant_id: int, warehouse_id: int, d_on_hand: int, d_reserved: int
) -> tuple[int, int] | None:
    """Adds the deltas to the row; the new (on_hand, reserved), or None when the row is
    missing or the change would break a constraint (nothing is changed then)."""
    sql = await tx.raw()
    rows = await sql.fetch(
        _UPDATE_LEVEL,
        {
            "variant_id": variant_id,
            "warehouse_id": warehouse_id,
            "d_on_hand": d_on_hand,
            "d_reserved": d_reserved,
        },
    )
    return (rows[0][0], rows[0][1]) if rows else None


async def level_of(tx: Tx, variant_id: int, warehouse_id: int) -> tuple[int, int] | None:
    """The row's (on_hand, reserved), or None when there is no row."""
    sql = await tx.raw()
    rows = await sql.fetch(_SELECT_LEVEL, {"variant_id": variant_id, "warehouse_id": warehouse_id})
    return (rows[0][0], rows[0][1]) if rows else None


class MoveRow(Protocol):
    """A ledger entry to write (tools.stock_ops.Move is one)."""

    @property
    def variant_id(self) -> int: ...
    @property
    def warehouse_id(self) -> int: ...
    @property
    def d_on_hand(self) -> int: ...
    @property
    def d_reserved(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def ref_type(self) -> str | None: ...
    @property
    def ref_id(self) -> int | None: ...
    @property
    def note(self) -> str: ...


async def insert_moves(tx: Tx, moves: Iterable[MoveRow], actor: str) -> None:
    """Writes the ledger rows in one batch, stamped with the call's time and actor."""
    sql = await tx.raw()
    now: datetime = tx.now
    await sql.execute_many(
        _INSERT_MOVE,
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
                "actor": actor,
                "created_at": now,
            }
            for m in moves
        ],
    )


# A ledger row's own columns, with the bind prefix and type of each in a multi-row statement.
_MOVE_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("v", "variant_id", BigInteger),
    ("w", "warehouse_id", BigInteger),
    ("a", "delta_on_hand", Integer),
    ("b", "delta_reserved", Integer),
    ("r", "reason", String),
    ("t", "ref_type", String),
    ("f", "ref_id", BigInteger),
    ("o", "note", Text),
)


@functools.cache
def _change_with_ledger_sql(count: int) -> Sql:
    """PostgreSQL: every change of a call and its ledger rows in one statement. The rows are
    locked already (in the global order, by lock_rows), so the UPDATE takes no new lock; the
    ledger is written only if every row took its change (else the caller sorts out the rest
    and writes the ledger itself, or the call is refused and rolls back)."""
    moves = (
        values(
            *(column(name, type_) for _, name, type_ in _MOVE_FIELDS),
            column("n", Integer),
            name="v",
        )
        .data(
            [
                (*(bindparam(f"{p}{i}", type_=t) for p, _, t in _MOVE_FIELDS), i)
                for i in range(count)
            ]
        )
        .cte("v")
    )
    guard, changed_values = _change(moves.c.delta_on_hand, moves.c.delta_reserved)
    changed = (
        update(StockLevel)
        .where(
            StockLevel.variant_id == moves.c.variant_id,
            StockLevel.warehouse_id == moves.c.warehouse_id,
            *guard,
        )
        .values(changed_values)
        .returning(
            StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved
        )
        .cte("u")
    )
    every_row_changed = select(func.count()).select_from(changed).scalar_subquery() == bindparam(
        "count", type_=Integer
    )
    ledger = (
        insert(StockMove)
        .from_select(
            [name for _, name, _ in _MOVE_FIELDS] + ["actor", "created_at"],
            select(
                *(moves.c[name] for _, name, _ in _MOVE_FIELDS),
                bindparam("actor", type_=String),
                bindparam("created_at", type_=UTCDateTime),
            )
            .where(every_row_changed)
            .order_by(moves.c.n),
        )
        .returning(StockMove.id)
        .cte("m")
    )
    return Sql(
        select(
            changed.c.variant_id,
            changed.c.warehouse_id,
            changed.c.on_hand,
            changed.c.reserved,
            select(func.count()).select_from(ledger).scalar_subquery(),
        )
    )


async def change_levels_with_ledger(
    tx: Tx, moves: Sequence[MoveRow], actor: str
) -> tuple[dict[tuple[int, int], tuple[int, int]], bool] | None:
    """Several changes (one per row: no row twice) and their ledger in one round trip, where
    that saves any (PostgreSQL; None elsewhere: SQLite's statements cost microseconds). The
    new (on_hand, reserved) of each row that took its change, and whether the ledger was
    written (only when every row did)."""
    if tx.dialect != "postgresql" or len(moves) < 2:
        return None
    params: dict[str, Any] = {"actor": actor, "created_at": tx.now, "count": len(moves)}
    for i, m in enumerate(moves):  # bind prefixes as in _MOVE_FIELDS
        params[f"v{i}"] = m.variant_id
        params[f"w{i}"] = m.warehouse_id
        params[f"a{i}"] = m.d_on_hand
        params[f"b{i}"] = m.d_reserved
        params[f"r{i}"] = m.reason
        params[f"t{i}"] = m.ref_type
        params[f"f{i}"] = m.ref_id
        params[f"o{i}"] = m.note
    sql = await tx.raw()
    rows = await sql.fetch(_change_with_ledger_sql(len(moves)), params)
    changed = {(int(r[0]), int(r[1])): (int(r[2]), int(r[3])) for r in rows}
    return changed, bool(rows) and int(rows[0][4]) == len(moves)


async def ensure_rows(tx: Tx, variant_ids: Iterable[int], warehouse_ids: Iterable[int]) -> None:
    """Creates zero rows for the missing (variant, warehouse) pairs, so later updates find a
    row."""
    vids, wids = sorted(set(variant_ids)), sorted(set(warehouse_ids))
    if not vids or not wids:
        return
    s = tx.session
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


__all__ = [
    "LockedRow",
    "MoveRow",
    "change_level",
    "change_levels_with_ledger",
    "ensure_rows",
    "has_row_locks",
    "held_by_live_quotes",
    "insert_moves",
    "level_of",
    "live_holds",
    "lock_rows",
    "row_counts",
]
