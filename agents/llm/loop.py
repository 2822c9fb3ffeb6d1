"""One agent turn: the model, the tools it asked for, the model again, until it answers in
text, a confirmation card was proposed, or the turn runs out of steps.

Why a loop of our own and not LangChain's ``create_agent``: a turn here is a few model and tool
calls in a fixed order, with no checkpoints, interrupts, streaming or branching, and the
LangGraph graph that runs ``create_agent`` (channels, a checkpoint and tasks per step, a traced
layer per middleware) cost ~1.5 ms of the ~2.2 ms of CPU an answered turn takes in-process,
about a tenth of a worker's time per customer message under load (docs/benchmarks.md, "Chat
channels"). What matters stays LangChain's: the chat model (ChatOpenAI) and its messages and
tool calls, with the definitions bound once.

Each model call, in this order:

* none once a confirmation card was proposed: the card, rendered by code from the pending
  action, is the reply (the model is not asked to word it);
* a step limit per turn against loops (``max_model_calls``): one more raises
  ``StepLimitExceeded``, and the responder answers ``AgentUnavailable``;
* the system prompt of the turn's language and notes, from ``TurnDeps``;
* retries for transient failures (agents.llm.retry), within the turn's budget;
* tool calls whose arguments were not JSON become calls the guard answers with an error.

The tool calls of one answer run concurrently (as LangGraph's tool node ran them), each through
the ``ToolGuard``; their messages follow the answer in the order the model gave the calls, and a
call that fails on the shop's side is an error message to the model, not the end of the turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from agents.llm.config import LLMConfig
from agents.llm.retry import TransientRetry
from agents.llm.tool_guard import ToolGuard, repair_invalid_tool_calls
from agents.llm.turn import TurnDeps


class StepLimitExceeded(Exception):
    """The model kept calling tools past the turn's step limit."""


class AgentLoop:
    def __init__(
        self,
        model: BaseChatModel,
        tool_definitions: Sequence[dict[str, Any]],
        guard: ToolGuard,
        retry: TransientRetry,
        *,
        max_model_calls: int,
    ) -> None:
        """``tool_definitions``: OpenAI's function format, shared by all turns, never modified."""
        self.model = model.bind_tools(list(tool_definitions))
        self.guard = guard
        self.retry = retry
        self.max_model_calls = max_model_calls

    @classmethod
    def configured(
        cls,
        config: LLMConfig,
        model: BaseChatModel,
        tool_definitions: Sequence[dict[str, Any]],
        guard: ToolGuard,
    ) -> AgentLoop:
        """An agent's loop with the configured step limit and retries (both agents use it)."""
        retry = TransientRetry(
            attempts=config.max_attempts,
            initial=config.backoff_initial_seconds,
            maximum=config.backoff_max_seconds,
        )
        return cls(model, tool_definitions, guard, retry, max_model_calls=config.max_model_calls)

    async def run(self, messages: Sequence[BaseMessage], deps: TurnDeps) -> list[BaseMessage]:
        """The conversation after the turn: ``messages`` plus the model's answers and the
        tools' results. It ends with an answer without tool calls, unless a card was proposed
        (``deps.proposal``), which is then the turn's reply."""
        conversation = list(messages)
        while deps.proposal is None:
            answer = await self._ask(conversation, deps)
            conversation.append(answer)
            if not answer.tool_calls:
                break
            # A task group, not gather: should one call fail past the guard (the database
            # gone), the others are cancelled with the turn instead of running on after it.
            async with asyncio.TaskGroup() as calls:
                running = [calls.create_task(self.guard.run(c, deps)) for c in answer.tool_calls]
            conversation.extend(task.result() for task in running)
        return conversation

    async def _ask(self, conversation: list[BaseMessage], deps: TurnDeps) -> AIMessage:
        if deps.model_steps >= self.max_model_calls:
            raise StepLimitExceeded(f"more than {self.max_model_calls} model calls in one turn")
        deps.model_steps += 1
        request = [SystemMessage(deps.system_prompt), *conversation]
        answer = await self.retry.call(lambda: self.model.ainvoke(request), deps)
        if not isinstance(answer, AIMessage):
            raise TypeError(f"the chat model answered with {type(answer).__name__}")
        return repair_invalid_tool_calls(answer, deps)
