"""A return's state machine: a requested return is received (goods came back), settled
without goods (refund only) or cancelled; each of those is final. Which status allows which
step (receiving, settling without goods, cancelling, refunding) is said here, once."""

from __future__ import annotations

from enum import StrEnum


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    # Settled without goods ("chỉ hoàn tiền"): nothing came back, nothing is restocked, and the
    # requested units count as returned (refunded, never claimable again).
    REFUND_ONLY = "refund_only"
    CANCELLED = "cancelled"


class RefundStatus(StrEnum):
    """Whether a return's refund was paid (returns.refund_status); refunded is final."""

    PENDING = "pending"
    REFUNDED = "refunded"


class ReturnStep(StrEnum):
    """What can be done to a return."""

    RECEIVE = "receive"  # record the goods that came back
    SETTLE_WITHOUT_GOODS = "settle_without_goods"  # record that nothing comes back
    CANCEL = "cancel"
    REFUND = "refund"  # pay the buyer back (the status stays; refund_status changes)


R = ReturnStatus

TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.RECEIVED, R.REFUND_ONLY, R.CANCELLED}),
    R.RECEIVED: frozenset(),
    R.REFUND_ONLY: frozenset(),
    R.CANCELLED: frozenset(),
}

# Returns that can be refunded: the goods came back, or it was recorded that they will not.
REFUNDABLE: frozenset[ReturnStatus] = frozenset({R.RECEIVED, R.REFUND_ONLY})

# The status each step leaves a return in (None: the step does not change it).
STEP_TARGET: dict[ReturnStep, ReturnStatus | None] = {
    ReturnStep.RECEIVE: R.RECEIVED,
    ReturnStep.SETTLE_WITHOUT_GOODS: R.REFUND_ONLY,
    ReturnStep.CANCEL: R.CANCELLED,
    ReturnStep.REFUND: None,
}


def _allowed_from(step: ReturnStep) -> frozenset[ReturnStatus]:
    target = STEP_TARGET[step]
    if target is None:
        return REFUNDABLE
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


# The statuses in which each step may be taken: the steps that change the status follow
# TRANSITIONS; a refund needs the goods back or a refund-only settlement.
ALLOWED_FROM: dict[ReturnStep, frozenset[ReturnStatus]] = {s: _allowed_from(s) for s in ReturnStep}


def can_move(current: str, target: ReturnStatus) -> bool:
    """Whether a return in ``current`` may become ``target``."""
    return target in TRANSITIONS[ReturnStatus(current)]


def allows(current: str, step: ReturnStep) -> bool:
    """Whether ``step`` may be taken on a return in ``current``."""
    return ReturnStatus(current) in ALLOWED_FROM[step]


def allowed_statuses(step: ReturnStep) -> list[str]:
    """The statuses that allow ``step``, in the enum's order (for messages)."""
    return [s.value for s in ReturnStatus if s in ALLOWED_FROM[step]]
