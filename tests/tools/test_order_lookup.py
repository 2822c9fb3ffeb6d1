"""lookup_order: a shopper on another device sees an order by its number and phone.

The answer for a wrong phone is the answer for a number that does not exist (no oracle), and
attempts are limited per caller and per phone in the database, so restarting or adding
workers does not reset them.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import DomainError
from core.roles import Actor
from storage.database import Database
from tests.conftest import Caller
from tests.factories import make_order, make_stocked_shop
from tools.config import ToolConfig
from tools.registry import Registry
from tools.runner import ToolRunner

STRANGER = Actor.customer(999)  # a new browser: a customer who placed nothing


@pytest.fixture
async def order(shop: Caller) -> dict[str, Any]:
    await make_stocked_shop(shop)
    return await make_order(shop, {"AT01-DEN-M": 2, "AT01-TRANG-L": 1})  # buyer 0912345678


async def _make_stranger(shop: Caller) -> Actor:
    made = await shop("create_customer", name="Người lạ")
    return Actor.customer(made["id"])


@pytest.mark.parametrize(
    ("number", "phone"),
    [
        ("DH000001", "0912345678"),
        ("dh1", "+84 912 345 678"),
        ("#1", "84912345678"),
        ("1", "0912.345.678"),
    ],
)
async def test_number_and_phone_show_status_items_and_total(
    shop: Caller, order: dict[str, Any], number: str, phone: str
) -> None:
    who = await _make_stranger(shop)
    out = await shop("lookup_order", who, number=number, phone=phone)
    assert out["found"] is True
    got = out["order"]
    assert got["number"] == "DH000001"
    assert got["status"] == "new"
    assert got["total"] == order["total"]
    assert [(i["sku"], i["quantity"]) for i in got["items"]] == [
        ("AT01-DEN-M", 2),
        ("AT01-TRANG-L", 1),
    ]
    assert not {"buyer_name", "buyer_phone", "address"} & set(got)  # nothing personal


async def test_a_wrong_phone_and_a_missing_number_get_the_same_answer(
    shop: Caller, order: dict[str, Any]
) -> None:
    who = await _make_stranger(shop)
    wrong_phone = await shop("lookup_order", who, number="DH000001", phone="0903123456")
    no_such_order = await shop("lookup_order", who, number="DH000077", phone="0912345678")
    assert wrong_phone == no_such_order
    assert wrong_phone["found"] is False
    assert wrong_phone["order"] is None
    assert wrong_phone["message"]


async def test_attempts_are_limited_per_caller_across_processes(
    db_url: str, registry: Registry, order: dict[str, Any], shop: Caller
) -> None:
    """Two runners on two connection pools stand for two server processes."""
    who = await _make_stranger(shop)
    config = ToolConfig(order_lookup_per_hour=3)
    first, second = Database(db_url), Database(db_url)
    try:
        runners = [ToolRunner(first, registry, config), ToolRunner(second, registry, config)]
        for i in range(3):
            out = await runners[i % 2].call(
                "lookup_order", {"number": f"DH00009{i}", "phone": "0903123456"}, who
            )
            assert out.found is False  # type: ignore[attr-defined]
        with pytest.raises(DomainError) as err:
            await runners[1].call(
                "lookup_order", {"number": "DH000001", "phone": "0912345678"}, who
            )
        assert err.value.code == "rate_limited"
        assert err.value.http_status == 429
        # Another shopper is not held back by this one.
        other = await _make_stranger(shop)
        ok = await runners[0].call("lookup_order", {"number": "1", "phone": "0912345678"}, other)
        assert ok.found is True  # type: ignore[attr-defined]
    finally:
        await first.dispose()
        await second.dispose()


async def test_failed_attempts_on_one_phone_are_limited_whoever_asks(
    db: Database, registry: Registry, order: dict[str, Any], shop: Caller
) -> None:
    """Guessing order numbers for a known phone from many new sessions is held back too."""
    runner = ToolRunner(db, registry, ToolConfig(order_lookup_per_hour=2))
    for n in range(2):
        who = await _make_stranger(shop)
        out = await runner.call("lookup_order", {"number": f"{50 + n}", "phone": "0912345678"}, who)
        assert out.found is False  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as err:
        await runner.call(
            "lookup_order", {"number": "1", "phone": "0912345678"}, await _make_stranger(shop)
        )
    assert err.value.code == "rate_limited"


async def test_bad_input_names_the_field(shop: Caller, order: dict[str, Any]) -> None:
    who = await _make_stranger(shop)
    with pytest.raises(DomainError) as err:
        await shop("lookup_order", who, number="DH000001", phone="12")
    assert err.value.field == "phone"
    with pytest.raises(DomainError) as err:
        await shop("lookup_order", who, number="hello", phone="0912345678")
    assert err.value.field == "number"


async def test_over_http_the_limit_is_a_429_in_the_error_shape(
    db: Database, db_url: str, registry: Registry, order: dict[str, Any]
) -> None:
    from tests.test_http import error, make_shop

    async for api in make_shop(db, db_url, registry):
        body = {"number": "DH000001", "phone": "0912345678"}
        for _ in range(10):  # SHOPBOT_ORDER_LOOKUP_PER_HOUR's default
            resp = await api.post("lookup_order", body)
            assert resp.status_code == 200
            assert resp.json()["found"] is True
        refused = await api.post("lookup_order", body)
        assert refused.status_code == 429
        assert error(refused)["code"] == "rate_limited"
        assert error(refused)["details"]["retry_after_seconds"] > 0
