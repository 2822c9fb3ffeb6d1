"""The web chat as a Channel: the page's request parsed like a platform's delivery, replies
rendered to the JSON the page draws (the router's responses are pinned by test_web_chat.py)."""

from __future__ import annotations

import pydantic
import pytest

from agents.types import Button, Incoming, Reply
from bot.channels.base import PLAIN, ChannelError, Window
from bot.channels.web import WebChannel

SESSION = "s" * 20


async def test_a_request_is_one_incoming_message_on_the_web_channel() -> None:
    web = WebChannel()
    (inbound,) = await web.parse(
        {"session_id": SESSION, "text": "ao thun", "message_id": "m-1", "language": "en"}
    )
    assert inbound.incoming == Incoming(
        channel="web", chat_id=SESSION, text="ao thun", message_id="m-1", language="en"
    )
    assert inbound.message_id == "m-1"


async def test_a_request_with_a_control_character_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="U\\+0000"):
        await WebChannel().parse({"session_id": SESSION, "text": "a\x00b"})


async def test_replies_render_as_the_pages_json_without_the_share_phone_button() -> None:
    reply = Reply(
        text="Số điện thoại?",
        buttons=[Button(title="Huỷ", payload="co:cancel")],
        share_phone="Gửi số điện thoại của tôi",
    )
    (body,) = await WebChannel().render(SESSION, [reply], PLAIN)
    assert body == {
        "replies": [
            {
                "text": "Số điện thoại?",
                "buttons": [{"title": "Huỷ", "payload": "co:cancel"}],
                "cards": [],
                "qr": None,
                "card": None,
            }
        ]
    }


async def test_nothing_is_pushed_to_a_page() -> None:
    web = WebChannel()
    assert await web.notification(SESSION, "Đơn đã giao", Window(None, 0, None)) is None
    with pytest.raises(ChannelError):
        await web.deliver(SESSION, {"replies": []})
