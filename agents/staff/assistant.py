"""The staff agent: free text from a staff member, answered by an LLM with the registry tools
that member's role allows.

Built from the customer agent's parts (agents/llm): the same chat model factory, turn loop
(step limit, retries, the tool guard), ``TurnDeps`` and ``ToolExecutor``, on the surface
``staff_agent``. The tools offered are the registry's, filtered by the role (the permission
table): a warehouse member's model never sees a refund tool, and a call it makes anyway goes
to the runner, which refuses it and audits the attempt. Reads run at once; a tool that moves
stock or money, books a shipment or issues an invoice (``Tool.needs_confirmation``) is only
proposed: the reply carries its card, and it runs when the staff member presses Confirm
(``StaffDesk.decide``), never on the model's word.

Each message is one turn without history: a staff request is self-contained ("nhập thêm 20
cái AT01-DEN-M vào kho HCM"), and a follow-up names what it is about. The loops (one per role, as
the offered tools differ) are built on first use and shared by all members.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage

from agents.llm.config import LLMConfig
from agents.llm.loop import AgentLoop
from agents.llm.responder import chat_model, failure_reason, llm_http_client
from agents.llm.tool_guard import ToolGuard
from agents.llm.toolset import AgentTool, role_tools, tool_definitions
from agents.llm.turn import ToolExecutor, TurnDeps
from agents.staff.commands import run_command
from agents.staff.consent import confirm_card
from agents.staff.desk import DeskReply, StaffDesk
from agents.staff.labels import Lang
from agents.types import AgentUnavailable
from core.roles import Actor, Role
from prompts import render
from tools.registry import Tool
from tools.runner import ToolRunner, may_hold_blobs

log = logging.getLogger("shopbot.agents.staff")

SURFACE = "staff_agent"
CHANNEL = "manual"  # an order a staff member has the agent place was typed in by staff


def not_for_chat(t: Tool[Any, Any]) -> bool:
    """Tools that take files (catalogue imports, product images) are for the page and API."""
    return may_hold_blobs(t.input_model)  # type: ignore[arg-type]


class StaffAgent:
    def __init__(
        self,
        config: LLMConfig,
        runner: ToolRunner,
        *,
        model: BaseChatModel | None = None,
    ) -> None:
        self.config = config
        self.runner = runner
        self.executor = ToolExecutor(runner, surface=SURFACE)
        self._http: Any = None
        if model is None and config.configured:
            self._http = llm_http_client(config)
            model = chat_model(config, self._http)
        self._model = model
        self._agents: dict[Role, AgentLoop] = {}
        self._offered: dict[Role, list[AgentTool]] = {}

    @property
    def available(self) -> bool:
        return self._model is not None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def offered(self, role: Role) -> list[AgentTool]:
        """The tools the model is given for this role."""
        if role not in self._offered:
            self._offered[role] = role_tools(self.runner.registry, role, skip=not_for_chat)
        return self._offered[role]

    def _agent(self, role: Role) -> AgentLoop:
        if role not in self._agents:
            assert self._model is not None
            offered = self.offered(role)
            self._agents[role] = AgentLoop.configured(
                self.config,
                self._model,
                tool_definitions(offered, local_handoff=False),
                ToolGuard(offered, self.executor, self.runner.registry),
            )
        return self._agents[role]

    def system_prompt(self, actor: Actor, lang: Lang) -> str:
        shop = self.runner.config
        return render(
            "staff_agent",
            lang,
            shop_name=shop.shop_name,
            staff_name=actor.name or actor.label,
            role=actor.role.value,
            today=datetime.now(ZoneInfo(shop.timezone)).date().isoformat(),
        )

    async def respond(self, actor: Actor, text: str, lang: Lang) -> DeskReply:
        """One request. Raises ``AgentUnavailable`` when the LLM cannot answer (the surface
        then points to the commands)."""
        if self._model is None:
            raise AgentUnavailable("the LLM is not configured")
        if actor.is_customer:
            raise ValueError("the staff agent runs for staff members only")
        deps = TurnDeps(
            actor=actor,
            conversation_id=None,
            channel=CHANNEL,
            language=lang,
            latest_text=text,
            system_prompt=self.system_prompt(actor, lang),
            deadline=asyncio.get_running_loop().time() + self.config.turn_deadline,
            call_timeout=self.config.timeout_seconds,
        )
        try:
            async with asyncio.timeout(self.config.turn_deadline):
                messages = await self._agent(actor.role).run([HumanMessage(text)], deps)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = failure_reason(exc)
            if reason is None:
                log.exception("staff agent turn failed unexpectedly")
                reason = f"unexpected {type(exc).__name__}"
            raise AgentUnavailable(reason) from exc
        log.info(
            "staff agent turn %s tools=%s card=%s",
            actor.label,
            [n for n, _ in deps.executed],
            deps.proposal.card.tool if deps.proposal else None,
        )
        if deps.proposal is not None:
            card = confirm_card(deps.proposal.card, lang, self.runner.config.timezone)
            return DeskReply(text=card.text, confirmations=[card])
        last = messages[-1] if messages else None
        if not isinstance(last, AIMessage) or last.tool_calls or not last.text.strip():
            raise AgentUnavailable("the model stopped without an answer")
        return DeskReply(text=last.text.strip())


async def answer_text(
    desk: StaffDesk, agent: StaffAgent | None, actor: Actor, text: str, *, key: str | None = None
) -> DeskReply:
    """What a staff surface does with a typed message: a /command goes to the command parser;
    other text goes to the staff agent when an LLM is configured; otherwise (or when it
    fails) the /help line, so commands and buttons do everything without an LLM."""
    if text.strip().startswith("/"):
        return await run_command(desk, actor, text, key=key)
    if agent is None or not agent.available:
        return await run_command(desk, actor, "/help")
    try:
        return await desk.guarded(agent.respond(actor, text, desk.lang))
    except AgentUnavailable as exc:
        log.warning("staff agent unavailable: %s", exc)
        help_reply = await run_command(desk, actor, "/help")
        return DeskReply(ok=False, text=help_reply.text)
