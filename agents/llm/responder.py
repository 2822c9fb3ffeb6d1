"""The customer sales agent: a tool-calling loop (agents.llm.loop) of a LangChain chat model
over the registry's customer tools.

``build_customer_responder`` is called by the composition root, once per process; nothing is
built at import time. The loop is shared by all conversations: everything about one turn
(actor, language, the quote shown, what happened) travels in its ``TurnDeps``, so concurrent
turns never share mutable state. What outlives a turn is the breaker (per endpoint);
the quote shown to a customer is kept in their conversation's row (``agents.llm.memory``).

Any failure of the LLM side (not configured, breaker open, timeout after retries, HTTP errors,
a step-limit overrun, an empty answer) is ``AgentUnavailable``: the conversation service then
answers with the offline flow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from agents.cards import card_reply
from agents.llm.breaker import BreakerOpen, CircuitBreaker
from agents.llm.completions import RawCompletions
from agents.llm.config import LLMConfig
from agents.llm.loop import AgentLoop, StepLimitExceeded
from agents.llm.memory import recall_amounts, remember_amounts
from agents.llm.phone_question import asks_for_phone
from agents.llm.prompting import (
    Language,
    earlier_conversation,
    neutral_reply,
    system_prompt,
)
from agents.llm.reply_check import Evidence, check_reply
from agents.llm.tool_guard import ToolGuard
from agents.llm.toolset import (
    HANDOFF_TOOL,
    LOCAL_HANDOFF_TOOL,
    AgentTool,
    customer_tools,
    schema_chars,
    tool_definitions,
)
from agents.llm.turn import ToolExecutor, TurnDeps
from agents.offline.messages import t
from agents.payment import bank_transfer_reply
from agents.types import AgentTurn, AgentUnavailable, Reply, TurnContext
from prompts import LANGUAGES
from tools.config import ToolConfig
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.agents.llm")

CUSTOMER_ROLES = frozenset({"customer", "user"})
ASSISTANT_ROLES = frozenset({"assistant", "bot", "staff"})


def llm_http_client(config: LLMConfig) -> Any:
    """The HTTP client of a responder's completions: the SDK's, over aiohttp, which costs
    half the CPU per completion of its default transport (integrations/http.py makes the same
    choice for the platforms' requests)."""
    import openai

    return openai.DefaultAioHttpClient(timeout=config.timeout_seconds)


def chat_model(config: LLMConfig, http_client: Any) -> BaseChatModel:
    """ChatOpenAI for any OpenAI-compatible endpoint. ``max_retries=0``: agents.llm.retry
    owns retries, so they are counted, bounded and logged in one place. The HTTP client is the
    responder's own (closed by ``aclose``), not langchain-openai's process-wide cached one,
    whose pooled connections outlive the event loop they were made in. Completions go
    through ``RawCompletions`` (agents.llm.completions): the body as ChatOpenAI built it."""
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model=config.model,
        base_url=config.base_url,
        api_key=config.effective_api_key,  # type: ignore[arg-type]
        temperature=config.temperature,
        timeout=config.timeout_seconds,
        max_retries=0,
        use_responses_api=False,  # chat completions: what compatible servers implement
        http_async_client=http_client,
    )
    model.async_client = RawCompletions(model.root_async_client)
    return model


class LLMResponder:
    """The ``Responder`` backed by an LLM (see agents.types)."""

    def __init__(
        self,
        config: LLMConfig,
        runner: ToolRunner,
        *,
        shop: ToolConfig | None = None,
        breaker: CircuitBreaker | None = None,
        model: BaseChatModel | None = None,
    ) -> None:
        self.config = config
        self.runner = runner
        self.shop = shop or runner.config
        self.breaker = breaker or CircuitBreaker(
            failures=config.breaker_failures, cooldown=config.breaker_cooldown_seconds
        )
        self.executor = ToolExecutor(runner)
        self.offered: list[AgentTool] = customer_tools(runner.registry)
        registry_handoff = any(at.name == HANDOFF_TOOL for at in self.offered)
        self.handoff_tool = HANDOFF_TOOL if registry_handoff else LOCAL_HANDOFF_TOOL
        # The definitions sent with every model call, built once.
        self.tool_definitions: list[dict[str, Any]] = tool_definitions(
            self.offered, local_handoff=not registry_handoff
        )
        self.prompts: dict[Language, str] = {
            lang: system_prompt(lang, self.shop, handoff_tool=self.handoff_tool)
            for lang in LANGUAGES
        }
        self._agent: AgentLoop | None = None
        self._http: Any = None
        if model is None and config.configured:
            self._http = llm_http_client(config)
            model = chat_model(config, self._http)
        if model is not None:
            self._agent = AgentLoop.configured(
                config,
                model,
                self.tool_definitions,
                ToolGuard(
                    self.offered,
                    self.executor,
                    runner.registry,
                    local_handoff=not registry_handoff,
                ),
            )

    async def aclose(self) -> None:
        """Closes the HTTP connections to the LLM (at process shutdown)."""
        if self._http is not None:
            await self._http.aclose()

    @property
    def available(self) -> bool:
        return self._agent is not None

    def prompt_size(self, language: Language = "vi") -> dict[str, int]:
        """Characters sent with every model call before the conversation itself."""
        prompt = len(self.prompts[language])
        tools = schema_chars(self.tool_definitions)
        return {"system_prompt": prompt, "tool_schemas": tools, "total": prompt + tools}

    async def respond(self, ctx: TurnContext, text: str) -> AgentTurn:
        if self._agent is None:
            raise AgentUnavailable("the LLM is not configured")
        if not ctx.actor.is_customer or ctx.actor.customer_id != ctx.customer_id:
            raise ValueError("the customer agent runs as the conversation's customer only")
        try:
            self.breaker.before_call()
        except BreakerOpen as exc:
            raise AgentUnavailable(str(exc)) from None
        loop = asyncio.get_running_loop()
        deps = TurnDeps(
            actor=ctx.actor,
            conversation_id=ctx.conversation_id,
            channel=ctx.channel,
            language=ctx.language,
            latest_text=text,
            system_prompt=self.prompts[ctx.language],
            deadline=loop.time() + self.config.turn_deadline,
            call_timeout=self.config.timeout_seconds,
            amounts=set(recall_amounts(ctx.memory)),
        )
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.config.turn_deadline):
                messages = await self._agent.run(self._messages(ctx, text), deps)
            turn = self._turn(messages, deps)
        except asyncio.CancelledError:
            self.breaker.abandon()
            raise
        except AgentUnavailable as exc:
            self.breaker.failure()
            log.warning("agent turn failed: %s", exc)
            raise
        except Exception as exc:
            self.breaker.failure()
            reason = failure_reason(exc)
            if reason is None:
                log.exception("agent turn failed unexpectedly")
                reason = f"unexpected {type(exc).__name__}"
            else:
                log.warning("agent turn failed: %s", reason)
            raise AgentUnavailable(reason) from exc
        self.breaker.success()
        turn.memory = remember_amounts(ctx.memory, deps.amounts)
        if deps.payment is not None:  # the customer asked how to pay an order
            turn.replies.append(bank_transfer_reply(deps.payment, _language(ctx)))
        log.info(
            "agent turn conv=%s model_calls=%d tools=%s card=%s %.0fms",
            ctx.conversation_id,
            deps.model_calls,
            [n for n, _ in deps.executed],
            deps.proposal.card.tool if deps.proposal else None,
            (time.perf_counter() - started) * 1000,
        )
        return turn

    # ------------------------------------------------------------------------------ helpers

    @staticmethod
    def _messages(ctx: TurnContext, text: str) -> list[BaseMessage]:
        """The conversation for the model. Everything a customer wrote travels in the user
        role, the summary of older turns included (quoted, as data): never in the system
        message, where an old "SYSTEM OVERRIDE" would be read as the shop's instruction."""
        history = list(ctx.history)
        if history and history[-1][0] in CUSTOMER_ROLES and history[-1][1].strip() == text.strip():
            history.pop()  # the service stored the incoming message before calling us
        out: list[BaseMessage] = []
        if ctx.summary.strip():
            out.append(HumanMessage(earlier_conversation(ctx.summary, _language(ctx))))
        for role, content in history:
            if not content.strip():
                continue
            if role in CUSTOMER_ROLES:
                out.append(HumanMessage(content))
            elif role in ASSISTANT_ROLES:
                out.append(AIMessage(content))
        out.append(HumanMessage(text))
        return out

    def _turn(self, messages: list[BaseMessage], deps: TurnDeps) -> AgentTurn:
        language: Language = "en" if deps.language == "en" else "vi"
        if deps.proposal is not None:
            card = card_reply(deps.proposal.card, language, self.shop.timezone)
            return AgentTurn(replies=[card], handoff=deps.handoff)
        last = messages[-1] if messages else None
        if not isinstance(last, AIMessage) or last.tool_calls:
            raise AgentUnavailable("the model stopped without an answer")
        text = last.text.strip()
        if not text:
            raise AgentUnavailable("the model answered with empty text")
        verdict = check_reply(
            text,
            Evidence(
                amounts=frozenset(deps.amounts),
                succeeded=deps.succeeded,
                system_prompts=tuple(self.prompts.values()),
            ),
            language,
        )
        if not verdict.ok:
            log.warning(
                "conversation %s: model text withheld (%s: %s)",
                deps.conversation_id,
                verdict.reason,
                verdict.snippet[:120],
            )
            text = neutral_reply(language)
        share = t(language, "btn_share_phone") if asks_for_phone(text) else None
        return AgentTurn(replies=[Reply(text=text, share_phone=share)], handoff=deps.handoff)


def _language(ctx: TurnContext) -> Language:
    return "en" if ctx.language == "en" else "vi"


def failure_reason(exc: BaseException) -> str | None:
    """A one-line reason for the expected failures (None: a bug, log its traceback)."""
    import openai

    if isinstance(exc, TimeoutError):
        return "the turn took too long"
    if isinstance(exc, StepLimitExceeded):
        return f"step limit: {exc}"
    if isinstance(exc, openai.APIStatusError):
        return f"LLM HTTP {exc.status_code}"
    if isinstance(exc, openai.APIError):
        return f"LLM {type(exc).__name__}"
    return None


def build_customer_responder(
    config: LLMConfig,
    runner: ToolRunner,
    *,
    breaker: CircuitBreaker | None = None,
) -> LLMResponder:
    """The factory the composition root calls once per process."""
    return LLMResponder(config, runner, breaker=breaker)
