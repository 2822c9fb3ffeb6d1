"""A channel is on with all its settings, off with none (its webhook is 404), and a half
configured one stops the start with the missing variable's name."""

from __future__ import annotations

import httpx
import pytest

from bot.channels.hub import build_channels
from bot.channels.messenger import MessengerChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.container import Container
from bot.http.app import create_app
from bot.settings import SettingsError, load
from storage.database import Database
from tests.channels.conftest import settings_for
from tools.registry import Registry


async def test_channels_without_settings_are_off(
    db: Database, db_url: str, registry: Registry
) -> None:
    container = Container.create(settings_for(db_url), db=db, registry=registry)
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        for path in (
            "/webhooks/telegram/customer",
            "/webhooks/telegram/staff",
            "/webhooks/messenger",
            "/webhooks/zalo",
        ):
            assert (await client.post(path, json={})).status_code == 404
        assert (await client.get("/webhooks/messenger")).status_code == 404


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"messenger_page_token": "t"}, "SHOPBOT_MESSENGER_APP_SECRET"),
        (
            {"messenger_page_token": "t", "messenger_app_secret": "s"},
            "SHOPBOT_MESSENGER_VERIFY_TOKEN",
        ),
        ({"zalo_app_id": "1", "zalo_oa_secret_key": "k"}, "SHOPBOT_ZALO_APP_SECRET"),
        ({"telegram_webhook_secret": "abc"}, "SHOPBOT_TELEGRAM_CUSTOMER_TOKEN"),
        (
            {"telegram_customer_token": "1:a", "public_url": "https://shop.example"},
            "SHOPBOT_TELEGRAM_WEBHOOK_SECRET",
        ),
        ({"telegram_staff_chat_id": "-100200"}, "SHOPBOT_TELEGRAM_STAFF_TOKEN"),
        ({"telegram_staff_webhook_secret": "abc"}, "SHOPBOT_TELEGRAM_STAFF_TOKEN"),
        (
            {"telegram_staff_token": "2:b", "public_url": "https://shop.example"},
            "SHOPBOT_TELEGRAM_STAFF_WEBHOOK_SECRET",
        ),
    ],
)
def test_a_half_configured_channel_names_what_is_missing(
    given: dict[str, str], missing: str
) -> None:
    with pytest.raises(SettingsError) as err:
        load(_env_file=None, **given)
    assert str(err.value).startswith(missing)


def test_whole_settings_turn_channels_on_and_secrets_stay_masked() -> None:
    s = load(
        _env_file=None,
        telegram_customer_token="1:secret-token",
        messenger_page_token="p",
        messenger_app_secret="a",
        messenger_verify_token="v",
    )
    assert s.channels_on() == ["telegram", "messenger"]
    assert "secret-token" not in str(s.safe_dict())
    assert "secret-token" not in repr(s)


async def test_the_settings_build_each_platform(
    db: Database, db_url: str, registry: Registry
) -> None:
    settings = settings_for(
        db_url,
        public_url="https://shop.example",
        telegram_customer_token="1:secret-token",
        telegram_webhook_secret="abc",
        telegram_api_base="http://127.0.0.1:9",
        messenger_page_token="p",
        messenger_app_secret="a",
        messenger_verify_token="v",
        zalo_app_id="1",
        zalo_oa_secret_key="k",
        zalo_app_secret="s",
        zalo_refresh_token="r",
    )
    container = Container.create(settings, db=db, registry=registry)
    channels = build_channels(settings, container)
    assert [type(c) for c in channels] == [TelegramChannel, MessengerChannel, ZaloChannel]
    for channel in channels:
        await channel.close()
