"""The platforms' requests (integrations.http.outbound_client under bot.channels.http.post):
whatever the aiohttp transport meets on the wire, the caller sees httpx's answer or one of
the two outcomes the send queue acts on: ``RetryLater`` (try again, after the server's
Retry-After if it gave one) or the platform's refusal as a response. Real sockets throughout:
a local aiohttp server that answers, throttles, hangs or drops the connection."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.channels.base import RetryLater
from bot.channels.http import post
from integrations.http import outbound_client


class Server:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str], bytes]] = []
        self.peers: list[int] = []  # the client's port of each request
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/ok", self.ok)
        app.router.add_post("/throttled", self.throttled)
        app.router.add_post("/broken", self.broken)
        app.router.add_post("/hang", self.hang)
        app.router.add_post("/drop", self.drop)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    async def ok(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, dict(request.headers), await request.read()))
        assert request.transport is not None
        self.peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"ok": True, "echo": request.query.get("q", "")})

    async def throttled(self, request: web.Request) -> web.Response:
        return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "7"})

    async def broken(self, request: web.Request) -> web.Response:
        return web.json_response({"error": "down"}, status=502)

    async def hang(self, request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.json_response({})

    async def drop(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()  # no status line: the connection just ends
        await asyncio.sleep(1)
        return web.json_response({})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    s = Server()
    await s.start()
    yield s
    await s.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_request_goes_out_as_httpx_built_it(server: Server) -> None:
    http = outbound_client()
    try:
        resp = await post(
            http,
            "test",
            f"{server.url}/ok",
            params={"q": "áo thun"},
            headers={"Authorization": "Bearer t0k"},
            json={"text": "Dạ, còn hàng ạ"},
        )
    finally:
        await http.aclose()
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "echo": "áo thun"}
    ((path, headers, body),) = server.seen
    assert path == "/ok"
    assert headers["Authorization"] == "Bearer t0k"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"text": "Dạ, còn hàng ạ"}


async def test_keep_alive_reuses_the_connection(server: Server) -> None:
    http = outbound_client()
    try:
        for _ in range(3):
            await post(http, "test", f"{server.url}/ok", json={})
    finally:
        await http.aclose()
    assert len(server.peers) == 3
    assert len(set(server.peers)) == 1  # one connection, kept alive between requests


@pytest.mark.parametrize(("path", "retry_after"), [("/throttled", 7.0), ("/broken", 0.0)])
async def test_throttling_and_server_errors_are_retry_later(
    server: Server, path: str, retry_after: float
) -> None:
    http = outbound_client()
    try:
        with pytest.raises(RetryLater) as caught:
            await post(http, "test", f"{server.url}{path}", json={})
    finally:
        await http.aclose()
    assert caught.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("where", "client_timeout"),
    [
        ("closed port", 15.0),  # nobody listens: refused
        ("/drop", 15.0),  # the connection ends without a status line
        ("/hang", 0.2),  # no answer within the client's timeout
    ],
)
async def test_a_platform_that_cannot_answer_is_retry_later(
    server: Server, where: str, client_timeout: float
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/x" if where == "closed port" else server.url + where
    http = outbound_client(timeout=client_timeout)
    try:
        with pytest.raises(RetryLater, match="unreachable"):
            await post(http, "test", url, json={})
    finally:
        await http.aclose()
