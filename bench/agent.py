"""`python -m bench.agent`: what the LLM customer agent costs per placed order.

The scripted order conversation of the agent tests (search -> product -> place_order, which
shows the order's confirmation card; then "ok chốt đơn" confirms the card without a model call)
runs N times through the real conversation service and agent, the real ChatOpenAI client
over HTTP and the real tool runner on a fresh SQLite database, against the fake
OpenAI-compatible server of the test suite, run as a process of its own from the checkout's
tests/fakes (the bench imports nothing from tests/; the conversation is given to the fake as
a script file, ``Conversation`` there). The model's own
thinking time is not measured (the fake answers at once); what is measured is what our side
decides: model calls per placed order, characters sent with every call (system prompt + tool
schemas), request size, and the agent's own overhead per turn (tools, database, HTTP).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder
from agents.types import Incoming
from bench.chat import FAKE_MODULE, ROOT, Children, start_ready, workspace
from core.roles import Actor
from storage.database import Database
from storage.migrate import upgrade_async
from tools import build_registry
from tools.runner import ToolRunner

ADDRESS = {"line": "12 Lê Lợi", "ward": "Bến Nghé", "district": "Quận 1", "province": "TP HCM"}
FIRST = (
    "Shop ơi lấy mình 2 áo thun đen size M. Mình là Lan, 0901234567, giao 12 Lê Lợi, "
    "Bến Nghé, Quận 1, TP HCM"
)
CONFIRM = "ok chốt đơn"


async def _shop(runner: ToolRunner, stock: int) -> int:
    system = Actor.system()
    await runner.call(
        "create_warehouse", {"code": "HCM", "name": "Kho HCM", "kind": "main"}, system
    )
    await runner.call(
        "create_product",
        {
            "code": "AT01",
            "name": "Áo thun cotton",
            "category": "Áo",
            "attributes": ["Màu", "Size"],
            "variants": [
                {
                    "sku": "AT01-DEN-M",
                    "options": {"Màu": "Đen", "Size": "M"},
                    "sale_price": 150_000,
                    "stock": [{"warehouse_code": "HCM", "quantity": stock}],
                },
                {
                    "sku": "AT01-TRANG-L",
                    "options": {"Màu": "Trắng", "Size": "L"},
                    "sale_price": 150_000,
                    "stock": [{"warehouse_code": "HCM", "quantity": stock}],
                },
            ],
        },
        system,
    )
    customer = await runner.call("create_customer", {"name": "Lan"}, system)
    return int(customer.model_dump()["id"])


# The conversation the fake model holds with every chat (tests/fakes/openai_server.py,
# Conversation): search, open the first result, propose the order; the card ends the turn.
SCRIPT: list[dict[str, Any]] = [
    {"calls": [{"name": "search_products", "arguments": {"query": "áo thun đen"}}]},
    {
        "calls": [
            {
                "name": "get_product",
                "arguments": {"product_id": "$search_products:results.0.product_id"},
            }
        ]
    },
    {
        "calls": [
            {
                "name": "place_order",
                "arguments": {
                    "lines": [{"sku": "AT01-DEN-M", "quantity": 2}],
                    "buyer_name": "Lan",
                    "buyer_phone": "0901234567",
                    "address": ADDRESS,
                },
            }
        ]
    },
]
API_KEY = "sk-bench-agent"
FAKE = ROOT / "tests" / "fakes" / "openai_server.py"


async def _start_llm(children: Children, tmp: Path) -> str:
    """The fake model in its own process; its base URL once it accepts connections."""
    if not FAKE.exists():
        raise SystemExit(f"bench.agent needs a source checkout ({FAKE} is missing)")
    script = tmp / "conversation.json"
    script.write_text(json.dumps(SCRIPT, ensure_ascii=False), encoding="utf-8")
    args = ["-m", FAKE_MODULE, "--latency", "0", "--api-key", API_KEY, "--script", str(script)]
    _, url = await start_ready(children, tmp, "fake-llm", args)
    return url


async def _stats(client: httpx.AsyncClient, base_url: str) -> dict[str, Any]:
    stats: dict[str, Any] = (await client.get(base_url.removesuffix("/v1") + "/_fake/stats")).json()
    if stats["problems"] or stats["rejected"]:
        raise SystemExit(f"the fake model refused or could not answer: {stats}")
    return stats


async def run(n: int) -> dict[str, Any]:
    with workspace("shopbot-bench-agent-") as (tmp, children):
        base_url = await _start_llm(children, tmp)
        url = f"sqlite:///{tmp / 'bench.db'}"
        await upgrade_async(url)
        db = Database(url)
        runner = ToolRunner(db, build_registry())
        await _shop(runner, stock=2 * n + 10)
        config = LLMConfig(base_url=base_url, api_key=API_KEY, model="bench", timeout_seconds=10)
        agent = LLMResponder(config, runner)
        chat = ChatService(runner, db, responder=agent, shop_name="Bench")
        calls: list[int] = []
        turn_ms: list[float] = []
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                before = await _stats(client, base_url)
                for i in range(n):
                    served = before["served"]
                    replies = []
                    for k, text in enumerate((FIRST, CONFIRM)):
                        started = time.perf_counter()
                        replies = await chat.handle(
                            Incoming(
                                channel="web", chat_id=f"bench-{i}", text=text, message_id=str(k)
                            )
                        )
                        turn_ms.append((time.perf_counter() - started) * 1000)
                    if not replies or "DH" not in replies[0].text:
                        raise SystemExit(f"the scripted order did not go through: {replies}")
                    before = await _stats(client, base_url)
                    calls.append(before["served"] - served)
        finally:
            await agent.aclose()
            await db.dispose()
        total = sum(calls)
        return {
            "orders": n,
            "llm_calls_per_order": statistics.mean(calls),
            "prompt_vi": agent.prompt_size("vi"),
            "prompt_en": agent.prompt_size("en"),
            "request_chars_mean": int(before["request_chars"] / max(total, 1)),
            "request_chars_max": before["request_chars_max"],
            "turn_ms_median": statistics.median(turn_ms),
            "turn_ms_p95": sorted(turn_ms)[int(0.95 * (len(turn_ms) - 1))],
        }


def report(r: dict[str, Any]) -> str:
    vi, en = r["prompt_vi"], r["prompt_en"]
    return "\n".join(
        [
            f"LLM customer agent, scripted order conversation x{r['orders']} (fake model, SQLite)",
            f"  LLM calls per placed order:        {r['llm_calls_per_order']:.1f}",
            f"  system prompt + tool schemas (vi): {vi['total']} chars "
            f"(prompt {vi['system_prompt']}, tools {vi['tool_schemas']})",
            f"  system prompt + tool schemas (en): {en['total']} chars "
            f"(prompt {en['system_prompt']}, tools {en['tool_schemas']})",
            f"  request body per model call:       mean {r['request_chars_mean']} chars, "
            f"max {r['request_chars_max']}",
            f"  agent overhead per turn:           median {r['turn_ms_median']:.0f} ms, "
            f"p95 {r['turn_ms_p95']:.0f} ms (tools, database, HTTP; no model time)",
        ]
    )


def run_cli(n: int = 20) -> str:
    out = report(asyncio.run(run(n)))
    print(out)
    return out


if __name__ == "__main__":
    run_cli(int(os.environ.get("N", "20")))
