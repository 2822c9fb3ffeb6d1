"""Paying by bank transfer in the web chat: the order confirmation carries the shop's account,
the exact amount and a VietQR code the page draws; without an account, staff send it."""

from __future__ import annotations

import httpx
import pytest

from bot.container import Container, load_settings
from core.vietqr import is_payload, vietqr_payload
from storage.database import Database
from tests.conftest import Caller
from tests.factories import BANK, SALES
from tests.web.chat_client import WebChat, buy_one_tee
from tools import TOOL_MODULES, build_registry
from tools.registry import Registry

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def container(db: Database, db_url: str, registry: Registry) -> Container:
    settings = load_settings(
        database_url=db_url,
        llm_api_key=None,
        llm_base_url=None,
        _env_file=None,
        **BANK.model_dump(
            include={"bank_bin", "bank_name", "bank_account_number", "bank_account_name"}
        ),
    )
    return Container.create(settings, db=db, registry=registry)


async def test_the_confirmation_shows_the_account_and_a_code_for_the_amount(
    client: httpx.AsyncClient,
) -> None:
    chat = WebChat(client)
    number = await buy_one_tee(chat, payment="Chuyển khoản")
    pay = chat.replies[-1]
    assert "Vietcombank" in pay["text"]
    assert "0071000123456" in pay["text"]
    assert "CONG TY TNHH AO DEP" in pay["text"]
    assert "179.000₫" in pay["text"]  # 149,000 + 30,000 shipping
    assert f"Nội dung: {number}" in pay["text"]
    assert is_payload(pay["qr"])
    assert "5406179000" in pay["qr"]  # the amount, tag 54
    assert number in pay["qr"]
    assert number in chat.titles()  # the order's button is still there

    drawn = await client.get("/api/chat/qr.svg", params={"data": pay["qr"]})
    assert drawn.status_code == 200
    assert drawn.headers["content-type"].startswith("image/svg+xml")
    assert drawn.text.startswith("<svg")

    history = await client.get("/api/chat/history", params={"session_id": chat.session_id})
    assert history.json()["messages"][-1]["qr"] == pay["qr"]  # a reload shows it again


async def test_only_checksummed_payment_codes_are_drawn(client: httpx.AsyncClient) -> None:
    for data in ("https://example.com/phish", "000201" + "0" * 20 + "63041234"):
        resp = await client.get("/api/chat/qr.svg", params={"data": data})
        assert resp.status_code == 422
        assert resp.json()["error"]["code"] == "invalid_qr"


async def test_an_unpaid_transfer_order_offers_its_payment_details_again(
    client: httpx.AsyncClient, shop: Caller
) -> None:
    chat = WebChat(client)
    number = await buy_one_tee(chat, payment="Chuyển khoản")
    first_code = chat.replies[-1]["qr"]
    await chat.press(number)  # the order, later
    assert "Thông tin chuyển khoản" in chat.titles()
    await chat.press("Thông tin chuyển khoản")
    assert chat.replies[-1]["qr"] == first_code
    assert "179.000₫" in chat.text

    order = await shop("get_order", number=number)
    await shop("record_payment", SALES, order_id=order["id"], amount=100_000)
    await chat.press(number)
    await chat.press("Thông tin chuyển khoản")
    assert "79.000₫" in chat.text  # what is still due, in words and in the code
    assert "540579000" in chat.replies[-1]["qr"]

    await shop("record_payment", SALES, order_id=order["id"], amount=79_000)
    await chat.press(number)
    assert "Thông tin chuyển khoản" not in chat.titles()  # paid: nothing to show

    cod_chat = WebChat(client)
    cod = await buy_one_tee(cod_chat)  # cash on delivery
    await cod_chat.press(cod)
    assert "Huỷ đơn" in cod_chat.titles()  # the order is shown ...
    assert "Thông tin chuyển khoản" not in cod_chat.titles()  # ... with nothing to transfer


async def test_the_order_is_confirmed_even_when_its_payment_details_fail(
    db: Database, db_url: str
) -> None:
    """A shop whose tools cannot give payment details (here: the tool is missing) still shows
    the placed order's number; only the account and code are left out."""
    from fastapi import FastAPI

    from bot.web import chat_router
    from bot.web.ratelimit import RateLimiter

    registry = build_registry(tuple(m for m in TOOL_MODULES if m != "tools.payments"))
    settings = load_settings(
        database_url=db_url, llm_api_key=None, llm_base_url=None, _env_file=None
    )
    app = FastAPI()
    container = Container.create(settings, db=db, registry=registry)
    app.include_router(chat_router(container, responder=None, limiter=RateLimiter(burst=1000)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        chat = WebChat(client)
        number = await buy_one_tee(chat, payment="Chuyển khoản")
    assert number in chat.text
    assert all(r.get("qr") is None for r in chat.replies)


async def test_drawing_codes_counts_against_the_address_limit(
    db: Database, db_url: str, registry: Registry
) -> None:
    from fastapi import FastAPI

    from bot.web import chat_router

    settings = load_settings(
        database_url=db_url,
        llm_api_key=None,
        llm_base_url=None,
        web_chat_per_address_per_minute=2,
        _env_file=None,
    )
    app = FastAPI()
    app.include_router(chat_router(Container.create(settings, db=db, registry=registry)))
    code = vietqr_payload(BANK.bank, 179_000, "DH000001")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        codes = [
            (await client.get("/api/chat/qr.svg", params={"data": code})).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]
