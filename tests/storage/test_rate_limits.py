"""storage.rate_limits: counting per window, and old windows forgotten as new ones count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import rate_limits
from storage.database import Database
from storage.models import RateCounter

HOUR = timedelta(hours=1)
NOW = datetime(2026, 1, 2, 10, tzinfo=UTC)


async def test_hits_count_per_key_and_window(db: Database) -> None:
    async with db.transaction() as tx:
        assert await rate_limits.add_hit(tx, "s", "k", NOW, forget_before=NOW - HOUR) == 1
        assert await rate_limits.add_hit(tx, "s", "k", NOW, forget_before=NOW - HOUR) == 2
        assert await rate_limits.add_hit(tx, "s", "other", NOW, forget_before=NOW - HOUR) == 1
    async with db.transaction(write=False) as tx:
        assert await rate_limits.hits(tx, "s", "k", NOW) == 2
        assert await rate_limits.hits(tx, "s", "k", NOW + HOUR) == 0


async def test_windows_long_past_are_deleted_as_new_ones_count(db: Database) -> None:
    old = NOW - 3 * HOUR
    async with db.transaction() as tx:
        await rate_limits.add_hit(tx, "s", "k", old, forget_before=old - HOUR)
        await rate_limits.add_hit(tx, "s", "k", NOW, forget_before=NOW - HOUR)
    async with db.transaction(write=False) as tx:
        starts = list(await tx.session.scalars(select(RateCounter.window_start)))
    assert starts == [NOW]  # aware UTC on both databases
