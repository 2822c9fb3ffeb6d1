"""The staff page in a real browser (chromium through playwright) against the real app.

A customer orders on the web chat; the order appears on /staff as a card, live; its buttons
walk it from new to completed, the card replaced in place; a change made over the HTTP API
shows on the page by itself; a handoff is taken, answered (the customer's chat history shows
the answer) and handed back. A stranger's key gets a refusal and nothing else.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bot.container import Container
from storage.migrate import upgrade
from storage.models import parse_order_number
from tests.conftest import SYSTEM, Caller
from tests.factories import ADDRESS
from tests.web.chat_client import WebChat, buy_one_tee
from tests.web.conftest import make_catalogue, offline_settings
from tests.web.live_server import CHROMIUM, browser_page, live_server

T = TypeVar("T")

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="the playwright Python package is not installed"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
    reason="chromium is not installed (apt-get install -y chromium)",
)


def in_thread(work: Callable[[], Awaitable[T]]) -> T:
    """Runs async work to completion from sync code (playwright's sync API owns this thread)."""
    out: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(asyncio.run(work()))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('staff') / 'shop.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def staff(shop_url: str) -> dict[str, Any]:
    """The catalogue, a sales clerk's one-time login link and an owner's API key."""

    async def prepare() -> dict[str, Any]:
        c = Container.create(offline_settings(shop_url))
        try:
            shop = Caller(c.runner)
            await make_catalogue(shop)
            await shop("add_staff", SYSTEM, name="Lan", role="sales")
            await shop("add_staff", SYSTEM, name="Chủ", role="owner")
            link = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="page_login")
            key = await shop("create_api_key", SYSTEM, staff_name="Chủ")
            return {"login": link["link_secret"], "owner_key": key["api_key"]}
        finally:
            await c.aclose()

    return in_thread(prepare)


@pytest.fixture(scope="module")
def server(shop_url: str, staff: dict[str, Any]) -> Iterator[str]:
    with live_server(shop_url) as base:
        yield base


def customer_buys(base: str) -> str:
    async def buy() -> str:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await buy_one_tee(WebChat(client))

    return in_thread(buy)


def test_a_stranger_is_refused(server: str) -> None:
    with playwright_sync.sync_playwright() as p, browser_page(p) as (page, errors):
        page.goto(server + "/staff")
        page.locator("#api-key").fill("sb_guessing")
        page.locator("#login-form button").click()
        expect = playwright_sync.expect
        expect(page.locator("#login-error")).to_have_text("Missing or invalid API key.")
        expect(page.locator("#desk")).to_be_hidden()
        assert page.context.cookies() == []
        assert errors == []


def test_a_web_chat_order_is_walked_to_completed_and_a_handoff_answered(
    server: str, staff: dict[str, Any]
) -> None:
    expect = playwright_sync.expect
    with playwright_sync.sync_playwright() as p, browser_page(p) as (page, errors):
        page.goto(f"{server}/staff#login={staff['login']}")
        expect(page.locator("#who")).to_have_text("Lan · sales")
        assert "#login" not in page.url  # the one-time secret leaves the address bar
        cookie = next(c for c in page.context.cookies() if c["name"] == "shopbot_staff")
        assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")

        # A customer orders on the web chat: the card appears by itself.
        number = customer_buys(server)
        order_id = parse_order_number(number)
        card = page.locator(f"#order-{order_id}")
        expect(card).to_contain_text(number)
        expect(card).to_have_attribute("data-status", "new")
        expect(card.locator(".stock")).to_have_text("đã giữ hàng")

        # The address is corrected on the card's edit form.
        card.get_by_role("button", name="Sửa đơn").click()
        card.locator("form.edit input[name=line]").fill("10 Tràng Thi")
        card.locator("form.edit").get_by_role("button", name="Lưu").click()
        expect(card).to_contain_text("10 Tràng Thi, Phường Tràng Tiền")
        expect(card.locator("form.edit")).to_have_count(0)

        for payload, status in [
            (f"oc:{order_id}", "confirmed"),
            (f"os:{order_id}:packing", "packing"),
            (f"os:{order_id}:ready_to_ship", "ready_to_ship"),
            (f"os:{order_id}:shipping", "shipping"),
            (f"os:{order_id}:delivered", "delivered"),
            (f"os:{order_id}:completed", "completed"),
        ]:
            card.locator(f"button[data-payload='{payload}']").click()
            expect(card).to_have_attribute("data-status", status)
            expect(page.locator(f"#order-{order_id}")).to_have_count(1)  # in place
        expect(card.locator(".status")).to_have_text("Hoàn tất")
        expect(card.locator("button")).to_have_count(0)

        # An order made and confirmed over the HTTP API shows up and changes live.
        api = httpx.Client(
            base_url=server, headers={"Authorization": f"Bearer {staff['owner_key']}"}
        )
        made = api.post(
            "/api/tools/create_order",
            json={
                "channel": "phone",
                "buyer_name": "Phạm Văn Cường",
                "buyer_phone": "0903123456",
                "address": ADDRESS,
                "lines": [{"sku": "QJ01-30", "quantity": 1}],
            },
        ).json()
        phone_card = page.locator(f"#order-{made['id']}")
        expect(phone_card).to_have_attribute("data-status", "new")
        api.post("/api/tools/confirm_order", json={"order_id": made["id"]})
        expect(phone_card).to_have_attribute("data-status", "confirmed")
        expect(page.locator(f"#order-{made['id']}")).to_have_count(1)

        # A customer asks for a person: taken, answered, seen by them, handed back.
        chat_session = "staffdesk-browser-customer"

        async def ask() -> None:
            async with httpx.AsyncClient(base_url=server) as client:
                chat = WebChat(client, chat_session)
                await chat.say("xin chào")
                await chat.send(payload="staff")

        in_thread(ask)
        waiting = page.locator("#inbox .handoff")
        expect(waiting).to_have_count(1)
        waiting.get_by_role("button", name="Nhận trả lời").click()
        expect(waiting).to_contain_text("Đang trả lời: Lan")
        waiting.locator("input[name=text]").fill("Chào bạn, mình là Lan đây")
        waiting.get_by_role("button", name="Gửi").click()
        expect(page.locator("#answer")).to_have_text("Đã gửi.")
        seen = httpx.get(f"{server}/api/chat/history", params={"session_id": chat_session}).json()
        assert (seen["mode"], seen["messages"][-1]["role"], seen["messages"][-1]["text"]) == (
            "human",
            "staff",
            "Chào bạn, mình là Lan đây",
        )
        page.locator("#inbox .handoff").get_by_role("button", name="Trả lại cho bot").click()
        expect(page.locator("#inbox .handoff")).to_have_count(0)
        back = httpx.get(f"{server}/api/chat/history", params={"session_id": chat_session})
        assert back.json()["mode"] == "bot"
        assert errors == []
