"""X-Forwarded-For is believed only from the proxies SHOPBOT_TRUSTED_PROXIES names.

The per-address chat limit counts the client's address: if any caller could choose it with a
header, a script would never run out; if a real proxy's header were ignored, every customer
behind it would share one bucket.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from bot.cli import server_config
from bot.container import Container
from bot.http.app import create_app
from bot.settings import SettingsError, load
from storage.database import Database
from tests.web.conftest import offline_settings
from tools.registry import Registry


@asynccontextmanager
async def _client(
    db: Database, db_url: str, registry: Registry, trusted: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = offline_settings(db_url).model_copy(
        update={"web_chat_per_address_per_minute": 2, "trusted_proxies": trusted}
    )
    app = create_app(Container.create(settings, db=db, registry=registry))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def _codes(client: httpx.AsyncClient) -> list[int]:
    """Three messages, each from a new session and a different forwarded address."""
    return [
        (
            await client.post(
                "/api/chat/messages",
                json={"session_id": f"{n:020d}", "text": "hi"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
        ).status_code
        for n in range(3)
    ]


async def test_by_default_a_forwarded_address_is_not_believed(
    db: Database, db_url: str, registry: Registry
) -> None:
    async with _client(db, db_url, registry, "") as client:
        assert await _codes(client) == [200, 200, 429]  # all counted as 127.0.0.1


async def test_a_named_proxy_forwards_the_clients_address(
    db: Database, db_url: str, registry: Registry
) -> None:
    async with _client(db, db_url, registry, "10.0.0.0/8, 127.0.0.1") as client:
        assert await _codes(client) == [200, 200, 200]


def test_a_bad_proxy_address_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="SHOPBOT_TRUSTED_PROXIES"):
        load(trusted_proxies="127.0.0.1, nginx", _env_file=None)
    assert load(trusted_proxies="*", _env_file=None).trusted_proxies == "*"
    assert load(trusted_proxies="::1, 10.0.0.0/8", _env_file=None).trusted_proxies


def test_the_served_app_does_not_believe_a_local_callers_forwarded_address(
    db_url: str, backend: str
) -> None:
    """``shopbot serve``'s own server (uvicorn, as configured by the CLI): by default uvicorn
    believes X-Forwarded-For from 127.0.0.1, so one local script could pose as many addresses."""
    if backend != "sqlite":
        pytest.skip("the server side is the same on every database")
    settings = offline_settings(db_url).model_copy(update={"web_chat_per_address_per_minute": 2})
    server = uvicorn.Server(server_config(settings, port=_free_port()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.config.port}"
        _wait_until_up(base)
        codes = [
            httpx.post(
                f"{base}/api/chat/messages",
                json={"session_id": f"{n:020d}", "text": "hi"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=10,
            ).status_code
            for n in range(3)
        ]
        assert codes == [200, 200, 429]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(base: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("the server did not start")


def test_the_served_app_keeps_idle_connections_longer_than_a_proxy_does(db_url: str) -> None:
    """A reverse proxy reuses an idle upstream connection for up to 60 s (nginx's default): a
    server that closes it sooner races the proxy's next request (a 502 there)."""
    config = server_config(offline_settings(db_url), port=_free_port())
    assert config.timeout_keep_alive > 60
