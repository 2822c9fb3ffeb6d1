"""A return's state machine: a requested return is received (goods came back), settled
without goods (refund only) or cancelled; each of those is final."""

from __future__ import annotations

from enum import StrEnum


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    # Settled without goods ("chỉ hoàn tiền"): nothing came back, nothing is restocked, and the
    # requested units count as returned (refunded, never claimable again).
    REFUND_ONLY = "refund_only"
    CANCELLED = "cancelled"


R = ReturnStatus

TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.RECEIVED, R.REFUND_ONLY, R.CANCELLED}),
    R.RECEIVED: frozenset(),
    R.REFUND_ONLY: frozenset(),
    R.CANCELLED: frozenset(),
}

# Returns that can be refunded: the goods came back, or it was recorded that they will not.
REFUNDABLE: frozenset[ReturnStatus] = frozenset({R.RECEIVED, R.REFUND_ONLY})


def can_move(current: str, target: ReturnStatus) -> bool:
    """Whether a return in ``current`` may become ``target``."""
    return target in TRANSITIONS[ReturnStatus(current)]
