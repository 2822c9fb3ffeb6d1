"""A stocktake's state machine: an open count is applied (stock set to what was counted) or
cancelled (stock untouched); both are final."""

from __future__ import annotations

from enum import StrEnum


class StocktakeStatus(StrEnum):
    OPEN = "open"
    APPLIED = "applied"
    CANCELLED = "cancelled"


TRANSITIONS: dict[StocktakeStatus, frozenset[StocktakeStatus]] = {
    StocktakeStatus.OPEN: frozenset({StocktakeStatus.APPLIED, StocktakeStatus.CANCELLED}),
    StocktakeStatus.APPLIED: frozenset(),
    StocktakeStatus.CANCELLED: frozenset(),
}

# The values as stored (plain strings in the stocktakes.status column).
OPEN = StocktakeStatus.OPEN.value
APPLIED = StocktakeStatus.APPLIED.value
CANCELLED = StocktakeStatus.CANCELLED.value


def can_move(current: str, target: StocktakeStatus) -> bool:
    """Whether a stocktake in ``current`` may become ``target`` (apply, cancel)."""
    return target in TRANSITIONS[StocktakeStatus(current)]


def can_change(status: str) -> bool:
    """Whether a stocktake in ``status`` may still change at all: counts are recorded while it
    can still be applied or cancelled, never once it is final."""
    return bool(TRANSITIONS[StocktakeStatus(status)])
