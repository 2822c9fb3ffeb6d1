"""Channel fixtures: fake platform servers on loopback, the channel webhooks in an app with
its lifespan running, and the web tests' catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from agents.conversation import ChatService
from bot.channels.app import install_channels
from bot.channels.base import Channel, Limits
from bot.channels.hub import ChannelHub
from bot.channels.messenger import MessengerChannel
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_tokens import ZaloTokens
from bot.container import Container, load_settings
from integrations.http import outbound_client
from storage.database import Database
from storage.models import ChannelInbox
from tests.conftest import Caller
from tests.fakes.graph_server import FakeGraph
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_server import FakeZalo
from tests.web.conftest import make_catalogue
from tools.registry import Registry

TG_TOKEN = "123456:TEST-token"
TG_SECRET = "s3cr3t-Token_1"
FB_PAGE_TOKEN = "page-token-test"
FB_APP_SECRET = "my_app_secret"
FB_VERIFY = "verify-me"
FAST_FB = Limits(per_chat_interval=0.0, per_second=1000.0, payload_bytes=1000, max_attempts=4)
ZL_APP_ID = "360846524940903967"
ZL_APP_SECRET = "zalo-app-secret"
ZL_OA_KEY = "oa_secret_key_demo"
ZL_REFRESH = "first-refresh-token"
FAST_ZL = Limits(per_chat_interval=0.0, per_second=1000.0, payload_bytes=1000, max_attempts=4)
FAST = Limits(per_chat_interval=0.0, per_second=1000.0, payload_bytes=64, max_attempts=4)


@pytest.fixture
async def catalogue(shop: Caller) -> None:
    await make_catalogue(shop)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TG_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def settings_for(db_url: str, **overrides: Any) -> Any:
    return load_settings(
        database_url=db_url, llm_api_key=None, llm_base_url=None, _env_file=None, **overrides
    )


@pytest.fixture
async def fake_graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(FB_PAGE_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def messenger_channel(fake: FakeGraph, limits: Limits = FAST_FB) -> MessengerChannel:
    return MessengerChannel(
        api_base=fake.api_base,
        page_token=FB_PAGE_TOKEN,
        app_secret=FB_APP_SECRET,
        verify_token=FB_VERIFY,
        limits=limits,
    )


@pytest.fixture
async def messenger(
    container: Container, fake_graph: FakeGraph, catalogue: None
) -> AsyncIterator[Running]:
    async for running in run_channels(container, [messenger_channel(fake_graph)]):
        yield running


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    fake = FakeZalo(app_id=ZL_APP_ID, app_secret=ZL_APP_SECRET, refresh_token=ZL_REFRESH)
    await fake.start()
    yield fake
    await fake.stop()


def zalo_channel(
    fake: FakeZalo, db: Database, limits: Limits = FAST_ZL, **token_args: Any
) -> ZaloChannel:
    tokens = ZaloTokens(
        db,
        outbound_client(timeout=10.0),
        oauth_base=fake.url,
        app_id=ZL_APP_ID,
        app_secret=ZL_APP_SECRET,
        first_refresh_token=ZL_REFRESH,
        **token_args,
    )
    return ZaloChannel(
        api_base=fake.url,
        app_id=ZL_APP_ID,
        oa_secret_key=ZL_OA_KEY,
        tokens=tokens,
        public_url="https://shop.test",
        limits=limits,
    )


@pytest.fixture
async def zalo(
    container: Container, fake_zalo: FakeZalo, db: Database, catalogue: None
) -> AsyncIterator[Running]:
    async for running in run_channels(container, [zalo_channel(fake_zalo, db)]):
        yield running


@pytest.fixture
def container(db: Database, db_url: str, registry: Registry) -> Container:
    return Container.create(
        settings_for(db_url, public_url="https://shop.test"), db=db, registry=registry
    )


def telegram_channel(fake: FakeTelegram, limits: Limits = FAST) -> TelegramChannel:
    return TelegramChannel(make_bot(fake.token, fake.url), webhook_secret=TG_SECRET, limits=limits)


class Running:
    """An app with the given channels, its lifespan entered, and a client for webhooks."""

    def __init__(self, app: FastAPI, hub: ChannelHub, client: httpx.AsyncClient) -> None:
        self.app = app
        self.hub = hub
        self.client = client


async def run_channels(
    container: Container,
    channels: list[Channel],
    *,
    workers: bool = True,
    chat: ChatService | None = None,
) -> AsyncIterator[Running]:
    """The webhooks of ``channels`` in an app with its lifespan entered (the button flow
    answers unless ``chat`` is given)."""
    chat = chat or ChatService(container.runner, container.db, shop_name="Shop Test")
    hub = ChannelHub.build(container, chat, channels=channels)
    app = FastAPI()
    install_channels(app, container, hub=hub, workers=workers)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            yield Running(app, hub, client)


@pytest.fixture
async def telegram(
    container: Container, fake_telegram: FakeTelegram, catalogue: None
) -> AsyncIterator[Running]:
    async for running in run_channels(container, [telegram_channel(fake_telegram)]):
        yield running


async def inbox_count(db: Database) -> int:
    """Platform events stored (each delivery once)."""
    async with db.transaction(write=False) as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(ChannelInbox)) or 0)
