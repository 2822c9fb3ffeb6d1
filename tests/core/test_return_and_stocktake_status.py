"""Return and stocktake statuses: every status has a row, and every final status is final."""

from __future__ import annotations

from typing import get_args

from core import return_status, stocktake_status
from core.return_status import REFUNDABLE, ReturnStatus, can_move
from core.returns import CANCELLED, RECEIVED, REFUND_ONLY, REQUESTED
from core.stocktake_status import StocktakeStatus, can_change
from tools.returns import ReturnStatus as ReturnStatusField
from tools.stocktakes import StocktakeOut

R = ReturnStatus


def test_every_status_has_a_row() -> None:
    assert set(return_status.TRANSITIONS) == set(ReturnStatus)
    assert set(stocktake_status.TRANSITIONS) == set(StocktakeStatus)


def test_only_a_requested_return_moves_on() -> None:
    for target in (R.RECEIVED, R.REFUND_ONLY, R.CANCELLED):
        assert can_move("requested", target)
    for final in (R.RECEIVED, R.REFUND_ONLY, R.CANCELLED):
        assert not any(can_move(final, target) for target in ReturnStatus)


def test_refunds_follow_goods_or_a_refund_only_settlement() -> None:
    assert frozenset({R.RECEIVED, R.REFUND_ONLY}) == REFUNDABLE


def test_only_an_open_stocktake_changes() -> None:
    assert can_change("open")
    assert not can_change("applied")
    assert not can_change("cancelled")


def test_the_stored_values_are_the_enums() -> None:
    assert [s.value for s in ReturnStatus] == [REQUESTED, RECEIVED, REFUND_ONLY, CANCELLED]
    assert set(get_args(ReturnStatusField)) == {s.value for s in ReturnStatus}
    status = StocktakeOut.model_fields["status"].annotation
    assert set(get_args(status)) == {s.value for s in StocktakeStatus}


def test_an_open_stocktake_is_applied_or_cancelled_once() -> None:
    s = StocktakeStatus
    assert stocktake_status.can_move("open", s.APPLIED)
    assert stocktake_status.can_move("open", s.CANCELLED)
    assert not stocktake_status.can_move("open", s.OPEN)
    for final in ("applied", "cancelled"):
        assert not any(stocktake_status.can_move(final, target) for target in s)
