"""What the chat load benchmark made faster keeps behaving the same: a customer turn through
ChatService and the real LLM responder (real ChatOpenAI over HTTP to the fake server), the
web chat API.

* the LLM is asked with no database transaction open and SQLite's write lock free;
* the tool definitions are converted once per process and sent unchanged on every call;
* the web reply carries the conversation's mode from the turn itself (handoff, duplicates);
* a returning customer is found on the fast path, following merges like the tools do.
"""

from __future__ import annotations

import copy
import gc
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from langchain_core.utils.function_calling import convert_to_openai_tool
from sqlalchemy import func, select

from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder
from agents.types import Incoming
from bot.container import Container
from bot.web import chat_router
from bot.web.ratelimit import RateLimiter
from storage.database import Database
from storage.models import Conversation, Customer
from tests.conftest import OWNER, Caller
from tests.fakes.openai_server import Call, FakeOpenAI, RecordedRequest, Text, ToolCalls
from tests.web.conftest import make_catalogue, offline_settings
from tools.registry import Registry
from tools.runner import ToolRunner

ANSWER = "Dạ, áo thun còn size M ạ."


@pytest.fixture
async def responder(fake_openai: FakeOpenAI, runner: ToolRunner) -> AsyncIterator[LLMResponder]:
    config = LLMConfig(
        base_url=fake_openai.base_url,
        api_key=fake_openai.api_key,
        model="gpt-test",
        timeout_seconds=5.0,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.05,
    )
    agent = LLMResponder(config, runner)
    yield agent
    await agent.aclose()


@pytest.fixture
def chat(runner: ToolRunner, db: Database, responder: LLMResponder) -> ChatService:
    return ChatService(runner, db, responder=responder, shop_name="Shop Test")


def incoming(text: str, *, chat: str = "web-session-0001", message_id: str = "m1") -> Incoming:
    return Incoming(channel="web", chat_id=chat, text=text, message_id=message_id)


def write_lock_free(path: str) -> bool:
    """Whether another connection could start writing right now (no one holds the lock)."""
    con = sqlite3.connect(path, timeout=0)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


async def test_the_llm_is_asked_with_the_database_free(
    chat: ChatService, fake_openai: FakeOpenAI, db_url: str, backend: str, shop: Caller
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's single write lock")
    await make_catalogue(shop)
    path = db_url.removeprefix("sqlite:///")
    free: list[bool] = []

    def checking(step: Text | ToolCalls) -> Callable[[RecordedRequest], Text | ToolCalls]:
        # Runs in the fake server's thread while the turn awaits the model's answer.
        def answer(_req: RecordedRequest) -> Text | ToolCalls:
            free.append(write_lock_free(path))
            return step

        return answer

    fake_openai.script(
        checking(ToolCalls(Call("search_products", {"query": "áo thun"}))),
        checking(Text(ANSWER)),
    )
    replies = await chat.handle(incoming("Shop ơi áo thun còn size M không?"))
    assert [r.text for r in replies] == [ANSWER]
    assert free == [True, True]


async def test_tool_definitions_are_converted_once_and_sent_unchanged(
    chat: ChatService, responder: LLMResponder, fake_openai: FakeOpenAI
) -> None:
    expected = responder.tool_definitions
    assert [d["function"]["name"] for d in expected] == [at.name for at in responder.offered]
    for definition, at in zip(expected, responder.offered, strict=True):
        # What LangChain would send for the offered model, with the schema slimmed.
        via_langchain = convert_to_openai_tool(at.args_model)["function"]["parameters"]
        assert definition["function"]["parameters"]["properties"].keys() == (
            via_langchain["properties"].keys()
        )
        assert definition["function"]["description"] == at.exposure.description
    kept = copy.deepcopy(responder.tool_definitions)
    fake_openai.script(Text(ANSWER), Text(ANSWER))
    await chat.handle(incoming("áo thun đen còn không?", message_id="m1"))
    await chat.handle(incoming("còn size L không?", message_id="m2"))
    sent = [r.body["tools"] for r in fake_openai.requests]
    assert sent == [expected, expected]
    assert responder.tool_definitions == kept  # nothing downstream modified the shared dicts


@pytest.fixture
async def web(container_llm: Container, chat: ChatService) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(chat_router(container_llm, chat=chat, limiter=RateLimiter(burst=1000)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://shop.test"
    ) as client:
        yield client


@pytest.fixture
def container_llm(db: Database, db_url: str, registry: Registry) -> Container:
    return Container.create(offline_settings(db_url), db=db, registry=registry)


async def post(client: httpx.AsyncClient, text: str, message_id: str) -> dict[str, Any]:
    resp = await client.post(
        "/api/chat/messages",
        json={"session_id": "web-session-0002", "text": text, "message_id": message_id},
    )
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


async def test_the_web_reply_carries_the_mode_the_turn_left(
    web: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(Text(ANSWER))
    first = await post(web, "áo thun còn không?", "m1")
    assert first["mode"] == "bot"
    assert first["replies"][0]["text"] == ANSWER

    again = await post(web, "áo thun còn không?", "m1")  # a retried delivery
    assert again == first  # the reply it had, without asking the model again

    fake_openai.script(
        ToolCalls(Call("request_handoff", {"reason": "muốn gặp nhân viên"})),
        Text("Dạ, nhân viên của shop sẽ trả lời bạn ngay ạ."),
    )
    handed = await post(web, "cho mình gặp nhân viên", "m2")
    assert handed["mode"] == "human"
    assert handed["replies"][0]["text"].startswith("Dạ, nhân viên")

    silent = await post(web, "alo", "m3")  # staff answer now; no LLM request is made
    assert silent == {"replies": [], "mode": "human"}


async def test_a_returning_customer_is_found_and_merges_are_followed(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    offline = ChatService(runner, db, shop_name="Shop Test")

    async def state() -> tuple[int, int | None]:
        async with db.transaction(write=False) as tx:
            customers = await tx.session.scalar(select(func.count()).select_from(Customer))
            owner = await tx.session.scalar(
                select(Conversation.customer_id).where(Conversation.chat_id == "zalo-user-42")
            )
            return int(customers or 0), owner

    first = Incoming(channel="zalo", chat_id="zalo-user-42", text="xin chào", message_id="z1")
    assert await offline.handle(first)
    count, owner = await state()
    assert owner is not None

    assert await offline.handle(first.model_copy(update={"message_id": "z2"}))
    assert await state() == (count, owner)  # the same customer, nobody new

    target = await shop("create_customer", OWNER, name="Lan", phones=["0912345678"])
    await shop("merge_customers", OWNER, source_id=owner, target_id=target["id"])
    assert await offline.handle(first.model_copy(update={"message_id": "z3"}))
    assert await state() == (count + 1, target["id"])  # the turn ran as the survivor


async def test_app_start_freezes_the_startup_heap(tmp_path: Path) -> None:
    container = Container.create(offline_settings(f"sqlite:///{tmp_path / 'shop.db'}"))
    app = FastAPI()
    app.include_router(chat_router(container, responder=None))
    try:
        async with app.router.lifespan_context(app):
            # Once per process: by this app's start, or by an earlier one in this session.
            assert gc.get_freeze_count() > 0
    finally:
        await container.aclose()
