"""Return and stocktake statuses: every status has a row, and every final status is final."""

from __future__ import annotations

from typing import get_args

from core import return_status, stocktake_status
from core.return_status import (
    ALLOWED_FROM,
    REFUNDABLE,
    STEP_TARGET,
    RefundStatus,
    ReturnStatus,
    ReturnStep,
    allowed_statuses,
    allows,
    can_move,
)
from core.returns import CANCELLED, RECEIVED, REFUND_ONLY, REQUESTED
from core.stocktake_status import StocktakeStatus, can_change
from tools.returns import ReturnOut
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


def test_only_a_requested_return_is_received_settled_or_cancelled() -> None:
    for step in (ReturnStep.RECEIVE, ReturnStep.SETTLE_WITHOUT_GOODS, ReturnStep.CANCEL):
        assert allowed_statuses(step) == ["requested"]
        assert allows("requested", step)
        assert not any(allows(s, step) for s in ("received", "refund_only", "cancelled"))


def test_refunds_need_the_goods_back_or_a_refund_only_settlement() -> None:
    assert allowed_statuses(ReturnStep.REFUND) == ["received", "refund_only"]
    assert not allows("requested", ReturnStep.REFUND)
    assert not allows("cancelled", ReturnStep.REFUND)


def test_every_status_changing_step_follows_the_transitions() -> None:
    assert set(ALLOWED_FROM) == set(ReturnStep)
    for step, target in STEP_TARGET.items():
        if target is not None:
            assert all(can_move(s, target) for s in ALLOWED_FROM[step])


def test_refund_statuses_are_the_stored_values() -> None:
    assert [s.value for s in RefundStatus] == ["pending", "refunded"]
    assert set(get_args(ReturnOut.model_fields["refund_status"].annotation)) == {
        s.value for s in RefundStatus
    }


def test_an_open_stocktake_is_counted_applied_or_cancelled_and_nothing_after() -> None:
    step = stocktake_status.StocktakeStep
    for st in step:
        assert stocktake_status.allows("open", st)
        assert not stocktake_status.allows("applied", st)
        assert not stocktake_status.allows("cancelled", st)
    assert set(stocktake_status.ALLOWED_FROM) == set(step)
    for st, target in stocktake_status.STEP_TARGET.items():
        if target is not None:
            assert all(
                stocktake_status.can_move(s, target) for s in stocktake_status.ALLOWED_FROM[st]
            )
