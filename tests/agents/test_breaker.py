"""The circuit breaker's states: closed, open for the cool-down, one half-open probe."""

from __future__ import annotations

import pytest

from agents.llm.breaker import BreakerOpen, CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_only() -> None:
    b = CircuitBreaker(failures=3, cooldown=10, clock=Clock())
    for _ in range(2):
        b.before_call()
        b.failure()
    b.before_call()
    b.success()  # resets the count
    for _ in range(2):
        b.before_call()
        b.failure()
    assert b.state is State.CLOSED
    b.before_call()
    b.failure()
    assert b.state is State.OPEN
    with pytest.raises(BreakerOpen) as exc:
        b.before_call()
    assert exc.value.retry_in == pytest.approx(10)


def test_half_open_lets_one_probe_through() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    b.before_call()
    b.failure()
    clock.now = 10
    assert b.state is State.HALF_OPEN
    b.before_call()  # the probe
    with pytest.raises(BreakerOpen):
        b.before_call()  # others keep failing fast while it runs
    b.success()
    assert b.state is State.CLOSED
    b.before_call()


def test_a_failed_probe_opens_for_another_cooldown() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=5, cooldown=10, clock=clock)
    for _ in range(5):
        b.before_call()
        b.failure()
    clock.now = 10
    b.before_call()
    b.failure()  # one failure is enough in half-open
    assert b.state is State.OPEN
    clock.now = 19
    assert b.state is State.OPEN
    clock.now = 20
    assert b.state is State.HALF_OPEN


def test_an_abandoned_probe_frees_the_slot() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=1, cooldown=1, clock=clock)
    b.before_call()
    b.failure()
    clock.now = 1
    b.before_call()
    b.abandon()
    b.before_call()  # another probe may go
