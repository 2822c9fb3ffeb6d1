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
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
    update,
)

from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql
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


@functools.cache
def _names(count: int) -> tuple[str, ...]:
    """The bind names of an id list of this length (v0, v1, ...), built once per length."""
    return tuple(f"v{i}" for i in range(count))


def _ids(count: int) -> list[Any]:
    return [bindparam(n, type_=Integer) for n in _names(count)]


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


_d_on_hand = bindparam("d_on_hand", type_=Integer)
_d_reserved = bindparam("d_reserved", type_=Integer)
_UPDATE_LEVEL = Sql(
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
    params: dict[str, Any] = dict(zip(_names(len(variant_ids)), variant_ids, strict=True))
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
    params: dict[str, Any] = dict(zip(_names(len(variant_ids)), variant_ids, strict=True))
    params["now"] = tx.now
    params["quote_id"] = quote_id
    rows = await sql.fetch(_live_holds_sql(len(variant_ids)), params)
    return {(v, w): (int(total), int(own)) for v, w, total, own in rows}


async def row_counts(tx: Tx, variant_ids: Sequence[int]) -> dict[int, int]:
    """How many stock rows each of these variants has (one without rows is absent)."""
    sql = await tx.raw()
    params = dict(zip(_names(len(variant_ids)), variant_ids, strict=True))
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


_MOVE_FIELDS = (
    ("v", "variant_id", "BIGINT", BigInteger),
    ("w", "warehouse_id", "BIGINT", BigInteger),
    ("a", "d_on_hand", "INTEGER", Integer),
    ("b", "d_reserved", "INTEGER", Integer),
    ("r", "reason", "VARCHAR", String),
    ("t", "ref_type", "VARCHAR", String),
    ("f", "ref_id", "BIGINT", BigInteger),
    ("o", "note", "TEXT", Text),
)


@functools.cache
def _change_with_ledger_sql(count: int) -> Sql:
    """PostgreSQL: every change of a call and its ledger rows in one statement. The rows are
    locked already (in the global order, by lock_rows), so the UPDATE takes no new lock; the
    ledger is written only if every row took its change (else the caller sorts out the rest
    and writes the ledger itself, or the call is refused and rolls back)."""
    rows = ", ".join(
        "("
        + ", ".join(f"CAST(:{p}{i} AS {sql_type})" for p, _, sql_type, _ in _MOVE_FIELDS)
        + f", {i})"
        for i in range(count)
    )
    cols = ", ".join(name for _, name, _, _ in _MOVE_FIELDS)
    stmt = text(
        f"WITH v ({cols}, n) AS (VALUES {rows}), "
        "u AS (UPDATE stock_levels AS s SET on_hand = s.on_hand + v.d_on_hand, "
        "reserved = s.reserved + v.d_reserved FROM v "
        "WHERE s.variant_id = v.variant_id AND s.warehouse_id = v.warehouse_id "
        "AND s.on_hand + v.d_on_hand >= 0 AND s.reserved + v.d_reserved >= 0 "
        "AND s.on_hand + v.d_on_hand >= s.reserved + v.d_reserved "
        "RETURNING s.variant_id, s.warehouse_id, s.on_hand, s.reserved), "
        "m AS (INSERT INTO stock_moves (variant_id, warehouse_id, delta_on_hand, delta_reserved, "
        "reason, ref_type, ref_id, note, actor, created_at) "
        "SELECT v.variant_id, v.warehouse_id, v.d_on_hand, v.d_reserved, v.reason, v.ref_type, "
        "v.ref_id, v.note, CAST(:actor AS VARCHAR), CAST(:created_at AS TIMESTAMPTZ) FROM v "
        "WHERE (SELECT count(*) FROM u) = :count ORDER BY v.n RETURNING 1) "
        "SELECT u.variant_id, u.warehouse_id, u.on_hand, u.reserved, "
        "(SELECT count(*) FROM m) FROM u"
    ).bindparams(
        *(
            bindparam(f"{p}{i}", type_=sa_type)
            for i in range(count)
            for p, _, _, sa_type in _MOVE_FIELDS
        ),
        bindparam("actor", type_=String),
        bindparam("created_at", type_=UTCDateTime),
        bindparam("count", type_=Integer),
    )
    return Sql(stmt)


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
    for i, m in enumerate(moves):
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
    "ensure_rows",
    "has_row_locks",
    "held_by_live_quotes",
    "insert_moves",
    "level_of",
    "live_holds",
    "lock_rows",
    "row_counts",
]
