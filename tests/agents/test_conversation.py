"""ChatService: routing between the LLM responder and the offline flow, fallback, handoff,
history window and error handling (with a scripted responder, no LLM)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from agents.conversation import ChatService
from agents.offline.messages import t
from agents.offline.shop import ShopTools
from agents.types import AgentTurn, AgentUnavailable, Incoming, Reply, TurnContext
from core.roles import Role
from storage.database import Database
from storage.models import Conversation, OutboxEvent
from tests.conftest import Caller
from tests.web.conftest import make_catalogue
from tools.runner import ToolRunner


class ScriptedResponder:
    """Answers every turn with ``reply`` (or raises ``error``) and records what it was given."""

    def __init__(
        self,
        reply: str = "LLM: xin chào",
        *,
        error: Exception | None = None,
        handoff: bool = False,
        available: bool = True,
    ) -> None:
        self.reply = reply
        self.error = error
        self.handoff = handoff
        self.available = available
        self.calls: list[tuple[TurnContext, str]] = []

    async def respond(self, ctx: TurnContext, text: str) -> AgentTurn:
        self.calls.append((ctx, text))
        if self.error is not None:
            raise self.error
        return AgentTurn(replies=[Reply(text=self.reply)], handoff=self.handoff)


def incoming(
    text: str | None = None,
    payload: str | None = None,
    *,
    chat: str = "chat-1",
    message_id: str | None = None,
    language: str | None = None,
) -> Incoming:
    return Incoming.model_validate(
        {
            "channel": "telegram",
            "chat_id": chat,
            "text": text,
            "payload": payload,
            "message_id": message_id,
            "display_name": "Khách Test",
            "language": language,
        }
    )


def service(runner: ToolRunner, db: Database, responder: object | None = None) -> ChatService:
    return ChatService(runner, db, responder=responder, shop_name="Shop Test")  # type: ignore[arg-type]


async def topics(db: Database) -> list[str]:
    async with db.transaction(write=False) as tx:
        return list((await tx.session.execute(select(OutboxEvent.topic))).scalars())


async def test_text_goes_to_the_llm_and_buttons_to_the_flow(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    await make_catalogue(shop)
    llm = ScriptedResponder()
    chat = service(runner, db, llm)
    replies = await chat.handle(incoming("có áo thun đen không?"))
    assert [r.text for r in replies] == ["LLM: xin chào"]
    ctx, text = llm.calls[0]
    assert text == "có áo thun đen không?"
    assert ctx.actor.role is Role.CUSTOMER
    assert ctx.actor.customer_id == ctx.customer_id
    assert ctx.language == "vi"

    buttons = await chat.handle(incoming("Xem danh mục", payload="cats"))
    assert "danh mục" in buttons[0].text
    assert len(llm.calls) == 1

    # An LLM reply's own buttons go back to the LLM, with the title as the customer's words.
    await chat.handle(incoming("Đồng ý đặt hàng", payload="agent:confirm"))
    assert llm.calls[-1][1] == "Đồng ý đặt hàng"


async def test_history_window_and_summary_reach_the_responder(
    runner: ToolRunner, db: Database
) -> None:
    llm = ScriptedResponder()
    chat = ChatService(runner, db, responder=llm, history_window=4)  # type: ignore[arg-type]
    for n in range(5):
        await chat.handle(incoming(f"câu hỏi {n}"))
    ctx, text = llm.calls[-1]
    assert text == "câu hỏi 4"
    assert ctx.history == [
        ("customer", "câu hỏi 2"),
        ("assistant", "LLM: xin chào"),
        ("customer", "câu hỏi 3"),
        ("assistant", "LLM: xin chào"),
    ]
    # Turns that left the window are in the summary, each once, oldest first.
    assert ctx.summary.splitlines() == [
        "Khách: câu hỏi 0",
        "Shop: LLM: xin chào",
        "Khách: câu hỏi 1",
        "Shop: LLM: xin chào",
    ]
    assert ctx.channel == "telegram"
    await chat.handle(incoming("câu hỏi 5"))
    assert llm.calls[-1][0].summary.splitlines()[-2:] == ["Khách: câu hỏi 2", "Shop: LLM: xin chào"]
    assert llm.calls[-1][0].summary.count("câu hỏi 0") == 1


async def test_llm_down_falls_back_to_the_flow_and_says_so_once(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    await make_catalogue(shop)
    llm = ScriptedResponder(error=AgentUnavailable("timeout"))
    chat = service(runner, db, llm)
    first = await chat.handle(incoming("ao thun"))
    assert first[0].text == t("vi", "fallback_notice")
    assert "Áo thun cotton basic" in [c.title for r in first for c in r.cards]
    second = await chat.handle(incoming("quan jean"))
    assert t("vi", "fallback_notice") not in [r.text for r in second]
    assert "Quần jean slim fit" in [c.title for r in second for c in r.cards]
    async with db.transaction(write=False) as tx:
        conv = (await tx.session.execute(select(Conversation))).scalar_one()
    assert conv.fallback_notified is True

    # A responder that crashes is treated the same way (and the customer sees no error).
    broken = service(runner, db, ScriptedResponder(error=RuntimeError("bug")))
    replies = await broken.handle(incoming("ao thun", chat="chat-2"))
    assert replies[0].text == t("vi", "fallback_notice")


async def test_unconfigured_llm_is_not_a_fallback(runner: ToolRunner, db: Database) -> None:
    llm = ScriptedResponder(available=False)
    chat = service(runner, db, llm)
    replies = await chat.handle(incoming("xin chào"))
    assert llm.calls == []
    assert t("vi", "fallback_notice") not in [r.text for r in replies]
    assert "Shop Test" in replies[0].text


async def test_typed_answers_to_the_flow_do_not_go_to_the_llm(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    await make_catalogue(shop)
    llm = ScriptedResponder()
    chat = service(runner, db, llm)
    await chat.handle(incoming(payload="p:2"))  # the jean: one size, asks the quantity
    replies = await chat.handle(incoming("2"))
    assert "Đã thêm 2 × Quần jean slim fit" in replies[0].text
    assert llm.calls == []
    await chat.handle(incoming(payload="search"))
    replies = await chat.handle(incoming("quan jean"))
    assert llm.calls == []
    assert replies[0].cards


async def test_llm_handoff_hands_the_chat_to_staff(runner: ToolRunner, db: Database) -> None:
    chat = service(runner, db, ScriptedResponder("Mình chuyển nhân viên nhé", handoff=True))
    replies = await chat.handle(incoming("cho tôi gặp người thật"))
    assert replies[0].text == "Mình chuyển nhân viên nhé"
    assert await chat.handle(incoming("alo")) == []
    assert (await topics(db)).count("handoff.requested") == 1
    assert "chat.message_for_staff" in await topics(db)
    async with db.transaction(write=False) as tx:
        conv = (await tx.session.execute(select(Conversation))).scalar_one()
    await chat.hand_back(conv.id)
    assert await chat.handle(incoming("alo")) != []


async def test_errors_never_reach_the_customer(
    runner: ToolRunner,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def explode(self: ShopTools, **_: object) -> None:
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr(ShopTools, "search_products", explode)
    chat = service(runner, db)
    with caplog.at_level(logging.ERROR, logger="shopbot.chat"):
        replies = await chat.handle(incoming("ao thun"))
    assert [r.text for r in replies] == [t("vi", "error_generic")]
    assert "secret" not in replies[0].model_dump_json()
    assert "chat turn failed" in caplog.text

    english = await chat.handle(incoming("/en", chat="chat-en"))
    assert "English" in english[0].text
    replies = await chat.handle(incoming("black shirt", chat="chat-en"))
    assert [r.text for r in replies] == [t("en", "error_generic")]


async def test_domain_refusals_become_sentences(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    await make_catalogue(shop)
    chat = service(runner, db)
    replies = await chat.handle(incoming(payload="p:999"))
    assert replies[0].text == t("vi", "err_unknown_product")
    replies = await chat.handle(incoming(payload="o:12345"))
    assert replies[0].text == t("vi", "err_unknown_order")
    assert replies[0].buttons  # the menu, to go on from


async def test_a_duplicate_delivery_gets_its_first_replies_and_changes_nothing(
    runner: ToolRunner, db: Database
) -> None:
    chat = service(runner, db)
    first = await chat.handle(incoming("xin chào", message_id="tg-1"))
    assert first
    assert await chat.handle(incoming("xin chào", message_id="tg-1")) == first
    transcript = await chat.transcript("telegram", "chat-1")
    assert [m.role for m in transcript.messages] == ["customer", "assistant"]


async def test_same_identity_is_one_customer_and_conversation(
    runner: ToolRunner, db: Database, shop: Caller
) -> None:
    chat = service(runner, db)
    await chat.handle(incoming("xin chào", chat="same"))
    await chat.handle(incoming("menu", chat="same"))
    async with db.transaction(write=False) as tx:
        convs = (await tx.session.execute(select(Conversation))).scalars().all()
    assert len(convs) == 1
    assert convs[0].customer_id is not None
    customer = await shop("get_customer", customer_id=convs[0].customer_id)
    assert customer["identities"] == [
        {"channel": "telegram", "external_id": "same", "display_name": "Khách Test"}
    ]
