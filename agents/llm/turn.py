"""One customer turn as the tools see it: who is asking, what they were shown, what happened.

``TurnDeps`` is the LangGraph runtime context of a turn: tools and middleware read the actor
from it, so the customer's identity never passes through the model. It also collects what the
turn did (quotes shown, the order placed, a handoff) for the responder to turn into a reply.

``ToolExecutor`` runs an offered tool: the human-in-the-loop guards, then the tool runner as
the turn's actor. The guards live here, next to the call, so no middleware order or prompt can
skip them:

* place_order needs the quote_token of the quote shown to the customer BEFORE their latest
  message (a quote made in this same turn has not been seen yet), and that latest message
  must be a confirmation (``agents.llm.intent.is_confirmation``);
* cancel_order needs the latest message to ask for a cancellation.

A refusal is a DomainError, which the tool guard middleware returns to the model as a tool
message it can act on (ask the customer to confirm, quote again).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from pydantic import BaseModel

from agents.llm.intent import asks_to_cancel, is_confirmation
from agents.llm.memory import ShownQuote
from agents.llm.toolset import HANDOFF_TOOL, AgentTool
from core.errors import Conflict
from core.roles import Actor
from tools.order_models import OrderOut
from tools.payments import PaymentDetailsOut
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.agents.llm")

MAX_STRING = 400  # long product descriptions are cut in tool results
SURFACE = "agent"


@dataclasses.dataclass
class TurnDeps:
    """The runtime context of one turn (invisible to the model)."""

    actor: Actor
    conversation_id: int
    channel: str
    language: str
    latest_text: str
    system_prompt: str
    shown_quote: ShownQuote | None = None
    # Filled while the turn runs:
    quotes: list[ShownQuote] = dataclasses.field(default_factory=list)
    placed: OrderOut | None = None
    payment: PaymentDetailsOut | None = None  # shown after the answer (account, QR code)
    handoff: bool = False
    executed: list[tuple[str, bool]] = dataclasses.field(default_factory=list)
    last_quote_all_available: bool = False
    invalid_call_ids: dict[str, str] = dataclasses.field(default_factory=dict)
    model_calls: int = 0  # HTTP requests to the LLM, retries included
    model_steps: int = 0  # model calls of the agent loop (the step limit), retries not


def compact(result: BaseModel | dict[str, Any]) -> str:
    """A tool result as compact JSON for the model: no nulls, long strings cut."""
    data = (
        result.model_dump(mode="json", exclude_none=True)
        if isinstance(result, BaseModel)
        else result
    )
    return json.dumps(_trim(data), ensure_ascii=False, separators=(",", ":"))


def _trim(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trim(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "…"
    return value


def error_content(error: dict[str, Any]) -> str:
    return json.dumps({"error": error}, ensure_ascii=False, separators=(",", ":"))


class ToolExecutor:
    """Runs offered registry tools for a turn, behind the confirmation guards."""

    def __init__(self, runner: ToolRunner) -> None:
        self.runner = runner

    def fixed_args(self, name: str, args: dict[str, Any], deps: TurnDeps) -> dict[str, Any]:
        """Arguments set by code, never by the model."""
        if name == "place_order" and args.get("quote_token"):
            # A retried place_order for the same quote returns the order already placed.
            return {
                "idempotency_key": f"agent:{deps.conversation_id}:{args['quote_token']}",
                "channel": deps.channel,  # where the customer is, not what the model says
            }
        if name == HANDOFF_TOOL:
            return {"conversation_id": deps.conversation_id}
        return {}

    def guard(self, name: str, parsed: BaseModel, deps: TurnDeps) -> None:
        if name == "place_order":
            token = getattr(parsed, "quote_token", None)
            shown = deps.shown_quote
            if shown is None or token != shown.token:
                raise Conflict(
                    "Only the quote the customer was shown before their latest message can be "
                    "placed. Call quote_order, show the customer the summary (items, VAT, "
                    "shipping fee, COD total) and wait for their yes.",
                    field="quote_token",
                    code="quote_not_shown",
                )
            if not is_confirmation(deps.latest_text):
                raise Conflict(
                    "The customer's latest message is not a confirmation. Do not place the "
                    "order: show the summary again if needed and ask them to confirm.",
                    field="quote_token",
                    code="confirmation_required",
                )
        elif name == "cancel_order" and not asks_to_cancel(deps.latest_text):
            raise Conflict(
                "The customer did not ask to cancel. Cancel only when they ask; ask them first.",
                field="number",
                code="cancel_not_requested",
            )

    async def run(self, at: AgentTool, args: dict[str, Any], deps: TurnDeps) -> str:
        """Validates (registry model), guards, runs as the turn's actor, records the outcome.
        DomainErrors propagate to the tool guard middleware, which tells the model."""
        parsed = at.validate(args, self.fixed_args(at.name, args, deps))
        self.guard(at.name, parsed, deps)
        result = await self.runner.call(at.name, parsed, deps.actor, surface=SURFACE)
        content = compact(result)
        self.record(at.name, result, content, deps)
        return content

    @staticmethod
    def record(name: str, result: BaseModel, content: str, deps: TurnDeps) -> None:
        deps.executed.append((name, True))
        if name == "quote_order":
            token = getattr(result, "quote_token", "")
            deps.quotes.append(ShownQuote(token=token, summary=content))
            deps.last_quote_all_available = bool(getattr(result, "all_available", False))
        elif name == "place_order" and isinstance(result, OrderOut):
            deps.placed = result
        elif name == "get_payment_details" and isinstance(result, PaymentDetailsOut):
            deps.payment = result
        elif name == HANDOFF_TOOL:
            deps.handoff = True

    async def local_handoff(self, args: dict[str, Any], deps: TurnDeps) -> str:
        """The agent's own handoff when the registry has no request_handoff tool: it only
        flags the turn; the conversation service switches the conversation to a person."""
        deps.handoff = True
        deps.executed.append(("request_human", True))
        log.info(
            "conversation %s: handoff requested (%s)",
            deps.conversation_id,
            str(args.get("reason", ""))[:200],
        )
        return compact({"ok": True, "next": "A person from the shop will answer here."})
