from __future__ import annotations

import itertools

import pytest

from core.returns import (
    CANCELLED,
    NO_GOODS_REASONS,
    RECEIVED,
    REFUND_ONLY,
    REFUNDABLE,
    REQUESTED,
    Claim,
    claimed_before,
    line_refund,
    refund_goods,
    refund_vat,
    returnable,
)


def test_returns_of_a_line_one_unit_at_a_time_add_up_to_the_line_total() -> None:
    # 3 units, line total 300,002đ: on its own each unit rounds to 100,001đ (300,003đ in all).
    shares = [line_refund(300_002, 3, 1, before) for before in range(3)]
    assert shares == [100_001, 100_000, 100_001]
    assert sum(shares) == 300_002
    # Its VAT (10 % inclusive: 27,273đ) is split by the same rule and adds up too.
    vats = [line_refund(27_273, 3, 1, before) for before in range(3)]
    assert vats == [9_091, 9_091, 9_091]
    assert sum(vats) == 27_273


def test_the_first_return_of_a_line_is_the_plain_prorated_amount() -> None:
    assert line_refund(300_002, 3, 1) == 100_001
    assert line_refund(300_002, 3, 2) == 200_001
    assert line_refund(300_002, 3, 2, before=1) == 200_001  # 300,002 - 100,001
    assert line_refund(300_002, 3, 0, before=1) == 0


@pytest.mark.parametrize("total", [1, 2, 5, 10_001, 300_002, 440_000, 999_999_999])
@pytest.mark.parametrize("quantity", [1, 2, 3, 6, 7])
def test_any_split_of_a_line_into_returns_adds_up_exactly(total: int, quantity: int) -> None:
    for cuts in itertools.product([False, True], repeat=quantity - 1):
        parts, run = [], 1
        for cut in cuts:
            if cut:
                parts.append(run)
                run = 1
            else:
                run += 1
        parts.append(run)
        before, shares = 0, []
        for units in parts:
            shares.append(line_refund(total, quantity, units, before))
            before += units
        assert sum(shares) == total, (total, quantity, parts, shares)
        assert all(s >= 0 for s in shares)


def test_units_before_a_return_are_what_older_returns_of_the_line_claim() -> None:
    claims = [
        Claim(RECEIVED, 2, 1, 0, return_id=1),  # 1 came back of 2 requested
        Claim(CANCELLED, 1, 0, 0, return_id=2),  # claims nothing
        Claim(REQUESTED, 1, 0, 0, return_id=3),  # still open: its requested unit
        Claim(RECEIVED, 1, 0, 1, return_id=4),
    ]
    assert claimed_before(claims, 1) == 0
    assert claimed_before(claims, 3) == 1
    assert claimed_before(claims, 4) == 2
    assert claimed_before(claims, 5) == 3


def test_the_default_refund_carries_exactly_its_units_vat() -> None:
    assert refund_vat(100_001, 100_001, 9_091) == 9_091
    assert refund_vat(130_000, 100_001, 9_091) == 9_091  # shipping on top adds no VAT


def test_the_goods_part_of_a_refund() -> None:
    assert refund_goods(130_000, 100_001) == 100_001  # 29,999đ on top is shipping
    assert refund_goods(50_000, 100_001) == 50_000  # a partial refund is all goods
    assert refund_goods(0, 100_001) == 0


def test_a_refund_only_return_claims_its_units_without_bringing_any_back() -> None:
    kept = Claim(REFUND_ONLY, 2, 0, 0, return_id=1)
    assert (kept.claimed, kept.came_back, kept.restocked) == (2, 0, 0)
    back = Claim(RECEIVED, 2, 1, 1, return_id=2)
    assert (back.claimed, back.came_back, back.restocked) == (2, 2, 1)
    assert returnable(5, [kept, back]) == 1
    assert returnable(2, [kept]) == 0  # kept units cannot be returned again
    assert claimed_before([kept, back], 2) == 2  # the next return is valued after them
    assert line_refund(440_000, 3, 1, before=kept.claimed) == 146_667  # 440,000 - 293,333
    assert set(NO_GOODS_REASONS) == {
        "lost_in_transit",
        "buyer_keeps_item",
        "marketplace_ruling",
        "other",
    }
    assert {RECEIVED, REFUND_ONLY} == REFUNDABLE
