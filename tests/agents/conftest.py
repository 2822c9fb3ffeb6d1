"""Fixtures for the LLM agent tests: the fake OpenAI server, a responder wired to it over real
HTTP, a small catalogue made with the catalogue tools, and two customers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from agents.cards import card_payload
from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder
from agents.types import AgentTurn, Incoming, Reply, TurnContext
from core.cards import Decision
from core.roles import Actor
from storage.database import Database
from storage.models import Conversation
from tests.conftest import Caller
from tests.factories import in_tx, make_product, make_warehouses
from tests.fakes.openai_server import (  # noqa: F401 (fixtures)
    Call,
    FakeOpenAI,
    RecordedRequest,
    ToolCalls,
    fake_openai,
    openai_server,
)
from tools.context import ToolContext
from tools.runner import ToolRunner


@pytest.fixture
def llm_config(fake_openai: FakeOpenAI) -> LLMConfig:  # noqa: F811
    return LLMConfig(
        base_url=fake_openai.base_url,
        api_key=fake_openai.api_key,
        model="gpt-test",
        temperature=0.2,
        timeout_seconds=5.0,
        max_attempts=2,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.05,
    )


@pytest.fixture
async def responder(llm_config: LLMConfig, runner: ToolRunner) -> AsyncIterator[LLMResponder]:
    agent = LLMResponder(llm_config, runner)
    yield agent
    await agent.aclose()


@dataclass
class Catalogue:
    tee: list[str]  # AT01: Áo thun cotton, black M and white L, 10 each in HCM
    polo: list[str]  # PL01: Áo polo, navy M, none in stock
    jeans: list[str]  # QJ01: Quần jean, one size, 5 in stock


@pytest.fixture
async def catalogue(shop: Caller) -> Catalogue:
    await make_warehouses(shop)
    tee = await make_product(shop, "AT01", "Áo thun cotton", category="Áo")
    polo = await make_product(
        shop,
        "PL01",
        "Áo polo",
        variants=[{"sku": "PL01-NAVY-M", "options": {"Màu": "Navy", "Size": "M"}}],
        stock={"HCM": 0},
        sale_price=250_000,
        category="Áo",
    )
    jeans = await make_product(
        shop,
        "QJ01",
        "Quần jean",
        variants=[{"sku": "QJ01", "options": {}}],
        attributes=[],
        stock={"HCM": 5},
        sale_price=400_000,
        category="Quần",
    )
    return Catalogue(tee, polo, jeans)


@pytest.fixture
async def customers(shop: Caller) -> tuple[int, int]:
    lan = await shop("create_customer", name="Lan")
    minh = await shop("create_customer", name="Minh")
    return lan["id"], minh["id"]


@dataclass
class Chat:
    """Plays the conversation service: keeps the text history and the agent's memory, and
    calls the responder."""

    responder: LLMResponder
    customer_id: int
    conversation_id: int
    language: str = "vi"
    history: list[tuple[str, str]] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)

    async def say(self, text: str) -> AgentTurn:
        ctx = TurnContext(
            conversation_id=self.conversation_id,
            customer_id=self.customer_id,
            actor=Actor.customer(self.customer_id),
            language=self.language,  # type: ignore[arg-type]
            history=list(self.history),
            memory=self.memory,
        )
        turn = await self.responder.respond(ctx, text)
        if turn.memory is not None:
            self.memory = turn.memory
        self.history.append(("customer", text))
        self.history.extend(("assistant", r.text) for r in turn.replies)
        return turn


async def make_conversation(db: Database, customer_id: int, chat_id: str = "web-1") -> int:
    """A conversation row as the conversation service would have it (tools such as
    request_handoff look it up)."""

    async def run(ctx: ToolContext) -> int:
        conv = Conversation(channel="web", chat_id=chat_id, customer_id=customer_id)
        ctx.tx.session.add(conv)
        await ctx.tx.session.flush()
        return conv.id

    return await in_tx(db, run)


@pytest.fixture
async def chat(responder: LLMResponder, customers: tuple[int, int], db: Database) -> Chat:
    return Chat(responder, customers[0], await make_conversation(db, customers[0]))


ADDRESS = {"line": "12 Lê Lợi", "ward": "Bến Nghé", "district": "Quận 1", "province": "TP HCM"}
BUYER = {"buyer_name": "Lan", "buyer_phone": "0901234567", "address": ADDRESS}


async def jeans_order(shop: Caller, customer_id: int, **over: Any) -> dict[str, Any]:
    """An order of one pair of jeans (QJ01) placed by the customer outside the chat."""
    args = {"lines": [{"sku": "QJ01", "quantity": 1}], **BUYER, **over}
    return await shop("place_order", Actor.customer(customer_id), **args)


# ------------------------------------------------------------ the whole conversation service


CHAT = "web-llm-1"


class Customer:
    """One web chat customer talking to the service; message ids are made up per message."""

    def __init__(self, service: ChatService) -> None:
        self.service = service
        self.sent = 0

    async def say(self, text: str | None = None, payload: str | None = None) -> list[Reply]:
        self.sent += 1
        return await self.service.handle(
            Incoming(
                channel="web", chat_id=CHAT, text=text, payload=payload, message_id=f"m{self.sent}"
            )
        )

    async def press(self, reply: Reply, decision: Decision) -> list[Reply]:
        assert reply.card is not None, reply
        return await self.say(payload=card_payload(reply.card.token, decision))


@pytest.fixture
async def service(
    llm_config: LLMConfig, runner: ToolRunner, db: Database
) -> AsyncIterator[ChatService]:
    responder = LLMResponder(llm_config, runner)
    try:
        yield ChatService(runner, db, responder=responder, shop_name="Shop Test")
    finally:
        await responder.aclose()


@pytest.fixture
def customer(service: ChatService) -> Customer:
    return Customer(service)


def propose(sku: str, quantity: int, **buyer: Any) -> ToolCalls:
    return ToolCalls(
        Call("place_order", {"lines": [{"sku": sku, "quantity": quantity}], **BUYER, **buyer})
    )


def card_of(replies: list[Reply]) -> Reply:
    found = [r for r in replies if r.card is not None]
    assert len(found) == 1, replies
    return found[0]
