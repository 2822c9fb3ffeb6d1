"""A circuit breaker for the LLM endpoint.

When the LLM is down every customer message would wait for a timeout (and its retry) before the
offline flow answers. After ``failures`` failed turns in a row the breaker opens: turns fail at
once for ``cooldown`` seconds. Then it is half-open: one turn is let through as a probe (the
others keep failing fast); its success closes the breaker, its failure opens it again.

One breaker per process and endpoint, owned by the responder. The event loop is single-threaded
and no method awaits, so no lock is needed.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable


class BreakerOpen(Exception):
    """The breaker refuses the call; ``retry_in`` seconds until the next probe."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"LLM circuit open; next try in {retry_in:.1f}s")
        self.retry_in = retry_in


class State(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failures: int = 3,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1 or cooldown < 0:
            raise ValueError("failures must be >= 1 and cooldown >= 0")
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._consecutive = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return State.CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return State.HALF_OPEN
        return State.OPEN

    def before_call(self) -> None:
        """Raises ``BreakerOpen`` unless a call may go out now (closed, or the one probe)."""
        state = self.state
        if state is State.CLOSED:
            return
        if state is State.HALF_OPEN and not self._probing:
            self._probing = True
            return
        assert self._opened_at is not None
        raise BreakerOpen(max(0.0, self.cooldown - (self._clock() - self._opened_at)))

    def success(self) -> None:
        self._consecutive = 0
        self._opened_at = None
        self._probing = False

    def failure(self) -> None:
        self._consecutive += 1
        if self._probing or self._consecutive >= self.failures:
            self._opened_at = self._clock()
        self._probing = False

    def abandon(self) -> None:
        """The call ended without a verdict (cancelled): free the probe slot, count nothing."""
        self._probing = False
