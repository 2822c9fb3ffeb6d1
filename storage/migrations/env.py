"""Alembic environment: runs migrations on our async engine (SQLite inline or asyncpg)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

import storage.models  # noqa: F401  (registers every table)
from storage.base import Base
from storage.database import Database

config = context.config
target_metadata = Base.metadata


def _record(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    """Which steps ran, from which revisions: ``shopbot db upgrade`` says created or upgraded."""
    config.attributes.setdefault("applied", []).append(tuple(step.source_revision_ids))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
        on_version_apply=_record,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    db = Database(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with db.engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await db.dispose()


def _offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> Any:
    if context.is_offline_mode():
        return _offline()
    existing = config.attributes.get("connection")
    if existing is not None:
        return _run(existing)
    return asyncio.run(_online())


main()
