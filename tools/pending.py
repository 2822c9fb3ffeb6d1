"""Consent by code: a tool that moves stock or money on someone's behalf runs only after that
person confirmed a card rendered from its exact arguments.

The registry marks such tools (``@tool(..., confirm=builder)``). Called by an agent, the LLM
or the button flow, the runner does not run them: ``ToolRunner.propose`` calls the tool's card
builder, which returns the arguments that will run (place_order: the token of a quote that
carries the buyer's details, so nothing a model adds later changes them) and the card; both
are stored as a pending action with its actor, conversation and expiry. ``ToolRunner.decide``
runs it when the same person confirms that card, exactly once (a conditional UPDATE claims
the row in the tool's own transaction), with exactly those arguments; a repeated confirmation
is answered with the stored result. A new card in the same conversation supersedes the open
one, so a yes can only ever mean the latest card the person was shown.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from core.cards import CardField, CardKind, CardLine, CardTotals, ConfirmationCard
from core.errors import Conflict, DomainError
from core.money import format_vnd
from storage.pending import (
    PendingRow,
    PendingStatus,
    get_pending,
    insert_pending,
    record_result,
    settle,
    supersede_open,
)
from tools.context import ToolContext
from tools.registry import Tool

# Surfaces on which a confirmable tool may only be proposed, never called: the customer's
# agents (LLM "agent", button flow "chat:<channel>") and the staff agent.
AGENT_SURFACES = ("agent", "chat", "staff_agent")


def agent_surface(surface: str) -> bool:
    return surface.startswith(AGENT_SURFACES)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a card builder returns: the arguments that run on confirmation, and the card."""

    args: BaseModel
    kind: CardKind
    title: str = ""
    lines: list[CardLine] = dataclasses.field(default_factory=list)
    totals: CardTotals | None = None
    fields: list[CardField] = dataclasses.field(default_factory=list)
    expires_at: datetime | None = None  # default: the shop's hold time from now


class Proposal(BaseModel):
    """A stored pending action and the card to show for it."""

    token: str
    card: ConfirmationCard


@dataclasses.dataclass(frozen=True)
class Decided:
    """What became of a decision on a card. ``status``: done (ran now, or ``replayed`` when it
    had run before), cancelled, superseded, expired or failed (``error`` says why)."""

    token: str
    tool: str
    status: PendingStatus
    result: BaseModel | None = None
    error: DomainError | None = None
    replayed: bool = False
    conversation_id: int | None = None
    args: dict[str, Any] = dataclasses.field(default_factory=dict)


async def record_proposal(
    ctx: ToolContext,
    t: Tool[Any, Any],
    prepared: Prepared,
    *,
    conversation_id: int | None,
    surface: str,
) -> Proposal:
    """Stores the pending action (superseding the person's open one in this conversation)."""
    token = secrets.token_urlsafe(9)
    expires = prepared.expires_at or ctx.now + timedelta(minutes=ctx.config.hold_minutes)
    card = ConfirmationCard(
        token=token,
        tool=t.name,
        kind=prepared.kind,
        title=prepared.title,
        lines=prepared.lines,
        totals=prepared.totals,
        fields=prepared.fields,
        expires_at=expires,
    )
    await supersede_open(ctx.tx, actor=ctx.actor.label, conversation_id=conversation_id)
    await insert_pending(
        ctx.tx,
        token=token,
        tool=t.name,
        args=prepared.args.model_dump(mode="json", exclude_unset=True),
        card=card.model_dump(mode="json"),
        actor=ctx.actor.label,
        conversation_id=conversation_id,
        surface=surface,
        expires_at=expires,
    )
    return Proposal(token=token, card=card)


async def claim(ctx: ToolContext, token: str, output_model: type[BaseModel]) -> BaseModel | None:
    """Marks the action done in the transaction that runs it. Returns the stored result when
    it already ran (a double tap); raises when it can no longer run."""
    if await settle(ctx.tx, token, PendingStatus.DONE):
        return None
    row = await get_pending(ctx.tx, token)
    if row is not None and row.status is PendingStatus.DONE and row.result is not None:
        return output_model.model_validate(row.result)
    raise Conflict(
        "This card can no longer be confirmed; ask for a new one.",
        field="token",
        code="card_not_pending",
    )


async def remember_result(ctx: ToolContext, token: str, result: BaseModel) -> None:
    await record_result(ctx.tx, token, result.model_dump(mode="json"))


# Arguments that are amounts of money (integer đồng): a card shows them as 85.000₫.
MONEY_FIELDS = frozenset({"amount", "unit_cost", "unit_price", "price", "cost", "shipping_fee"})


def generic_card(title: str) -> Any:
    """A card builder for tools whose arguments speak for themselves (staff stock and money
    tools: SKUs, warehouse codes, quantities, amounts): every given argument as a labelled
    field, amounts in đồng, run exactly as given."""

    async def build(ctx: ToolContext, inp: BaseModel) -> Prepared:
        return Prepared(args=inp, kind=CardKind.GENERIC, title=title, fields=card_fields(inp))

    return build


def card_fields(inp: BaseModel) -> list[CardField]:
    """Every given argument of ``inp`` as a field (the idempotency key is a handle, not a
    choice the person makes, and is left out)."""
    out = []
    for key, value in inp.model_dump(mode="json", exclude_unset=True, exclude_none=True).items():
        if key == "idempotency_key":
            continue
        out.append(CardField(key=key, value=_plain(value, key)))
    return out


def _plain(value: Any, key: str = "") -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v, k)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_plain(v, key) for v in value)
    if key in MONEY_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return format_vnd(value)
    return str(value)


__all__ = [
    "AGENT_SURFACES",
    "Decided",
    "PendingRow",
    "PendingStatus",
    "Prepared",
    "Proposal",
    "agent_surface",
    "card_fields",
    "claim",
    "generic_card",
    "record_proposal",
    "remember_result",
]
