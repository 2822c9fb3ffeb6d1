"""The real app under uvicorn on a free localhost port, in a thread, for browser tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.cli import GRACEFUL_SHUTDOWN_SECONDS
from bot.http.app import create_app
from bot.settings import Settings
from tests.web.conftest import offline_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def browser_page(playwright: Any) -> Iterator[tuple[Any, list[str]]]:
    """A chromium page (Vietnamese locale, the tests' timeout) and the page errors it raised."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        page = browser.new_page(locale="vi-VN")
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
    finally:
        browser.close()


@contextlib.contextmanager
def live_server(db_url: str, settings: Settings | None = None) -> Iterator[str]:
    """Serves ``create_app`` on ``db_url`` (with ``settings`` when given: e.g. a media folder of
    the test's own); yields the base URL and stops it afterwards."""
    import uvicorn

    port = free_port()
    app = create_app(settings or offline_settings(db_url))
    srv = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        srv.should_exit = True
        pytest.fail("the server did not start")
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
