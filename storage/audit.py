"""The audit log: one row per tool call (who, which tool, from where, how it ended), written
on the fast path since every call writes one, and read back newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Integer, String, bindparam, insert, select

from storage.base import Json, UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql
from storage.models import AuditEntry


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


_INSERT_AUDIT = Sql(
    insert(AuditEntry).values(
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
)


async def add_entry(tx: Tx, entry: NewAuditEntry) -> None:
    await (await tx.raw()).execute(_INSERT_AUDIT, entry)


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
