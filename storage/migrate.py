"""Schema management: the schema comes only from Alembic migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config

from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


Outcome = Literal["created", "upgraded", "up to date"]


def upgrade(url: str, revision: str = "head") -> Outcome:
    """Runs in a thread-free, loop-free context (Alembic's env starts its own event loop).

    Says what it did: the schema was made from nothing, moved forward, or already current."""
    cfg = alembic_config(url)
    command.upgrade(cfg, revision)
    applied: list[tuple[str, ...]] = cfg.attributes.get("applied", [])
    if not applied:
        return "up to date"
    return "created" if not applied[0] else "upgraded"


async def upgrade_async(url: str, revision: str = "head") -> Outcome:
    """For callers already inside an event loop (tests, the server's start-up)."""
    return await asyncio.to_thread(upgrade, url, revision)


async def current_revision(db: Database) -> str | None:
    from sqlalchemy import text

    async with db.engine.connect() as conn:
        try:
            row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
        except Exception:
            return None
        return row[0] if row else None
