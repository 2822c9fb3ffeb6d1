"""The hot paths make no blocking call in the event loop (blockbuster, tests/blocking.py):
orders over HTTP, product reads, health checks, on each database."""

from __future__ import annotations

from tests.blocking import no_blocking
from tests.factories import ADDRESS
from tests.test_http import Shop


async def test_orders_and_reads_over_http_make_no_blocking_call(stocked: Shop) -> None:
    order = {
        "buyer_name": "Lan",
        "buyer_phone": "0912345678",
        "address": ADDRESS,
        "lines": [{"sku": "AT01-DEN-M", "quantity": 1}],
    }
    with no_blocking():
        for _ in range(3):  # first calls compile statements; later ones take the cached path
            made = await stocked.post("create_order", order)
            assert made.status_code == 200, made.text
            got = await stocked.post("get_product", {"code": "AT01"})
            assert got.status_code == 200, got.text
            quote = await stocked.post(
                "quote_order", {"lines": [{"sku": "AT01-TRANG-L", "quantity": 1}]}
            )
            assert quote.status_code == 200, quote.text
            placed = await stocked.post(
                "place_order",
                {
                    "quote_token": quote.json()["quote_token"],
                    "buyer_name": "Lan",
                    "buyer_phone": "0912345678",
                    "address": ADDRESS,
                },
            )
            assert placed.status_code == 200, placed.text
            assert (await stocked.client.get("/healthz")).status_code == 200
            assert (await stocked.post("list_orders", {})).status_code == 200
