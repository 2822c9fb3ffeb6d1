from __future__ import annotations

import itertools

import pytest

from core.errors import IllegalTransition
from core.order_status import (
    EFFECTS,
    HOLDS_RESERVATION,
    RETURNABLE,
    TRANSITIONS,
    Effects,
    OrderStatus,
    Stock,
    Via,
    check_transition,
    consumes_stock,
    effects,
    releases_stock,
    restocks,
    route,
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


def test_every_allowed_move_has_its_effects_and_no_other_move_does() -> None:
    allowed = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert set(EFFECTS) == allowed


def test_every_cancel_releases_what_the_order_holds() -> None:
    for status in HOLDS_RESERVATION:
        assert effects(status, S.CANCELLED) == Effects(Stock.RELEASE, Via.CANCEL)


def test_only_delivered_or_completed_orders_come_back_through_a_return() -> None:
    assert frozenset({S.DELIVERED, S.COMPLETED}) == RETURNABLE
    assert effects(S.DELIVERY_FAILED, S.RETURNED).stock is Stock.RESTOCK


def test_cod_money_comes_in_only_on_delivery() -> None:
    assert [k for k, e in EFFECTS.items() if e.collects_cod] == [(S.SHIPPING, S.DELIVERED)]


@pytest.mark.parametrize(
    ("a", "b", "via"),
    [
        (S.NEW, S.CONFIRMED, Via.CONFIRM),
        (S.AWAITING_STOCK, S.CONFIRMED, Via.CONFIRM),
        (S.PACKING, S.CONFIRMED, Via.STATUS),
        (S.CONFIRMED, S.CONFIRMED, Via.STATUS),
        (S.SHIPPING, S.CANCELLED, Via.CANCEL),
        (S.NEW, S.AWAITING_STOCK, Via.AUTOMATIC),
        (S.DELIVERED, S.RETURNED, Via.RETURN),
        (S.NEW, S.SHIPPING, Via.STATUS),
    ],
)
def test_route_names_the_path_that_carries_a_move(a: OrderStatus, b: OrderStatus, via: Via) -> None:
    assert route(a, b) is via


def test_effects_of_a_move_not_allowed_are_refused() -> None:
    with pytest.raises(IllegalTransition):
        effects(S.NEW, S.SHIPPING)
