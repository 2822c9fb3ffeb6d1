"""Telegram end to end: aiogram talking over HTTP to the fake Bot API server, deliveries
posted to the webhook as Telegram posts them."""

from __future__ import annotations

from tests.channels.conftest import TG_SECRET, Running
from tests.channels.users import TelegramUser, buy_one_tee
from tests.fakes.telegram_server import FakeTelegram
from tests.web.chat_client import order_count


def user(fake: FakeTelegram, running: Running) -> TelegramUser:
    return TelegramUser(fake, running.client, running.hub, secret=TG_SECRET)


async def test_a_customer_orders_by_buttons(
    telegram: Running, fake_telegram: FakeTelegram, db
) -> None:
    u = user(fake_telegram, telegram)
    await u.say("/start")
    assert u.replies, "the bot answered /start"
    number = await buy_one_tee(u)
    assert number.startswith("DH")
    assert await order_count(db) == 1
    # every button fitted Telegram's 64 bytes (the fake refuses more) and presses were answered
    assert fake_telegram.answered
    assert (u.chat, "typing") in fake_telegram.actions
