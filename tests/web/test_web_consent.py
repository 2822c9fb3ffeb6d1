"""The button flow's review step (the order card) with every reply of the consent corpus that is
not a yes: none of them places an order. A no closes the card and keeps the cart; anything
unsure asks again with the card's buttons. Only a yes, typed or pressed, places the order,
once (issue 11: "đừng" at the review step placed the order)."""

from __future__ import annotations

import httpx
import pytest

from agents.offline import payloads as P
from bot.container import Container, load_settings
from core.consent import Verdict, read_reply
from storage.database import Database
from tests.core.consent_corpus import rows_of
from tests.web.chat_client import ORDER_NUMBER, WebChat, order_count
from tests.web.chat_client import to_review as review
from tools.registry import Registry

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def container(db: Database, db_url: str, registry: Registry) -> Container:
    """Hundreds of messages from one address in a minute: no per-address limit here."""
    settings = load_settings(
        database_url=db_url,
        llm_api_key=None,
        llm_base_url=None,
        web_chat_per_address_per_minute=0,
        _env_file=None,
    )
    return Container.create(settings, db=db, registry=registry)


NOT_YES = [row.text for row in rows_of("reply", Verdict.UNSURE)]
NO = [row.text for row in rows_of("reply", Verdict.NO)]


def confirm_offered(chat: WebChat) -> bool:
    """The card's Confirm button is on screen (in whichever language the chat now speaks)."""
    return any(
        b["payload"].startswith("pa:") and b["payload"].endswith(":y")
        for r in chat.replies
        for b in r["buttons"]
    )


async def to_review(chat: WebChat) -> None:
    await review(chat)
    assert confirm_offered(chat), chat.text


async def test_unsure_replies_at_the_review_step_ask_again_and_place_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    chat = WebChat(client)
    await to_review(chat)
    for text in NOT_YES:
        await chat.say(text)
        assert await order_count(db) == 0, text
        assert confirm_offered(chat), (text, chat.text)  # the card stays open
    await chat.say("ok chốt đơn")
    assert ORDER_NUMBER.search(chat.text), chat.text
    assert await order_count(db) == 1


async def test_every_no_at_the_review_step_places_nothing_and_keeps_the_cart(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Read as a no, the card closes and the cart stays; a no the module is unsure of (a
    recall miss, e.g. "ok không lấy nữa") asks again. Neither places anything."""
    chat = WebChat(client)
    await to_review(chat)
    for text in NO:
        await chat.say(text)
        assert await order_count(db) == 0, text
        if read_reply(text).verdict is Verdict.NO:
            assert not confirm_offered(chat), (text, chat.text)
            assert {"Giỏ hàng (1)", "Cart (1)"} & set(chat.titles()), (text, chat.text)
            await back_to_review(chat)
        else:
            assert confirm_offered(chat), (text, chat.text)
    await chat.press(next(t for t in chat.titles() if t in ("Xác nhận đặt hàng", "Place order")))
    assert await order_count(db) == 1


async def back_to_review(chat: WebChat) -> None:
    """After a no: checkout again with the saved details (the cart was kept)."""
    await chat.send(payload=P.CHECKOUT)
    await chat.send(payload=P.CO_USE_SAVED)
    await chat.send(payload=P.pay("cod"))
    assert confirm_offered(chat), chat.text
