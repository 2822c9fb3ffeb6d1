"""The customer agent's middleware: the guard rails around each model call and tool call.

``TurnModelCall`` wraps every model call of a turn, doing in this order:

* stop once a confirmation card was proposed: the turn ends without asking the model again;
  the card, rendered by code from the pending action, is the reply (one model call saved);
* a step limit per turn against loops (``max_model_calls``): one more model call raises
  LangChain's ``ModelCallLimitExceededError``, and the responder answers AgentUnavailable;
* the system prompt of the turn's language and notes, from the context, and the tool
  definitions in OpenAI's format, converted once per process (``create_agent`` would convert
  every tool's pydantic schema again on every model call; the definitions sent are the same);
* tenacity retries for timeouts, 5xx, 429 (Retry-After honoured) and connection errors, a
  bounded number with exponential backoff and jitter (``TransientRetry``);
* tool calls whose arguments were not JSON become calls the tool guard answers with an error,
  so the model can retry instead of the turn dying (``repair_invalid_tool_calls``).

These are one middleware, not five, because each middleware costs every customer message: a
before/after-model hook is a graph node (a LangGraph superstep, ~1 ms of CPU per turn) and a
wrap hook is a LangSmith-traced layer (~0.5 ms). Measured on a plain one-call turn against an
in-process model: 7.4 ms of agent CPU with five middlewares, 3.9 ms with ``TurnModelCall`` and
``ToolGuard`` (and LangSmith's bookkeeping inline, see runtime.py), 2.4 ms with none.

``ToolGuard``: tool names that are not offered never run (staff tools are passed to the runner,
which refuses them for a customer and audits the attempt); arguments are validated against the
registry's model; any refusal goes back to the model as an error tool message with code,
message and field, never as an exception out of the agent.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import openai
from langchain.agents.middleware import (
    AgentMiddleware,
    AgentState,
    ModelRequest,
    ModelResponse,
    ToolCallRequest,
)
from langchain.agents.middleware.model_call_limit import ModelCallLimitExceededError
from langchain_core.messages import AIMessage, SystemMessage, ToolMessage
from langgraph.errors import GraphBubbleUp
from langgraph.types import Command
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from agents.llm.config import LLMConfig
from agents.llm.toolset import LOCAL_HANDOFF_TOOL, AgentTool, validation_message
from agents.llm.turn import ToolExecutor, TurnDeps, error_content
from core.errors import DomainError, NotFound, PermissionDenied
from tools.registry import Registry

log = logging.getLogger("shopbot.agents.llm")

# A model call given less time than this cannot answer; the turn gives up instead.
MIN_CALL_SECONDS = 0.5

ModelHandler = Callable[[ModelRequest[TurnDeps]], Awaitable[ModelResponse[Any]]]
ToolHandler = Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]]


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: the request may succeed as it is a moment later."""
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, TimeoutError)


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds from a 429/503's Retry-After header, if it gave one."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def repair_invalid_tool_calls(response: ModelResponse[Any], deps: TurnDeps) -> ModelResponse[Any]:
    """Tool calls with unparseable arguments become calls ToolGuard answers with an error."""
    if not any(isinstance(m, AIMessage) and m.invalid_tool_calls for m in response.result):
        return response
    repaired: list[Any] = []
    for msg in response.result:
        if isinstance(msg, AIMessage) and msg.invalid_tool_calls:
            calls = list(msg.tool_calls)
            for bad in msg.invalid_tool_calls:
                call_id = bad.get("id") or f"call_{secrets.token_hex(6)}"
                deps.invalid_call_ids[call_id] = str(bad.get("error") or "not valid JSON")
                calls.append(
                    {
                        "name": bad.get("name") or "invalid_call",
                        "args": {},
                        "id": call_id,
                        "type": "tool_call",
                    }
                )
            msg = msg.model_copy(update={"tool_calls": calls, "invalid_tool_calls": []})
        repaired.append(msg)
    return ModelResponse(result=repaired, structured_response=response.structured_response)


class TransientRetry:
    """Bounded retries of one model call for transient failures (``is_transient``)."""

    def __init__(self, *, attempts: int, initial: float, maximum: float) -> None:
        self.attempts = max(1, attempts)
        self.maximum = maximum
        self._backoff = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after(exc)
        if hinted is not None:
            return min(max(hinted, 0.0), self.maximum)
        return float(self._backoff(state))

    async def call(
        self, request: ModelRequest[TurnDeps], handler: ModelHandler, deps: TurnDeps
    ) -> ModelResponse[Any]:
        """Each attempt gets what is left of the turn's budget (at most the per-call timeout),
        and no retry starts that could not finish in it: a hanging or crawling LLM hands the
        customer to the button flow within the budget, not after timeouts add up."""
        response: ModelResponse[Any] | None = None

        def wait(state: RetryCallState) -> float:
            return min(self._wait(state), max(deps.remaining() - MIN_CALL_SECONDS, 0.0))

        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts) | _out_of_budget(deps),
            wait=wait,
            retry=retry_if_exception(is_transient),
            reraise=True,
            before_sleep=_log_retry,
        ):
            with attempt:
                left = deps.remaining()
                if left < MIN_CALL_SECONDS:
                    raise TimeoutError("the turn's time budget is spent")
                deps.model_calls += 1
                async with asyncio.timeout(min(left, deps.call_timeout)):
                    response = await handler(request)
        assert response is not None
        return response


def _out_of_budget(deps: TurnDeps) -> Any:
    """Stop retrying when another attempt could not get a useful slice of the budget."""

    def stop(_state: RetryCallState) -> bool:
        return deps.remaining() < 2 * MIN_CALL_SECONDS

    return stop


class TurnModelCall(AgentMiddleware[AgentState[Any], TurnDeps]):
    """Every guard rail around one model call of a turn (see the module docstring)."""

    def __init__(
        self,
        *,
        max_model_calls: int,
        retry: TransientRetry,
        tool_definitions: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        """``tool_definitions``: the offered tools as ``convert_to_openai_tool`` makes them, in
        the agent's tool order; shared by all turns and never modified. None: the model binds
        the agent's tools itself."""
        super().__init__()
        self.max_model_calls = max_model_calls
        self.retry = retry
        self.tool_definitions = list(tool_definitions) if tool_definitions is not None else None

    async def awrap_model_call(
        self, request: ModelRequest[TurnDeps], handler: ModelHandler
    ) -> ModelResponse[Any]:
        deps = request.runtime.context
        if deps.proposal is not None:
            # An answer without tool calls ends the graph; the responder shows the card
            # rendered from the pending action and never this text.
            return ModelResponse(result=[AIMessage(content="")])
        if deps.model_steps >= self.max_model_calls:
            raise ModelCallLimitExceededError(
                thread_count=deps.model_steps,
                run_count=deps.model_steps,
                thread_limit=None,
                run_limit=self.max_model_calls,
            )
        deps.model_steps += 1
        system = SystemMessage(deps.system_prompt)
        if self.tool_definitions is None:
            request = request.override(system_message=system)
        else:
            # Dict tools are bound as they are; the agent still runs its own tools by name.
            request = request.override(system_message=system, tools=list(self.tool_definitions))
        response = await self.retry.call(request, handler, deps)
        return repair_invalid_tool_calls(response, deps)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "LLM call failed (%s), attempt %d; retrying", type(exc).__name__, state.attempt_number
    )


class ToolGuard(AgentMiddleware[AgentState[Any], TurnDeps]):
    def __init__(
        self, offered: list[AgentTool], executor: ToolExecutor, registry: Registry
    ) -> None:
        super().__init__()
        self.offered = {at.name: at for at in offered}
        self.executor = executor
        self.registry = registry

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: ToolHandler
    ) -> ToolMessage | Command[Any]:
        call = request.tool_call
        deps = cast(TurnDeps, request.runtime.context)
        name, call_id, args = call["name"], call["id"] or "", dict(call.get("args") or {})
        if call_id in deps.invalid_call_ids:
            return self._error(
                deps,
                name,
                call_id,
                {
                    "code": "invalid_json",
                    "field": None,
                    "message": "The arguments were not valid JSON "
                    f"({deps.invalid_call_ids[call_id]}). Send a JSON object matching the "
                    "tool's schema.",
                },
            )
        if name == LOCAL_HANDOFF_TOOL and request.tool is not None:
            return await handler(request)
        at = self.offered.get(name)
        if at is None:
            return self._error(deps, name, call_id, await self._refuse_unoffered(name, args, deps))
        try:
            at.validate(args, self.executor.fixed_args(name, args, deps))
        except ValidationError as exc:
            return self._error(deps, name, call_id, validation_message(exc))
        except DomainError as exc:
            return self._error(deps, name, call_id, exc.to_dict())
        try:
            return await handler(request)
        except GraphBubbleUp:
            raise
        except DomainError as exc:
            return self._error(deps, name, call_id, exc.to_dict())
        except Exception:
            log.exception("agent tool %s failed", name)
            return self._error(
                deps,
                name,
                call_id,
                {
                    "code": "internal_error",
                    "field": None,
                    "message": "The shop system failed on this request. Apologise and "
                    "offer to hand the conversation to a person.",
                },
            )

    async def _refuse_unoffered(
        self, name: str, args: dict[str, Any], deps: TurnDeps
    ) -> dict[str, Any]:
        """A tool the model was not given never runs. A tool the actor's role may not use (a
        staff tool for a customer, a refund for the warehouse) goes to the runner, whose role
        check refuses it and writes the attempt to the audit log."""
        if name not in self.registry or self.registry.get(name).allows(deps.actor.role):
            return NotFound(
                f"There is no tool named '{name}'.", code="unknown_tool", field="name"
            ).to_dict()
        try:
            await self.executor.runner.call(name, args, deps.actor, surface=self.executor.surface)
        except DomainError as exc:
            return exc.to_dict()
        log.error("the runner let %s run %s, which its role may not use", deps.actor.label, name)
        return PermissionDenied(f"You may not use {name}.").to_dict()

    @staticmethod
    def _error(deps: TurnDeps, name: str, call_id: str, error: dict[str, Any]) -> ToolMessage:
        deps.executed.append((name, False))
        return ToolMessage(
            content=error_content(error), name=name, tool_call_id=call_id, status="error"
        )


def build_middleware(
    config: LLMConfig,
    offered: list[AgentTool],
    executor: ToolExecutor,
    registry: Registry,
    *,
    tool_definitions: Sequence[dict[str, Any]] | None = None,
) -> list[AgentMiddleware[Any, Any]]:
    return [
        TurnModelCall(
            max_model_calls=config.max_model_calls,
            retry=TransientRetry(
                attempts=config.max_attempts,
                initial=config.backoff_initial_seconds,
                maximum=config.backoff_max_seconds,
            ),
            tool_definitions=tool_definitions,
        ),
        ToolGuard(offered, executor, registry),
    ]
