"""The staff page's API: who gets in (a key or a one-time link), how a session is kept
(HttpOnly, SameSite=Strict cookie, CSRF header, same origin), and what each role may press."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.container import Container
from bot.http.app import create_app
from bot.staff.live import LiveFeed
from tests.conftest import SYSTEM, Caller
from tests.factories import make_order, make_product, make_warehouses

BASE = "http://shop.test"


@pytest.fixture
async def page(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


async def key_for(shop: Caller, name: str, role: str) -> str:
    await shop("add_staff", SYSTEM, name=name, role=role)
    return str((await shop("create_api_key", SYSTEM, staff_name=name))["api_key"])


async def logged_in(page: httpx.AsyncClient, key: str) -> dict[str, Any]:
    resp = await page.post("/staff/api/login", json={"api_key": key})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_the_page_needs_no_token_but_its_data_needs_a_login(
    page: httpx.AsyncClient,
) -> None:
    html = await page.get("/staff")
    assert html.status_code == 200
    assert "script-src 'self'" in html.headers["content-security-policy"]
    for path in ("/staff/api/me", "/staff/api/orders", "/staff/api/inbox", "/staff/api/events"):
        resp = await page.get(path)
        assert resp.status_code == 401, path
        assert resp.json()["error"]["code"] == "not_logged_in"


async def test_a_stranger_is_refused_politely_and_learns_nothing(page: httpx.AsyncClient) -> None:
    for body in ({"api_key": "sb_not-a-real-key"}, {"login_secret": "made-up-secret"}, {}):
        resp = await page.post("/staff/api/login", json=body)
        assert resp.status_code in (401, 422), body
        assert "set-cookie" not in resp.headers
        assert "Traceback" not in resp.text


async def test_a_key_opens_a_strict_http_only_session(
    page: httpx.AsyncClient, shop: Caller
) -> None:
    me = await logged_in(page, await key_for(shop, "Lan", "sales"))
    assert (me["name"], me["role"]) == ("Lan", "sales")
    cookie = (
        (
            await page.post(
                "/staff/api/login", json={"api_key": await key_for(shop, "Minh", "sales")}
            )
        )
        .headers["set-cookie"]
        .lower()
    )
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/staff" in cookie
    assert (await page.get("/staff/api/me")).json()["name"] == "Minh"


async def test_a_post_without_the_csrf_token_or_from_elsewhere_is_refused(
    page: httpx.AsyncClient, shop: Caller
) -> None:
    me = await logged_in(page, await key_for(shop, "Lan", "sales"))
    no_token = await page.post("/staff/api/command", json={"text": "/help"})
    assert no_token.status_code == 403
    assert no_token.json()["error"]["code"] == "csrf"
    elsewhere = await page.post(
        "/staff/api/command",
        json={"text": "/help"},
        headers={"X-CSRF-Token": me["csrf"], "Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    fine = await page.post(
        "/staff/api/command",
        json={"text": "/help"},
        headers={"X-CSRF-Token": me["csrf"], "Origin": BASE},
    )
    assert fine.status_code == 200
    assert "/orders" in fine.json()["text"]


async def test_a_login_link_works_once(page: httpx.AsyncClient, shop: Caller) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="manager")
    link = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="page_login")
    first = await page.post("/staff/api/login", json={"login_secret": link["link_secret"]})
    assert first.status_code == 200
    page.cookies.clear()
    again = await page.post("/staff/api/login", json={"login_secret": link["link_secret"]})
    assert again.status_code == 401


async def test_warehouse_gets_no_invoice_or_refund_buttons_and_is_refused_them(
    page: httpx.AsyncClient, shop: Caller
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1}, upto=["confirmed"])
    me = await logged_in(page, await key_for(shop, "Bảo", "warehouse"))
    [card] = (await page.get("/staff/api/orders")).json()["cards"]
    payloads = [b["payload"] for b in card["buttons"]]
    assert payloads == [f"os:{order['id']}:packing"]
    for payload in (f"iv:{order['id']}", f"rf:{order['id']}"):
        resp = await page.post(
            "/staff/api/press", json={"payload": payload}, headers={"X-CSRF-Token": me["csrf"]}
        )
        assert resp.json()["ok"] is False
        assert "may not use" in resp.json()["text"]
    packed = await page.post(
        "/staff/api/press", json={"payload": payloads[0]}, headers={"X-CSRF-Token": me["csrf"]}
    )
    assert packed.json()["cards"][0]["status"] == "packing"


async def test_the_live_feed_tells_pages_which_order_changed(
    container: Container, shop: Caller, backend: str
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    old = await make_order(shop, {"AT01-DEN-M": 1})  # before the feed: old news
    feed = LiveFeed(container.db)
    queue = feed.subscribe()
    try:
        assert (await queue.get())["type"] == "hello"
        order = await make_order(shop, {"AT01-DEN-M": 1})
        await shop("confirm_order", order_id=order["id"])
        seen: list[dict[str, Any]] = []
        while seen.count({"type": "order", "order_id": order["id"]}) < 2:
            seen.append(await asyncio.wait_for(queue.get(), 30))  # a guard, not a speed test
        assert {n["type"] for n in seen} == {"order"}
        if backend == "sqlite":
            # On PostgreSQL an old event may still be behind the horizon of a transaction
            # running elsewhere in the cluster when the feed starts; then it comes as news.
            assert {"type": "order", "order_id": old["id"]} not in seen
    finally:
        await feed.aclose()
