"""The hot paths make no blocking call in the event loop (blockbuster, tests/blocking.py):
orders over HTTP, product reads, health checks, on each database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from tests.blocking import no_blocking
from tests.conftest import Caller
from tests.factories import ADDRESS, make_product, make_warehouses
from tests.test_http import Shop, make_shop
from tools.registry import Registry
from tools.runner import ToolRunner


@pytest.fixture
async def shop(db: Database, db_url: str, registry: Registry) -> AsyncIterator[Shop]:
    async for shop in make_shop(db, db_url, registry):
        caller = Caller(ToolRunner(db, registry))
        await make_warehouses(caller)
        await make_product(caller)
        yield shop


async def test_orders_and_reads_over_http_make_no_blocking_call(shop: Shop) -> None:
    order = {
        "buyer_name": "Lan",
        "buyer_phone": "0912345678",
        "address": ADDRESS,
        "lines": [{"sku": "AT01-DEN-M", "quantity": 1}],
    }
    with no_blocking():
        for _ in range(3):  # first calls compile statements; later ones take the cached path
            made = await shop.post("create_order", order)
            assert made.status_code == 200, made.text
            got = await shop.post("get_product", {"code": "AT01"})
            assert got.status_code == 200, got.text
            quote = await shop.post(
                "quote_order", {"lines": [{"sku": "AT01-TRANG-L", "quantity": 1}]}
            )
            assert quote.status_code == 200, quote.text
            placed = await shop.post(
                "place_order",
                {
                    "quote_token": quote.json()["quote_token"],
                    "buyer_name": "Lan",
                    "buyer_phone": "0912345678",
                    "address": ADDRESS,
                },
            )
            assert placed.status_code == 200, placed.text
            assert (await shop.client.get("/healthz")).status_code == 200
            assert (await shop.post("list_orders", {})).status_code == 200
