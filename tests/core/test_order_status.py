from __future__ import annotations

import itertools

import pytest

from core.errors import IllegalTransition
from core.order_status import (
    TRANSITIONS,
    OrderStatus,
    check_transition,
    consumes_stock,
    releases_stock,
    restocks,
)

S = OrderStatus


def test_happy_path_is_allowed() -> None:
    path = [S.NEW, S.CONFIRMED, S.PACKING, S.READY_TO_SHIP, S.SHIPPING, S.DELIVERED, S.COMPLETED]
    for a, b in itertools.pairwise(path):
        check_transition(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.NEW, S.SHIPPING),
        (S.SHIPPING, S.CANCELLED),
        (S.CANCELLED, S.NEW),
        (S.COMPLETED, S.NEW),
        (S.DELIVERED, S.SHIPPING),
        (S.RETURNED, S.COMPLETED),
    ],
)
def test_illegal_transitions_are_refused_with_the_allowed_ones(
    a: OrderStatus, b: OrderStatus
) -> None:
    with pytest.raises(IllegalTransition) as err:
        check_transition(a, b)
    assert err.value.details["allowed"] == sorted(TRANSITIONS[a])


def test_terminal_states_have_no_way_out() -> None:
    assert TRANSITIONS[S.CANCELLED] == frozenset()
    assert TRANSITIONS[S.RETURNED] == frozenset()


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)


def test_stock_effects() -> None:
    assert releases_stock(S.PACKING, S.CANCELLED)
    assert not releases_stock(S.SHIPPING, S.DELIVERED)
    assert consumes_stock(S.READY_TO_SHIP, S.SHIPPING)
    assert not consumes_stock(S.DELIVERY_FAILED, S.SHIPPING)  # already left the warehouse
    assert restocks(S.DELIVERY_FAILED, S.RETURNED)
    assert not restocks(S.DELIVERED, S.RETURNED)  # goods come back through a return instead
