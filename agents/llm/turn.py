"""One agent turn as the tools see it: who is asking, and what happened.

Shared by the customer agent (agents/llm/responder.py, surface ``agent``) and the staff agent
(agents/staff/assistant.py, surface ``staff_agent``): each builds its own ``ToolExecutor``
with its surface.

``TurnDeps`` is what one turn carries through the loop (agents.llm.loop): the tool guard and
the executor read the actor from it, so the customer's identity never passes through the
model. It also collects what the turn did (a card proposed, payment details fetched, a
handoff, the amounts tools returned) for the responder to turn into a reply and to check the
model's text against.

``ToolExecutor`` runs an offered tool as the turn's actor. A tool that needs the customer's
confirmation (place_order, cancel_order: ``Tool.needs_confirmation``) is never run here: it is
proposed (``ToolRunner.propose``), which stores the exact arguments and renders a card; the
turn then ends with that card, and the action runs only when the customer confirms it
(agents/conversation.py). Nothing a model says can confirm it: confirmation is the
customer's button press, or their own typed yes to that card.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any

from pydantic import BaseModel

from agents.llm.reply_check import amounts_of
from agents.llm.toolset import HANDOFF_TOOL, AgentTool
from core.consent import Verdict, read_cancel_request
from core.errors import Conflict
from core.roles import Actor
from tools.payments import PaymentDetailsOut
from tools.pending import Proposal
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.agents.llm")

MAX_STRING = 400  # long product descriptions are cut in tool results
SURFACE = "agent"


@dataclasses.dataclass
class TurnDeps:
    """The runtime context of one turn (invisible to the model)."""

    actor: Actor
    conversation_id: int | None  # None: the staff agent (a staff member has no conversation)
    channel: str
    language: str
    latest_text: str
    system_prompt: str
    # The turn's time budget: a loop.time() deadline, and the cap on any one model call.
    deadline: float = float("inf")
    call_timeout: float = 60.0
    # Filled while the turn runs:
    proposal: Proposal | None = None  # the card to show; the turn ends with it
    payment: PaymentDetailsOut | None = None  # shown after the answer (account, QR code)
    handoff: bool = False
    executed: list[tuple[str, bool]] = dataclasses.field(default_factory=list)
    amounts: set[int] = dataclasses.field(default_factory=set)  # đồng amounts tools returned
    invalid_call_ids: dict[str, str] = dataclasses.field(default_factory=dict)
    model_calls: int = 0  # HTTP requests to the LLM, retries included
    model_steps: int = 0  # model calls of the agent loop (the step limit), retries not

    def remaining(self) -> float:
        return self.deadline - asyncio.get_running_loop().time()

    @property
    def succeeded(self) -> frozenset[str]:
        return frozenset(name for name, ok in self.executed if ok)


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
    """A refusal for the model: code, message and field. Details stay out (they may list
    internal role names or constraint names), except the short lines of a stock refusal,
    which the model needs to offer what is there."""
    out = {k: error[k] for k in ("code", "message", "field") if error.get(k) is not None}
    lines = (error.get("details") or {}).get("lines")
    if error.get("code") == "insufficient_stock" and lines:
        out["short"] = lines
    return json.dumps({"error": out}, ensure_ascii=False, separators=(",", ":"))


class ToolExecutor:
    """Runs offered registry tools for a turn; proposes the ones that need a card."""

    def __init__(self, runner: ToolRunner, *, surface: str = SURFACE) -> None:
        self.runner = runner
        self.surface = surface  # an agent surface: confirmable tools are only proposed on it

    def fixed_args(self, name: str, args: dict[str, Any], deps: TurnDeps) -> dict[str, Any]:
        """Arguments set by code, never by the model."""
        if name == "place_order":
            return {"channel": deps.channel}  # where the customer is, not what the model says
        if name == HANDOFF_TOOL:
            return {"conversation_id": deps.conversation_id}
        return {}

    def guard(self, name: str, parsed: BaseModel, deps: TurnDeps) -> None:
        """A card the customer said not to want is not even shown: "đừng hủy đơn" is no
        reason to offer a cancellation."""
        if name == "cancel_order" and read_cancel_request(deps.latest_text).verdict is Verdict.NO:
            raise Conflict(
                "The customer asked NOT to cancel. Do not cancel; reassure them.",
                field="number",
                code="cancel_not_requested",
            )

    def parse(self, at: AgentTool, args: dict[str, Any], deps: TurnDeps) -> BaseModel:
        """The registry's input model from the model's arguments and the code-fixed ones.
        Raises pydantic's ValidationError or a DomainError (an argument not offered, a card
        the customer said not to want): the tool guard tells the model."""
        parsed = at.validate(args, self.fixed_args(at.name, args, deps))
        self.guard(at.name, parsed, deps)
        return parsed

    async def run(self, at: AgentTool, parsed: BaseModel, deps: TurnDeps) -> str:
        """Runs or proposes ``parsed`` (from ``parse``) as the turn's actor, records the
        outcome. DomainErrors propagate to the tool guard, which tells the model."""
        if at.tool.needs_confirmation:
            proposal = await self.runner.propose(
                at.name,
                parsed,
                deps.actor,
                conversation_id=deps.conversation_id,
                surface=self.surface,
            )
            deps.proposal = proposal
            deps.executed.append((f"propose:{at.name}", True))
            deps.amounts.update(proposal.card.amounts())
            return compact({"card_shown": True})
        result = await self.runner.call(at.name, parsed, deps.actor, surface=self.surface)
        content = compact(result)
        self.record(at.name, result, deps)
        return content

    @staticmethod
    def record(name: str, result: BaseModel, deps: TurnDeps) -> None:
        deps.executed.append((name, True))
        deps.amounts.update(amounts_of(result.model_dump(mode="json")))
        if name == "get_payment_details" and isinstance(result, PaymentDetailsOut):
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
