"""The HTTP bench's load generator against a small server that misbehaves the ways real ones do:
closing idle keep-alive connections, answering 503, asking to close."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from bench.http_load import Load, _drive, request_bytes


class Server:
    """Answers ``{}``; closes each connection after its second answer, as uvicorn closes one
    left idle; answers 503 to ``/busy`` and ``Connection: close`` to ``/bye``."""

    def __init__(self) -> None:
        self.served = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                self.served += 1
                answered += 1
                path = head.split(b" ")[1]
                status = b"503 Service Unavailable" if path == b"/busy" else b"200 OK"
                extra = b"Connection: close\r\n" if path == b"/bye" else b""
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 2\r\n" + extra + b"\r\n{}"
                )
                await writer.drain()
                if answered == 2 or extra:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    listening = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
    srv.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield srv


async def drive(server: Server, path: str, calls: int) -> Load:
    request = request_bytes(server.port, path, "sb_key", {"code": "X"})
    return await _drive(server.port, request, calls, 3, threading.Barrier(1))


async def test_a_connection_the_server_closed_while_idle_is_reopened_not_failed(
    server: Server,
) -> None:
    load = await drive(server, "/api/tools/get_product", 30)
    assert load.failed == 0, load.errors
    assert len(load.latencies) == 30
    assert load.reconnects > 0
    assert load.ended > load.started


async def test_answers_other_than_200_are_counted_with_their_text(server: Server) -> None:
    load = await drive(server, "/busy", 10)
    assert load.failed == 10
    assert load.latencies == []
    assert load.errors[0] == "HTTP 503: {}"


async def test_a_server_asking_to_close_gets_a_new_connection(server: Server) -> None:
    load = await drive(server, "/bye", 10)
    assert (load.failed, len(load.latencies)) == (0, 10)
    assert load.reconnects >= 10
