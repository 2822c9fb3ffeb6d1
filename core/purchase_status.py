"""Purchase order state machine.

A PO that was partly received and will never be completed (the supplier delivered 8 of 10 and
will not send the rest) is closed short: ``closed``. Its missing units stop counting as on
order. A PO of which nothing was received is cancelled instead.
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import IllegalTransition


class PurchaseStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # closed short: partly received, the rest will never come


P = PurchaseStatus
TRANSITIONS: dict[PurchaseStatus, frozenset[PurchaseStatus]] = {
    P.DRAFT: frozenset({P.CONFIRMED, P.CANCELLED}),
    P.CONFIRMED: frozenset({P.PARTIALLY_RECEIVED, P.RECEIVED, P.CANCELLED}),
    P.PARTIALLY_RECEIVED: frozenset({P.PARTIALLY_RECEIVED, P.RECEIVED, P.CLOSED}),
    P.RECEIVED: frozenset(),
    P.CANCELLED: frozenset(),
    P.CLOSED: frozenset(),
}
RECEIVABLE: frozenset[PurchaseStatus] = frozenset({P.CONFIRMED, P.PARTIALLY_RECEIVED})


def check_transition(current: PurchaseStatus, target: PurchaseStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"A purchase order cannot go from {current} to {target}.",
            field="status",
            details={"from": current.value, "to": target.value},
        )


def status_after_receipt(ordered: list[int], received: list[int]) -> PurchaseStatus:
    return (
        P.RECEIVED
        if all(r >= o for o, r in zip(ordered, received, strict=True))
        else (P.PARTIALLY_RECEIVED)
    )
