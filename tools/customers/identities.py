"""The channel helper: the customer behind a channel identity, made on first contact."""

from __future__ import annotations

from core.errors import InvalidInput
from storage import customers as stored
from storage.models import Customer
from tools.context import ToolContext
from tools.customers.records import (
    _search_text,
    survivor_id,
)
from tools.customers.schemas import (
    CHANNELS,
)


async def customer_for_identity(
    ctx: ToolContext, channel: str, external_id: str, display_name: str = ""
) -> int:
    """The customer behind a channel account, created on first contact (not a tool).

    Channels call this for every inbound message, before acting as ``Actor.customer(id)``.
    It follows merges, and two first messages racing on PostgreSQL end with one customer:
    the identity insert does nothing on conflict, and the loser removes its fresh row.
    """
    ext = external_id.strip()
    if channel not in CHANNELS:
        raise InvalidInput(f"Unknown channel '{channel}'.", field="channel", code="invalid_channel")
    if not ext or len(ext) > 128:
        raise InvalidInput("A channel account id is 1 to 128 characters.", field="external_id")
    # Every inbound message asks this; the usual answer is one statement on the fast path.
    known = await stored.unmerged_identity_owner(ctx.tx, channel, ext)
    if known is not None:
        return known
    name = " ".join(display_name.split())[:200]
    found = await _identity_owner(ctx, channel, ext)
    if found is not None:
        return found
    fresh = await stored.new_customer(ctx.tx, name, _search_text(Customer(name=name)), ctx.now)
    if await stored.register_identity(ctx.tx, fresh, channel, ext, name, ctx.now):
        return fresh
    # Another transaction registered this account first: use its customer.
    await stored.forget_new_customer(ctx.tx, fresh)
    winner = await _identity_owner(ctx, channel, ext)
    if winner is None:  # pragma: no cover - the conflicting row is committed by now
        raise RuntimeError("identity conflict without an owner")
    return winner


async def _identity_owner(ctx: ToolContext, channel: str, external_id: str) -> int | None:
    owner = await stored.identity_owner(ctx.tx, channel, external_id)
    return await survivor_id(ctx, owner) if owner is not None else None
