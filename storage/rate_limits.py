"""Attempt counters per (scope, key, fixed window), kept in the database so limits hold across
processes and restarts (tools/rate_limits.py decides the windows and the refusals)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage.database import Tx
from storage.fastsql import dialect_insert
from storage.models import RateCounter


async def add_hit(tx: Tx, scope: str, key: str, start: datetime, *, forget_before: datetime) -> int:
    """Counts one hit of ``key`` in the window starting at ``start``; returns the window's
    count so far. The first hit inserts the counter, later ones add one in the same statement
    (an upsert), so concurrent callers never lose a hit. The scope's counters of windows that
    started before ``forget_before`` are deleted on the way."""
    await tx.session.execute(
        delete(RateCounter).where(
            RateCounter.scope == scope, RateCounter.window_start < forget_before
        )
    )
    stmt = (
        dialect_insert(tx.dialect)(RateCounter)
        .values(scope=scope, key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=["scope", "key", "window_start"],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )
    return int((await tx.session.execute(stmt)).scalar_one())


async def hits(tx: Tx, scope: str, key: str, start: datetime) -> int:
    """The count of ``key`` in the window starting at ``start``, without adding to it."""
    found = await tx.session.scalar(
        select(RateCounter.count).where(
            RateCounter.scope == scope,
            RateCounter.key == key,
            RateCounter.window_start == start,
        )
    )
    return int(found or 0)


__all__ = ["add_hit", "hits"]
