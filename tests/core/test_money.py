from __future__ import annotations

import pytest

from core.money import (
    PricedLine,
    format_vnd,
    line_amounts,
    margin_percent,
    order_totals,
    round_half_up_div,
    split_discount,
)


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(10, 4, 3), (9, 4, 2), (5, 10, 1), (4, 10, 0), (-10, 4, -3), (0, 7, 0)],
)
def test_round_half_up(num: int, den: int, expected: int) -> None:
    assert round_half_up_div(num, den) == expected


def test_vat_inclusive_line_rounds_half_up_per_line() -> None:
    # 99,999đ incl. 8 %: VAT = 99999 * 8 / 108 = 7407.33 -> 7407.
    a = line_amounts(99_999, 1, 8, 0, prices_include_vat=True)
    assert (a.gross, a.vat, a.net) == (99_999, 7_407, 92_592)


def test_vat_exclusive_line_adds_vat() -> None:
    a = line_amounts(12_345, 3, 10, 0, prices_include_vat=False)
    # net 37,035; VAT 3,703.5 -> 3,704 (half up).
    assert (a.net, a.vat, a.gross) == (37_035, 3_704, 40_739)


def test_order_vat_is_the_sum_of_line_vats_not_vat_of_the_total() -> None:
    lines = [PricedLine(10_001, 1, 10), PricedLine(10_001, 1, 10), PricedLine(10_001, 1, 10)]
    t = order_totals(lines, prices_include_vat=True)
    # Each line: 10001 * 10 / 110 = 909.18 -> 909, so 2,727; the total's VAT would be 2,728.
    assert t.vat_total == 2_727


def test_discount_spread_sums_exactly_and_favours_largest_remainders() -> None:
    shares = split_discount([100_000, 50_000, 50_000], 10_001)
    assert sum(shares) == 10_001
    assert shares == [5_001, 2_500, 2_500]


def test_discount_never_exceeds_goods() -> None:
    assert sum(split_discount([1_000], 5_000)) == 1_000


def test_totals_with_discount_shipping_and_seller_paid_shipping() -> None:
    lines = [PricedLine(200_000, 2, 10), PricedLine(100_000, 1, 8)]
    t = order_totals(lines, discount=50_000, shipping_fee=30_000)
    assert t.subtotal == 500_000
    assert t.discount == 50_000
    assert t.goods_total == 450_000
    assert t.total == 480_000
    assert t.vat_total == sum(a.vat for a in t.lines)
    free = order_totals(lines, discount=50_000, shipping_fee=30_000, seller_pays_shipping=True)
    assert free.total == 450_000
    assert free.shipping_fee == 0


def test_unsupported_vat_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="VAT"):
        line_amounts(1_000, 1, 7, 0, prices_include_vat=True)


def test_money_display_and_margin() -> None:
    assert format_vnd(1_234_500) == "1.234.500₫"
    assert format_vnd(0) == "0₫"
    assert margin_percent(200_000, 150_000) == 25.0
    assert margin_percent(0, 10) is None


def test_balance_of_an_order() -> None:
    from core.money import balance

    assert balance(330_000, 0) == (330_000, 0)
    assert balance(330_000, 100_000) == (230_000, 0)
    assert balance(200_000, 330_000) == (0, 130_000)  # edited down after paying
    assert balance(330_000, 330_000, cancelled=True) == (0, 330_000)
    assert balance(330_000, 0, cancelled=True) == (0, 0)
