"""Write tools a retry must not repeat: receiving goods, recording a payment, moving stock.

Chat platforms re-deliver a message that took too long to answer (Telegram after about 60 s),
HTTP clients retry after a timeout, and a person presses a button twice. A tool whose input
model inherits ``Idempotent`` takes an optional ``idempotency_key``; the runner (not the tool)
then answers a repeat of the same request by the same caller with the first call's result,
stored with it in the same transaction, and does nothing else. The same key with another
request, or from another caller, is refused naming the field: a reused key is a bug in the
caller, and guessing which request was meant would be worse.

place_order has its own key (kept with the order, see tools/orders/placing.py): the order itself is
the answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import String, bindparam, insert, select

from core.errors import Conflict
from storage.base import Json, UTCDateTime
from storage.fastsql import Sql
from storage.models import ToolResult
from tools.context import ToolContext

KEY_HELP = (
    "Optional: any unique string for this one action (e.g. a UUID). A retry with the same key "
    "returns the first result instead of doing it twice."
)

SELECT_RESULT = Sql(
    select(ToolResult.actor, ToolResult.request_hash, ToolResult.result).where(
        ToolResult.tool == bindparam("tool", type_=String),
        ToolResult.key == bindparam("key", type_=String),
    )
)
INSERT_RESULT = Sql(
    insert(ToolResult).values(
        tool=bindparam("tool", type_=String),
        key=bindparam("key", type_=String),
        actor=bindparam("actor", type_=String),
        request_hash=bindparam("hash", type_=String),
        result=bindparam("result", type_=Json),
        created_at=bindparam("at", type_=UTCDateTime),
    )
)


class Idempotent(BaseModel):
    """Mixin for a tool's input model: the runner makes its calls safe to retry."""

    idempotency_key: str | None = Field(
        default=None, min_length=8, max_length=100, pattern=r"^[!-~]+$", description=KEY_HELP
    )


def request_hash(parsed: BaseModel) -> str:
    body = parsed.model_dump(mode="json", exclude={"idempotency_key"})
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def replay(
    ctx: ToolContext, tool: str, parsed: Idempotent, output_model: type[BaseModel]
) -> BaseModel | None:
    """The stored result of an earlier call with this key, or None for a first call."""
    rows = await (await ctx.sql()).fetch(
        SELECT_RESULT, {"tool": tool, "key": parsed.idempotency_key}
    )
    if not rows:
        return None
    actor, digest, result = rows[0]
    if actor != ctx.actor.label or digest != request_hash(parsed):
        raise Conflict(
            "This idempotency key was already used for another request; use a new key for "
            "each action.",
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    data: dict[str, Any] = json.loads(result) if isinstance(result, str | bytes) else result
    return output_model.model_validate(data)


async def remember(ctx: ToolContext, tool: str, parsed: Idempotent, result: BaseModel) -> None:
    await (await ctx.sql()).execute(
        INSERT_RESULT,
        {
            "tool": tool,
            "key": parsed.idempotency_key,
            "actor": ctx.actor.label,
            "hash": request_hash(parsed),
            "result": result.model_dump(mode="json"),
            "at": ctx.now,
        },
    )
