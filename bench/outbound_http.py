"""`python -m bench.outbound_http`: CPU per request of the outbound HTTP clients.

A local aiohttp server (its own process, so its CPU is not counted) answers a small JSON
POST like a platform's Send API; this process sends ``n`` of them, ``concurrency`` at a
time, through each client and reports CPU milliseconds per request (``time.process_time``,
which a busy machine skews least). Compared: httpx's default transport, the shop's
``integrations.http.outbound_client`` (httpx over aiohttp), the OpenAI SDK's default client
and its ``DefaultAioHttpClient`` (what the LLM responder uses), and bare aiohttp as the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
import openai

from integrations.http import outbound_client

BODY = {"recipient": {"id": "1234567890"}, "message": {"text": "Dạ, shop còn hàng ạ. " * 5}}

SERVER = """
import sys
from aiohttp import web

async def answer(request):
    await request.read()
    return web.json_response({"recipient_id": "1234567890", "message_id": "m_1"})

app = web.Application()
app.router.add_post("/send", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


async def _measure(post: Callable[[], Awaitable[None]], n: int, concurrency: int) -> float:
    slots = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with slots:
            await post()

    await asyncio.gather(*(one() for _ in range(min(n, 200))))  # warm the connections
    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(n)))
    return (time.process_time() - started) * 1000 / n


async def _wait_listening(url: str) -> None:
    async with httpx.AsyncClient() as probe:
        for _ in range(100):
            try:
                await probe.post(url, json={})
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("the bench server did not start")


async def run(n: int, concurrency: int, port: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/send"
    await _wait_listening(url)
    results: dict[str, float] = {}

    async def through_httpx(name: str, client: httpx.AsyncClient) -> None:
        async def post() -> None:
            (await client.post(url, json=BODY)).json()

        async with client:
            results[name] = await _measure(post, n, concurrency)

    await through_httpx("httpx, default transport", httpx.AsyncClient())
    await through_httpx("integrations.http.outbound_client", outbound_client())
    for name, sdk_client in (
        ("openai SDK, default client", openai.DefaultAsyncHttpxClient()),
        ("openai SDK, DefaultAioHttpClient", openai.DefaultAioHttpClient()),
    ):

        async def post_sdk(c: object = sdk_client) -> None:
            (await c.post(url, json=BODY)).json()  # type: ignore[attr-defined]

        results[name] = await _measure(post_sdk, n, concurrency)
        await sdk_client.aclose()
    async with aiohttp.ClientSession() as session:

        async def post_aiohttp() -> None:
            async with session.post(url, json=BODY) as resp:
                await resp.json()

        results["aiohttp, bare"] = await _measure(post_aiohttp, n, concurrency)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=18765)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.port)])
    try:
        results = asyncio.run(run(args.n, args.concurrency, args.port))
    finally:
        server.terminate()
        server.wait()
    print(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2))


if __name__ == "__main__":
    main()
