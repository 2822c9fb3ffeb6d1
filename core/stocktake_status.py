"""A stocktake's state machine: an open count is applied (stock set to what was counted) or
cancelled (stock untouched); both are final. Which status allows which step (counting,
applying, cancelling) is said here, once, as core.return_status does for returns."""

from __future__ import annotations

from enum import StrEnum


class StocktakeStatus(StrEnum):
    OPEN = "open"
    APPLIED = "applied"
    CANCELLED = "cancelled"


class StocktakeStep(StrEnum):
    """What can be done to a stocktake."""

    COUNT = "count"  # record (or replace) counted quantities
    APPLY = "apply"
    CANCEL = "cancel"


S = StocktakeStatus

TRANSITIONS: dict[StocktakeStatus, frozenset[StocktakeStatus]] = {
    S.OPEN: frozenset({S.APPLIED, S.CANCELLED}),
    S.APPLIED: frozenset(),
    S.CANCELLED: frozenset(),
}

# The values as stored (plain strings in the stocktakes.status column).
OPEN = S.OPEN.value
APPLIED = S.APPLIED.value
CANCELLED = S.CANCELLED.value

# The status each step leaves a stocktake in (None: the step does not change it).
STEP_TARGET: dict[StocktakeStep, StocktakeStatus | None] = {
    StocktakeStep.COUNT: None,
    StocktakeStep.APPLY: S.APPLIED,
    StocktakeStep.CANCEL: S.CANCELLED,
}


def _allowed_from(step: StocktakeStep) -> frozenset[StocktakeStatus]:
    target = STEP_TARGET[step]
    if target is None:  # counting: while the stocktake can still be applied or cancelled
        return frozenset(s for s, targets in TRANSITIONS.items() if targets)
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


# The statuses in which each step may be taken, from TRANSITIONS.
ALLOWED_FROM: dict[StocktakeStep, frozenset[StocktakeStatus]] = {
    s: _allowed_from(s) for s in StocktakeStep
}


def can_move(current: str, target: StocktakeStatus) -> bool:
    """Whether a stocktake in ``current`` may become ``target``."""
    return target in TRANSITIONS[StocktakeStatus(current)]


def allows(current: str, step: StocktakeStep) -> bool:
    """Whether ``step`` may be taken on a stocktake in ``current``."""
    return StocktakeStatus(current) in ALLOWED_FROM[step]


def can_change(status: str) -> bool:
    """Whether a stocktake in ``status`` may still change at all (count, apply, cancel)."""
    return bool(TRANSITIONS[StocktakeStatus(status)])
