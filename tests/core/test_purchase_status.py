from __future__ import annotations

import pytest

from core.errors import IllegalTransition
from core.purchase_status import RECEIVABLE, TRANSITIONS, PurchaseStatus, check_transition

P = PurchaseStatus


def test_only_a_partly_received_po_can_be_closed_short() -> None:
    check_transition(P.PARTIALLY_RECEIVED, P.CLOSED)
    for start in (P.DRAFT, P.CONFIRMED, P.RECEIVED, P.CANCELLED, P.CLOSED):
        with pytest.raises(IllegalTransition):
            check_transition(start, P.CLOSED)


def test_a_closed_po_is_final_and_receives_nothing() -> None:
    assert TRANSITIONS[P.CLOSED] == frozenset()
    assert P.CLOSED not in RECEIVABLE
    for target in P:
        with pytest.raises(IllegalTransition):
            check_transition(P.CLOSED, target)
