"""Attempt limits kept in the database: they hold across server processes and restarts.

A fixed window per key: the first hit in a window inserts the counter, later ones add one in
the same statement (an upsert), so concurrent callers never lose a hit. Counters of windows
long past are deleted as new ones are written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import TooManyRequests
from storage.models import RateCounter
from tools.context import ToolContext


def window_start(at: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, tz=UTC)


async def add_hit(ctx: ToolContext, scope: str, key: str, window: timedelta) -> int:
    """Counts one hit of ``key`` in the current window; returns the window's count so far."""
    start = window_start(ctx.now, window)
    await ctx.session.execute(
        delete(RateCounter).where(
            RateCounter.scope == scope, RateCounter.window_start < start - window
        )
    )
    dialect_insert = postgresql.insert if ctx.tx.dialect == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(RateCounter)
        .values(scope=scope, key=key, window_start=start, count=1)
        .on_conflict_do_update(
            index_elements=["scope", "key", "window_start"],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )
    return int((await ctx.session.execute(stmt)).scalar_one())


async def hits(ctx: ToolContext, scope: str, key: str, window: timedelta) -> int:
    """The current window's count for ``key`` without adding to it."""
    found = await ctx.session.scalar(
        select(RateCounter.count).where(
            RateCounter.scope == scope,
            RateCounter.key == key,
            RateCounter.window_start == window_start(ctx.now, window),
        )
    )
    return int(found or 0)


def too_many(ctx: ToolContext, window: timedelta, what: str) -> TooManyRequests:
    """The refusal once a limit is reached, saying when the window ends."""
    ends = window_start(ctx.now, window) + window
    wait = max(1, int((ends - ctx.now).total_seconds()))
    return TooManyRequests(
        f"Too many {what}; please try again in {max(1, wait // 60)} minutes.",
        details={"retry_after_seconds": wait},
    )
