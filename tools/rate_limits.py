"""Attempt limits kept in the database: they hold across server processes and restarts.

A fixed window per key, counted by storage.rate_limits (an upsert, so concurrent callers
never lose a hit). Counters of windows long past are deleted as new ones are written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.errors import TooManyRequests
from storage import rate_limits as counters
from tools.context import ToolContext


def window_start(at: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, tz=UTC)


async def add_hit(ctx: ToolContext, scope: str, key: str, window: timedelta) -> int:
    """Counts one hit of ``key`` in the current window; returns the window's count so far."""
    start = window_start(ctx.now, window)
    return await counters.add_hit(ctx.tx, scope, key, start, forget_before=start - window)


async def hits(ctx: ToolContext, scope: str, key: str, window: timedelta) -> int:
    """The current window's count for ``key`` without adding to it."""
    return await counters.hits(ctx.tx, scope, key, window_start(ctx.now, window))


def too_many(ctx: ToolContext, window: timedelta, what: str) -> TooManyRequests:
    """The refusal once a limit is reached, saying when the window ends."""
    ends = window_start(ctx.now, window) + window
    wait = max(1, int((ends - ctx.now).total_seconds()))
    return TooManyRequests(
        f"Too many {what}; please try again in {max(1, wait // 60)} minutes.",
        details={"retry_after_seconds": wait},
    )
