"""The quote the agent showed a customer is kept in the conversation's row, not in a process:
a restart (or another worker) between the quote and the customer's "yes" still places the
order, and the row holds nothing once the order is placed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder, ShownQuote
from agents.llm.memory import QUOTE_MEMORY_SECONDS, forget_quote, recall_quote, remember_quote
from agents.types import AgentTurn, AgentUnavailable, Incoming, Reply, TurnContext
from storage.database import Database
from storage.models import Conversation
from tests.agents.conftest import ADDRESS, Catalogue, place_shown_quote, shown_quote
from tests.conftest import Caller
from tests.fakes.openai_server import Call, FakeOpenAI, RecordedRequest, Text, ToolCalls
from tools.runner import ToolRunner

QUOTE = ShownQuote(token="q-123", summary='{"quote_token":"q-123","cod_amount":330000}')


# ------------------------------------------------------------------------------ the rules


def test_a_remembered_quote_is_recalled_until_it_is_too_old() -> None:
    memory = remember_quote(QUOTE, now=1_000.0)
    assert recall_quote(memory, now=1_000.0 + QUOTE_MEMORY_SECONDS) == QUOTE
    assert recall_quote(memory, now=1_000.0 + QUOTE_MEMORY_SECONDS + 1) is None
    assert recall_quote(forget_quote(), now=1_000.0) is None


def test_unreadable_memory_is_a_miss_not_an_error() -> None:
    for memory in (
        {},
        {"quote": "q-123"},
        {"quote": {"token": "q-123", "summary": "{}"}},  # no time: an older format
        {"quote": {"token": 123, "summary": "{}", "at": 1_000.0}},
        {"quote": {"token": "q-123", "summary": None, "at": 1_000.0}},
    ):
        assert recall_quote(memory, now=1_000.0) is None, memory


# ----------------------------------------------------------- through the conversation service


def _incoming(text: str, message_id: str) -> Incoming:
    return Incoming(channel="web", chat_id="web-memory-1", text=text, message_id=message_id)


async def _stored(db: Database) -> dict[str, Any]:
    async with db.transaction(write=False) as tx:
        memory = await tx.session.scalar(
            select(Conversation.agent_memory).where(Conversation.chat_id == "web-memory-1")
        )
    assert memory is not None
    return dict(memory)


async def test_a_quote_shown_before_a_restart_is_confirmed_after_it(
    llm_config: LLMConfig,
    runner: ToolRunner,
    db: Database,
    catalogue: Catalogue,
    fake_openai: FakeOpenAI,
) -> None:
    confirmed: list[str] = []

    def place(req: RecordedRequest) -> ToolCalls:
        confirmed.append(shown_quote(req)["quote_token"])  # from the notes the new process wrote
        return place_shown_quote(req)

    fake_openai.script(
        ToolCalls(
            Call(
                "quote_order",
                {"lines": [{"sku": "AT01-DEN-M", "quantity": 2}], "address": ADDRESS},
            )
        ),
        lambda req: Text(
            f"2 áo thun đen M, tổng {req.last_tool_json('quote_order')['cod_amount']}đ. "
            "Bạn xác nhận đặt đơn nhé?"
        ),
        place,
    )

    before = LLMResponder(llm_config, runner)
    try:
        chat = ChatService(runner, db, responder=before, shop_name="Shop Test")
        first = await chat.handle(_incoming("Lấy mình 2 áo thun đen size M", "m1"))
        assert "Bạn xác nhận" in first[0].text
    finally:
        await before.aclose()
    stored = await _stored(db)
    assert stored["quote"]["token"]

    after = LLMResponder(llm_config, runner)  # a new process: nothing in memory
    try:
        chat = ChatService(runner, db, responder=after, shop_name="Shop Test")
        done = await chat.handle(_incoming("ok chốt đơn", "m2"))
    finally:
        await after.aclose()

    assert confirmed == [stored["quote"]["token"]]
    assert "DH" in done[0].text, done[0].text
    assert await _stored(db) == {}  # the order is placed: nothing is left to confirm
    assert not fake_openai.remaining
    assert not fake_openai.problems


class Remembering:
    """A responder that returns ``memory`` (or fails) and records what it was handed."""

    def __init__(self) -> None:
        self.memory: dict[str, Any] | None = None
        self.fail = False
        self.seen: list[dict[str, Any]] = []

    async def respond(self, ctx: TurnContext, text: str) -> AgentTurn:
        self.seen.append(dict(ctx.memory))
        if self.fail:
            raise AgentUnavailable("down")
        return AgentTurn(replies=[Reply(text="ok")], memory=self.memory)


async def test_the_service_keeps_memory_until_the_responder_changes_it(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    responder = Remembering()
    chat = ChatService(runner, db, responder=responder, shop_name="Shop Test")

    responder.memory = {"quote": {"token": "a"}}
    await chat.handle(_incoming("một", "m1"))
    responder.memory = None  # a turn with nothing new to remember
    await chat.handle(_incoming("hai", "m2"))
    responder.fail = True  # the offline flow answers this one
    await chat.handle(_incoming("ba", "m3"))
    responder.fail, responder.memory = False, {}
    await chat.handle(_incoming("bốn", "m4"))
    await chat.handle(_incoming("năm", "m5"))

    kept = {"quote": {"token": "a"}}
    assert responder.seen == [{}, kept, kept, kept, {}]
    assert await _stored(db) == {}
