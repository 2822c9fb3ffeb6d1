"""The HTTP bench's load generator: keep-alive HTTP/1.1 over plain asyncio streams, in processes
of their own.

httpx in the bench's own process cost more CPU per call than the server's handling of
create_order, on the same two cores: the bench measured its client. Here each client process
sends one request prepared as bytes and reads the answer by its Content-Length (our server
always sends one), so nearly all the CPU goes to the server. Any answer but 200 is counted with
its first bytes and the run goes on, so one failure is reported instead of ending the bench.

uvicorn closes a keep-alive connection idle for 5 s (``timeout_keep_alive``), and httpx keeps an
idle connection for reuse for 5 s too: a request sent on a connection just as the server closes
it meets a closed socket (the ``httpx.ReadError`` one run of the old bench ended with, when
idle connections waited for a slow last call between phases). A request the server closed
the connection on without answering a byte was never served (uvicorn only closes idle
connections), so it is sent once more on a new connection and counted as a reconnect.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any

MAX_ERRORS_KEPT = 5


@dataclass
class Load:
    """What one client process measured (times on the system-wide monotonic clock)."""

    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    failed: int = 0
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(what)


def request_bytes(port: int, path: str, key: str, args: dict[str, Any]) -> bytes:
    body = json.dumps(args).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class _Connection:
    def __init__(self, port: int, load: Load) -> None:
        self.port = port
        self.load = load
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def call(self, request: bytes) -> bool:
        """One request and its answer; False (and counted) when it did not answer 200."""
        reused = self.streams is not None
        try:
            status, body, closing = await self._exchange(request)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            self.load.reconnects += 1
            unanswered = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
            if not (reused and unanswered):
                self.load.fail(f"connection closed by the server: {type(exc).__name__}")
                return False
            try:  # closed while idle: the request was never served
                status, body, closing = await self._exchange(request)
            except (asyncio.IncompleteReadError, ConnectionError) as again:
                self.close()
                self.load.fail(f"connection closed by the server: {type(again).__name__}")
                return False
        if closing:
            self.close()
            self.load.reconnects += 1
        if status != 200:
            self.load.fail(f"HTTP {status}: {body[:300].decode(errors='replace')}")
            return False
        return True

    async def _exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status, length, closing = _parse_head(head)
        return status, await reader.readexactly(length), closing

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, closing = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closing = value.strip().lower() == b"close"
    return status, length, closing


async def _drive(port: int, request: bytes, calls: int, connections: int, start: Any) -> Load:
    load = Load()
    conns = [_Connection(port, load) for _ in range(connections)]
    await asyncio.gather(*(c.call(request) for c in conns))  # warm: connected, caches filled
    load.failed, load.errors, load.reconnects = 0, [], 0
    await asyncio.get_running_loop().run_in_executor(None, start.wait)  # all processes at once
    left = calls

    async def worker(conn: _Connection) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            began = time.monotonic()
            if await conn.call(request):
                load.latencies.append(time.monotonic() - began)

    load.started = time.monotonic()
    await asyncio.gather(*(worker(c) for c in conns))
    load.ended = time.monotonic()
    for c in conns:
        c.close()
    return load


def _client(args: tuple[int, bytes, int, int, Any]) -> Load:
    port, request, calls, connections, start = args
    return asyncio.run(_drive(port, request, calls, connections, start))


def run_clients(
    port: int, request: bytes, calls: int, *, connections: int, processes: int
) -> list[Load]:
    """``calls`` requests over ``connections`` keep-alive connections, spread over
    ``processes`` client processes that start together."""
    ctx = multiprocessing.get_context("spawn")  # no copy of this process's loop or database
    with ctx.Manager() as manager:
        start = manager.Barrier(processes)
        shares = [
            (port, request, calls // processes + (i < calls % processes), n_conns, start)
            for i, n_conns in enumerate(_split(connections, processes))
        ]
        with ctx.Pool(processes) as pool:
            return pool.map(_client, shares)


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]
