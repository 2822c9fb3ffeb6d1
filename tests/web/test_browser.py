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
from tests.web.live_server import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, live_server

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="the playwright Python package is not installed"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
    reason="chromium is not installed (apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:

    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'shop.db'}"
    upgrade(url)
    settings = offline_settings(url).model_copy(update={"media_dir": str(folder / "media")})

    async def demo() -> None:
        c = Container.create(settings)
        try:
            result = await load_demo_data(c.runner)
            assert result["status"] == "loaded", result
        finally:
            await c.aclose()

    asyncio.run(demo())
    with live_server(url, settings) as base:
        yield base


def test_buy_a_product_by_clicking(server: str) -> None:
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(locale="vi-VN")
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
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
            # The demo's own picture, not the grey letter: loaded from the app's thumbnails.
            picture = card.locator(".img img")
            expect(picture).to_have_attribute("src", re.compile(r"^/media/thumbs/"))
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
            )
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
            click("Xác nhận đặt hàng")
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
        finally:
            browser.close()


def test_on_a_phone_buy_with_typed_words_then_look_the_order_up_elsewhere(server: str) -> None:
    """Issue 8: a phone-size screen; search by typing, pick a variant, the quantity in words,
    check out on the order card, then a second browser (another device) finds the order by
    its number and the phone it was placed with."""
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    expect = playwright_sync.expect
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(locale="vi-VN", **phone).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server + "/")
            log = page.locator("#log")
            expect(log).to_contain_text("Chào bạn")
            composer = page.locator("#text")

            def say(text: str) -> None:
                composer.fill(text)
                composer.press("Enter")
                page.wait_for_function("() => !document.querySelector('#log .typing')")

            def click(name: str) -> None:
                page.locator("#log .buttons.quick button", has_text=name).filter(
                    has_text=re.compile(f"^{re.escape(name)}$")
                ).last.click()
                page.wait_for_function("() => !document.querySelector('#log .typing')")

            def last_bot() -> str:
                return str(page.locator("#log .msg.bot:not(.typing)").last.inner_text())

            say("quần jean")
            card = page.locator(".card", has_text="Quần jean").first
            expect(card).to_be_visible()
            picture = card.locator(".img img")
            expect(picture).to_have_attribute("src", re.compile(r"^/media/thumbs/"))
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
            )
            box = card.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390  # the card fits the phone's screen
            card.get_by_role("button", name="Xem").click()
            page.wait_for_function("() => !document.querySelector('#log .typing')")
            for _ in range(3):
                if "Bạn lấy mấy cái" in last_bot():
                    break
                page.locator("#log .buttons.quick").last.locator("button").first.click()
                page.wait_for_function("() => !document.querySelector('#log .typing')")
            expect(page.locator("#log .msg.bot").last).to_contain_text("Bạn lấy mấy cái")
            say("hai")
            expect(log).to_contain_text("Đã thêm 2 ×")
            click("Đặt hàng")
            for text in ("Lê Thị Hoa", "0912 345 678", "25 Lê Lợi, Bến Nghé, Quận 1, TP HCM"):
                say(text)
            click("Đúng rồi")
            click("Tiền mặt khi nhận (COD)")
            expect(page.locator("#log .msg.bot").last).to_contain_text("Tổng cộng")
            click("Xác nhận đặt hàng")
            expect(log).to_contain_text("Đặt hàng thành công")
            number = re.search(r"DH\d{6}", last_bot())
            assert number, last_bot()

            other = browser.new_context(locale="vi-VN", **phone).new_page()
            other.set_default_timeout(TIMEOUT_MS)
            other.goto(server + "/")
            expect(other.locator("#log")).to_contain_text("Chào bạn")
            other.locator("#text").fill(f"{number.group(0)} 0912345678")
            other.locator("#text").press("Enter")
            expect(other.locator("#log .msg.bot").last).to_contain_text(number.group(0))
            expect(other.locator("#log .msg.bot").last).to_contain_text("Quần jean")
            expect(other.locator("#log .msg.bot").last).not_to_contain_text("Lê Thị Hoa")
            assert errors == []
        finally:
            browser.close()
