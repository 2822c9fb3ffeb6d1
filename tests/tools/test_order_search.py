"""list_orders' search: a phone as people type it is a phone, an order number is a number."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Caller
from tests.factories import make_order, make_stocked_shop


@pytest.fixture
async def two_buyers(shop: Caller) -> list[dict[str, Any]]:
    """Two orders by 0912 345 678, one by 0903 123 456."""
    await make_stocked_shop(shop)
    return [
        await make_order(shop, {"AT01-DEN-M": 1}),
        await make_order(shop, {"AT01-DEN-M": 1}),
        await make_order(shop, {"AT01-DEN-M": 1}, buyer_phone="0903123456", buyer_name="Bình"),
    ]


async def _ids(shop: Caller, search: str) -> list[int]:
    out = await shop("list_orders", search=search)
    return sorted(o["id"] for o in out["orders"])


@pytest.mark.parametrize(
    "typed", ["0912345678", "0912 345 678", "+84912345678", "84912345678", "0912.345.678"]
)
async def test_a_phone_as_people_type_it_finds_that_buyers_orders(
    shop: Caller, two_buyers: list[dict[str, Any]], typed: str
) -> None:
    assert await _ids(shop, typed) == sorted(o["id"] for o in two_buyers[:2])


async def test_part_of_a_phone_finds_orders_by_its_digits(
    shop: Caller, two_buyers: list[dict[str, Any]]
) -> None:
    assert await _ids(shop, "3123456") == [two_buyers[2]["id"]]
    assert await _ids(shop, "0912 345") == sorted(o["id"] for o in two_buyers[:2])


@pytest.mark.parametrize("typed", ["DH000002", "dh2", "#2", "2", "000002", " DH 000002 "])
async def test_an_order_number_finds_only_that_order(
    shop: Caller, two_buyers: list[dict[str, Any]], typed: str
) -> None:
    assert two_buyers[1]["id"] == 2
    assert await _ids(shop, typed) == [2]


async def test_a_name_is_not_read_as_a_number(
    shop: Caller, two_buyers: list[dict[str, Any]]
) -> None:
    assert await _ids(shop, "binh") == [two_buyers[2]["id"]]
    assert await _ids(shop, "dh") == []
