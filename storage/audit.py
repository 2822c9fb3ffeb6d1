"""The audit log: one row per tool call (who, which tool, from where, how it ended), written
on the fast path since every call writes one, and read back newest first.

A write call's row is its transaction's last statement, and the outbox events the call queued
go with it: in one statement on PostgreSQL (a round trip saved on every write call), a batch
and a row on SQLite."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Integer, String, bindparam, insert, select

from storage import outbox
from storage.base import Json, UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql
from storage.models import AuditEntry
from storage.outbox import NewEvent


class NewAuditEntry(TypedDict):
    at: datetime
    actor: str
    role: str
    tool: str
    surface: str
    args: dict[str, Any]  # already redacted and shrunk by the caller
    outcome: str  # "ok", "proposed", "replayed" or the error code
    error: str | None
    duration_ms: int


_audit_insert = insert(AuditEntry).values(
    at=bindparam("at", type_=UTCDateTime),
    actor=bindparam("actor", type_=String),
    role=bindparam("role", type_=String),
    tool=bindparam("tool", type_=String),
    surface=bindparam("surface", type_=String),
    args=bindparam("args", type_=Json),
    outcome=bindparam("outcome", type_=String),
    error=bindparam("error", type_=String),
    duration_ms=bindparam("duration_ms", type_=Integer),
)


_INSERT_AUDIT = Sql(_audit_insert)


@functools.cache
def _insert_with_events_pg(count: int) -> Sql:
    return Sql(_audit_insert.add_cte(outbox.events_insert_pg(count).cte("e")))


async def add_entry(tx: Tx, entry: NewAuditEntry, events: Sequence[NewEvent] = ()) -> None:
    """Writes the audit row, and the outbox ``events`` of the call (created at ``tx.now``)."""
    fast = await tx.raw()
    if events and tx.dialect == "postgresql" and len(events) <= outbox.FOLD_MAX:
        params: dict[str, Any] = {**entry}
        outbox.bind_events(params, events, tx.now)
        await fast.execute(_insert_with_events_pg(len(events)), params)
        return
    await outbox.add_events(tx, events)
    await fast.execute(_INSERT_AUDIT, entry)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """An audit row as listed (the arguments and error stay in the table)."""

    id: int
    at: datetime
    actor: str
    role: str
    tool: str
    surface: str
    outcome: str


async def latest(tx: Tx, limit: int) -> list[AuditLine]:
    """The last ``limit`` calls, newest first."""
    rows = await tx.session.execute(
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor,
            AuditEntry.role,
            AuditEntry.tool,
            AuditEntry.surface,
            AuditEntry.outcome,
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [AuditLine(*r) for r in rows]
