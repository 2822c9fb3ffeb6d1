"""A real browser buys a product on the web chat page (Debian's chromium through playwright).

The server is the real app (``create_app``) under uvicorn on a free localhost port, against a
fresh SQLite database with the demo shop loaded through the tools, as ``make run`` does.
Skipped, saying why, when chromium or playwright is missing (CI installs chromium).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.container import Container
from bot.demo_data import load_demo_data
from storage.migrate import upgrade
from tests.web.conftest import offline_settings
from tests.web.live_server import CHROMIUM, browser_page, live_server

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="the playwright Python package is not installed"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
    reason="chromium is not installed (apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'shop.db'}"
    upgrade(url)

    async def demo() -> None:
        c = Container.create(offline_settings(url))
        try:
            result = await load_demo_data(c.runner)
            assert result["status"] == "loaded", result
        finally:
            await c.aclose()

    asyncio.run(demo())
    with live_server(url) as base:
        yield base


def test_buy_a_product_by_clicking(server: str) -> None:
    with playwright_sync.sync_playwright() as p, browser_page(p) as (page, errors):
        page.goto(server + "/")

        log = page.locator("#log")
        expect = playwright_sync.expect
        expect(log).to_contain_text("Chào bạn")
        expect(page.locator("#sandbox")).to_be_visible()

        def click(name: str) -> None:
            page.locator("#log .buttons.quick button", has_text=name).filter(
                has_text=re.compile(f"^{re.escape(name)}$")
            ).last.click()

        def last_bot() -> str:
            return str(page.locator("#log .msg.bot:not(.typing)").last.inner_text())

        click("Xem danh mục")
        expect(log).to_contain_text("danh mục sau")
        page.locator("#log .buttons.quick button", has_text="Áo thun (").last.click()
        card = page.locator(".card", has_text="Áo thun cotton basic cổ tròn").last
        expect(card).to_be_visible()
        expect(card.locator(".price")).to_contain_text("₫")
        card.get_by_role("button", name="Xem").click()
        expect(log).to_contain_text("Bạn chọn Màu")
        # Pick the first colour and size on offer (only in-stock ones are buttons).
        for _ in range(3):
            page.wait_for_function("() => !document.querySelector('#log .typing')")
            if "Bạn lấy mấy cái" in last_bot():
                break
            page.locator("#log .buttons.quick").last.locator("button").first.click()
            page.wait_for_function("() => !document.querySelector('#log .typing')")
        expect(page.locator("#log .msg.bot").last).to_contain_text("Bạn lấy mấy cái")
        click("1")
        expect(log).to_contain_text("Đã thêm 1 ×")
        click("Đặt hàng")
        expect(log).to_contain_text("tên người nhận")

        composer = page.locator("#text")
        for text, next_prompt in (
            ("Lê Thị Hoa", "Số điện thoại"),
            ("0912345", "không phải số điện thoại hợp lệ"),
            ("0912 345 678", "Địa chỉ giao hàng"),
            ("25 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", "Đúng chưa bạn"),
        ):
            composer.fill(text)
            composer.press("Enter")
            expect(page.locator("#log .msg.bot").last).to_contain_text(next_prompt)
        click("Đúng rồi")
        expect(log).to_contain_text("thanh toán thế nào")
        click("Tiền mặt khi nhận (COD)")
        expect(log).to_contain_text("Tổng cộng")
        click("Xác nhận")
        expect(log).to_contain_text("Đặt hàng thành công")
        number = re.search(r"DH\d{6}", last_bot())
        assert number, last_bot()

        # The order is the customer's: "My orders" lists it, in English after the toggle.
        page.locator(".lang button[data-lang='en']").click()
        expect(
            page.locator("#log .buttons.quick button", has_text="My orders").last
        ).to_be_visible()
        click("My orders")
        expect(page.locator("#log .msg.bot").last).to_contain_text(number.group(0))
        expect(page.locator("#send")).to_have_text("Send")

        # A reload restores the conversation from the server.
        page.reload()
        expect(log).to_contain_text(number.group(0))
        assert errors == []
