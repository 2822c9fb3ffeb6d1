"""Results of write-tool calls made with an idempotency key (tools/idempotency.py), kept in
the call's transaction so a retry gets the first answer back. Fast path: a keyed call reads
once and writes once."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import String, bindparam, insert, select

from storage.base import Json, UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql, json_object
from storage.models import ToolResult


class StoredResult(NamedTuple):
    actor: str  # only the same caller may replay it
    request_hash: str  # the same key for another request is refused
    result: dict[str, Any]


_SELECT_RESULT = Sql(
    select(ToolResult.actor, ToolResult.request_hash, ToolResult.result).where(
        ToolResult.tool == bindparam("tool", type_=String),
        ToolResult.key == bindparam("key", type_=String),
    )
)
_INSERT_RESULT = Sql(
    insert(ToolResult).values(
        tool=bindparam("tool", type_=String),
        key=bindparam("key", type_=String),
        actor=bindparam("actor", type_=String),
        request_hash=bindparam("hash", type_=String),
        result=bindparam("result", type_=Json),
        created_at=bindparam("at", type_=UTCDateTime),
    )
)


async def stored_result(tx: Tx, tool: str, key: str) -> StoredResult | None:
    """What the call of ``tool`` with idempotency ``key`` answered, if it was made."""
    rows = await (await tx.raw()).fetch(_SELECT_RESULT, {"tool": tool, "key": key})
    if not rows:
        return None
    actor, digest, result = rows[0]
    return StoredResult(actor, digest, json_object(result))


async def store_result(
    tx: Tx, tool: str, key: str, *, actor: str, request_hash: str, result: dict[str, Any]
) -> None:
    """Keeps the answer of the call of ``tool`` with ``key``, at ``tx.now``."""
    await (await tx.raw()).execute(
        _INSERT_RESULT,
        {
            "tool": tool,
            "key": key,
            "actor": actor,
            "hash": request_hash,
            "result": result,
            "at": tx.now,
        },
    )
