"""Bounded retries of one model call: timeouts, 5xx, 429 (Retry-After honoured) and lost
connections are tried again, a bounded number of times with exponential backoff and jitter,
within what is left of the turn's time budget. Retries are counted and logged here only
(ChatOpenAI runs with ``max_retries=0``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from agents.llm.turn import TurnDeps

log = logging.getLogger("shopbot.agents.llm")

# A model call given less time than this cannot answer; the turn gives up instead.
MIN_CALL_SECONDS = 0.5

T = TypeVar("T")


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

    async def call(self, attempt_once: Callable[[], Awaitable[T]], deps: TurnDeps) -> T:
        """Each attempt gets what is left of the turn's budget (at most the per-call timeout),
        and no retry starts that could not finish in it: a hanging or crawling LLM hands the
        customer to the button flow within the budget, not after timeouts add up."""

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
                    return await attempt_once()
        raise AssertionError("tenacity ends with a result or the last error")  # pragma: no cover


def _out_of_budget(deps: TurnDeps) -> Any:
    """Stop retrying when another attempt could not get a useful slice of the budget."""

    def stop(_state: RetryCallState) -> bool:
        return deps.remaining() < 2 * MIN_CALL_SECONDS

    return stop


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "LLM call failed (%s), attempt %d; retrying", type(exc).__name__, state.attempt_number
    )
