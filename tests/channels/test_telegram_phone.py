"""Telegram's share-my-number keyboard at checkout, end to end on the fake Bot API server:
the phone question brings it up, a shared contact answers the question and takes it away, and
only the customer's own number (the platform's word) links their account (docs/customers.md).
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from storage.channels import reply_keyboard_shown
from storage.database import Database
from storage.models import ChannelSend
from tests.channels.conftest import TG_SECRET, TG_TOKEN, Running
from tests.channels.users import TelegramUser, finish_after_the_phone, to_the_phone_question
from tests.conftest import Caller
from tests.fakes.telegram_server import FakeTelegram

KNOWN_PHONE = "+84987654321"
SHARE_VI = "Gửi số điện thoại của tôi"


def user(fake: FakeTelegram, running: Running) -> TelegramUser:
    return TelegramUser(fake, running.client, running.hub, secret=TG_SECRET)


async def share_contact(u: TelegramUser, *, own: bool, phone: str = KNOWN_PHONE) -> None:
    # Telegram sends the number without "+"; a friend's card carries the friend's user id.
    contact: dict[str, Any] = {
        "phone_number": phone.lstrip("+"),
        "first_name": "Bình",
        "user_id": u.user_id if own else 1,
    }
    await u._act(u.message(contact=contact), u.headers())


def reply_keyboard(u: TelegramUser) -> list[dict[str, Any]]:
    return [
        s.body["reply_markup"]
        for s in u.replies
        if "keyboard" in (s.body.get("reply_markup") or {})
    ]


async def test_the_phone_question_offers_the_share_phone_keyboard(
    telegram: Running, fake_telegram: FakeTelegram
) -> None:
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    assert reply_keyboard(u) == [
        {
            "keyboard": [[{"text": SHARE_VI, "request_contact": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }
    ]
    assert fake_telegram.keyboards[u.chat]["keyboard"][0][0]["request_contact"] is True
    # the question's own buttons still come, on the message after it
    assert "Huỷ" in u.titles()
    assert u.replies[-1].body["text"] == "⋯"


async def test_own_contact_at_checkout_fills_the_phone_and_links_the_known_customer(
    telegram: Running, fake_telegram: FakeTelegram, shop: Caller
) -> None:
    known = await shop("create_customer", name="Chị Bình", phones=["0987654321"])
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    await share_contact(u, own=True)
    assert u.chat not in fake_telegram.keyboards  # removed as soon as the contact came
    assert fake_telegram.texts(u.chat)[u.mark] == "☎️ 0987 654 321"
    assert "địa chỉ" in u.text.lower()  # the phone question is answered: on to the address
    number = await finish_after_the_phone(u)
    order = await shop("get_order", number=number)
    assert order["buyer_phone"] == KNOWN_PHONE
    assert order["customer_id"] == known["id"]
    found = await shop("find_customers", channel="telegram", external_id=u.chat)
    assert [c["id"] for c in found["customers"]] == [known["id"]]


async def test_a_friends_contact_at_checkout_is_the_recipients_phone_and_links_nothing(
    telegram: Running, fake_telegram: FakeTelegram, shop: Caller
) -> None:
    """Someone else's card is read as their number typed: it may be the recipient's phone
    (shown on the confirmation, as a typed one is), and joins this account to nobody."""
    known = await shop("create_customer", name="Chị Bình", phones=["0987654321"])
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    await share_contact(u, own=False)
    assert u.chat not in fake_telegram.keyboards
    number = await finish_after_the_phone(u)
    order = await shop("get_order", number=number)
    assert order["buyer_phone"] == KNOWN_PHONE
    assert order["customer_id"] != known["id"]
    found = await shop("find_customers", channel="telegram", external_id=u.chat)
    assert known["id"] not in [c["id"] for c in found["customers"]]
    again = await shop("get_customer", customer_id=known["id"])
    assert again["phones"] == [KNOWN_PHONE]  # the known customer is as it was


async def test_a_typed_phone_answers_too_and_the_keyboard_hides_once_used(
    telegram: Running, fake_telegram: FakeTelegram
) -> None:
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    await u.say("0912345678")
    assert "địa chỉ" in u.text.lower()
    assert reply_keyboard(u) == []  # not offered again once the phone is known
    assert u.chat not in fake_telegram.keyboards  # and the one up is taken away
    # the answer's first message took it away; its inline buttons moved to the next one
    first = u.replies[0].body
    assert first["reply_markup"] == {"remove_keyboard": True}
    assert "địa chỉ" in first["text"].lower()


async def test_moving_on_without_a_phone_takes_the_keyboard_away(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    assert u.chat in fake_telegram.keyboards
    await u.press("Huỷ")
    assert u.chat not in fake_telegram.keyboards
    assert not await reply_keyboard_shown(db, "telegram", u.chat)
    await u.say("ao thun")  # nothing left to take away: answers carry no extra markup
    assert all("remove_keyboard" not in (s.body.get("reply_markup") or {}) for s in u.replies)


async def test_the_shared_number_is_said_back_through_the_send_log(
    telegram: Running, fake_telegram: FakeTelegram, db: Database
) -> None:
    """The "☎️" line is a message like any other: recorded (never sent twice) and paced."""
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    await share_contact(u, own=True)
    async with db.transaction(write=False) as tx:
        bodies = [
            b
            for (b,) in await tx.session.execute(
                select(ChannelSend.body).where(ChannelSend.chat_id == u.chat)
            )
        ]
    said_back = [b for b in bodies if b["params"].get("text") == "☎️ 0987 654 321"]
    assert len(said_back) == 1
    assert said_back[0]["params"]["reply_markup"] == {"remove_keyboard": True}


async def test_the_fake_bot_api_refuses_malformed_reply_keyboards(
    fake_telegram: FakeTelegram,
) -> None:
    """The contract the channel is held to (Bot API: ReplyKeyboardMarkup, KeyboardButton,
    ReplyKeyboardRemove; edits take inline keyboards only)."""
    share = {"text": SHARE_VI, "request_contact": True}
    bad = [
        ("sendMessage", "601", {"keyboard": [[{"text": ""}]]}),
        ("sendMessage", "601", {"keyboard": [[{**share, "request_location": True}]]}),
        ("sendMessage", "601", {"keyboard": [[{**share, "request_contact": "yes"}]]}),
        ("sendMessage", "-100601", {"keyboard": [[share]]}),  # a group
        ("sendMessage", "601", {"keyboard": []}),
        ("sendMessage", "601", {"remove_keyboard": False}),
        ("sendMessage", "601", {"keyboard": [[share]], "inline_keyboard": []}),
    ]
    async with httpx.AsyncClient(base_url=f"{fake_telegram.url}/bot{TG_TOKEN}") as client:
        for method, chat, markup in bad:
            resp = await client.post(
                f"/{method}", json={"chat_id": chat, "text": "x", "reply_markup": markup}
            )
            assert resp.status_code == 400, markup
        sent = await client.post(
            "/sendMessage",
            json={"chat_id": "601", "text": "x", "reply_markup": {"keyboard": [[share]]}},
        )
        assert sent.status_code == 200
        message_id = sent.json()["result"]["message_id"]
        edit = await client.post(
            "/editMessageReplyMarkup",
            json={
                "chat_id": "601",
                "message_id": message_id,
                "reply_markup": {"keyboard": [[share]]},
            },
        )
        assert edit.status_code == 400
        assert fake_telegram.keyboards["601"] == {"keyboard": [[share]]}
        removed = await client.post(
            "/sendMessage",
            json={"chat_id": "601", "text": "x", "reply_markup": {"remove_keyboard": True}},
        )
        assert removed.status_code == 200
    assert "601" not in fake_telegram.keyboards


async def test_a_typed_phone_another_customer_has_is_kept_unconfirmed_and_links_the_two(
    telegram: Running, fake_telegram: FakeTelegram, shop: Caller
) -> None:
    """The documented rule for a typed number (docs/customers.md), on a platform as on the web:
    the order keeps it, this account's customer keeps it as unconfirmed, the two records are
    linked for staff, and nothing is merged (the typist sees none of the other's orders)."""
    known = await shop("create_customer", name="Chị Bình", phones=["0987654321"])
    u = user(fake_telegram, telegram)
    await to_the_phone_question(u)
    await u.say("0987 654 321")
    number = await finish_after_the_phone(u)
    order = await shop("get_order", number=number)
    assert order["buyer_phone"] == KNOWN_PHONE
    assert order["customer_id"] != known["id"]
    mine = await shop("get_customer", customer_id=order["customer_id"])
    assert mine["unconfirmed_phones"] == [KNOWN_PHONE]
    assert mine["phones"] == []
    assert mine["linked_customer_ids"] == [known["id"]]
    again = await shop("get_customer", customer_id=known["id"])
    assert (again["phones"], again["linked_customer_ids"]) == ([KNOWN_PHONE], [mine["id"]])
