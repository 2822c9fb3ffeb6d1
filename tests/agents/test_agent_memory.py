"""What the agent keeps between a customer's messages lives in the conversation's row, not in a
process: the amounts tools returned (which the model's text may repeat), and the open card a
typed yes answers. A restart (or another worker) between the card and the customer's "yes"
still places exactly the order on the card."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder
from agents.llm.memory import MAX_AMOUNTS, recall_amounts, remember_amounts
from agents.types import AgentTurn, AgentUnavailable, Incoming, Reply, TurnContext
from storage.database import Database
from storage.models import Conversation
from tests.agents.conftest import BUYER, Catalogue
from tests.conftest import Caller
from tests.fakes.openai_server import Call, FakeOpenAI, ToolCalls
from tools.runner import ToolRunner

# ------------------------------------------------------------------------------ the rules


def test_amounts_accumulate_newest_kept_and_bounded() -> None:
    memory = remember_amounts({}, {300_000, 30_000})
    memory = remember_amounts(memory, {450_000, 30_000})
    assert recall_amounts(memory) == [30_000, 300_000, 450_000]
    many = remember_amounts(memory, range(1, MAX_AMOUNTS + 10))
    kept = recall_amounts(many)
    assert len(kept) == MAX_AMOUNTS
    assert kept[-1] == MAX_AMOUNTS + 9
    assert 300_000 not in kept  # the oldest went first


def test_unreadable_memory_is_a_miss_not_an_error() -> None:
    for memory in ({}, {"amounts": "330000"}, {"amounts": [True, "x", None]}, {"quote": {}}):
        assert recall_amounts(memory) == [], memory


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


async def test_a_card_shown_before_a_restart_is_confirmed_after_it(
    llm_config: LLMConfig,
    runner: ToolRunner,
    db: Database,
    catalogue: Catalogue,
    fake_openai: FakeOpenAI,
    shop: Caller,
) -> None:
    fake_openai.script(
        ToolCalls(Call("place_order", {"lines": [{"sku": "AT01-DEN-M", "quantity": 2}], **BUYER})),
    )
    before = LLMResponder(llm_config, runner)
    try:
        chat = ChatService(runner, db, responder=before, shop_name="Shop Test")
        first = await chat.handle(_incoming("Lấy mình 2 áo thun đen size M", "m1"))
    finally:
        await before.aclose()
    card = first[-1].card
    assert card is not None
    assert card.totals is not None
    assert card.totals.total == 330_000
    assert 330_000 in recall_amounts(await _stored(db))

    after = LLMResponder(llm_config, runner)  # a new process: nothing in memory
    try:
        chat = ChatService(runner, db, responder=after, shop_name="Shop Test")
        done = await chat.handle(_incoming("ok chốt đơn", "m2"))
    finally:
        await after.aclose()

    assert "DH" in done[0].text, done[0].text
    orders = (await shop("list_orders"))["orders"]
    assert [o["total"] for o in orders] == [330_000]
    assert len(fake_openai.requests) == 1  # the yes needed no model call
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
