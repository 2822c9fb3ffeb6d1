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

from pydantic import BaseModel, Field

from core.errors import Conflict
from storage import tool_results
from tools.context import ToolContext

KEY_HELP = (
    "Optional: any unique string for this one action (e.g. a UUID). A retry with the same key "
    "returns the first result instead of doing it twice."
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
    assert parsed.idempotency_key is not None
    stored = await tool_results.stored_result(ctx.tx, tool, parsed.idempotency_key)
    if stored is None:
        return None
    if stored.actor != ctx.actor.label or stored.request_hash != request_hash(parsed):
        raise Conflict(
            "This idempotency key was already used for another request; use a new key for "
            "each action.",
            field="idempotency_key",
            code="idempotency_key_reused",
        )
    return output_model.model_validate(stored.result)


async def remember(ctx: ToolContext, tool: str, parsed: Idempotent, result: BaseModel) -> None:
    assert parsed.idempotency_key is not None
    await tool_results.store_result(
        ctx.tx,
        tool,
        parsed.idempotency_key,
        actor=ctx.actor.label,
        request_hash=request_hash(parsed),
        result=result.model_dump(mode="json"),
    )
