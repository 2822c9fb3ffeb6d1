"""Zalo OA end to end: signed events to the webhook, replies through the fake OA API, the
access token refreshed with the (single-use) refresh token and stored encrypted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.channels.base import Window
from bot.channels.zalo import zalo_signature
from bot.channels.zalo_tokens import SECRET_NAME
from bot.container import Container
from storage.channels import load_secret, take_secret_lease
from storage.database import Database
from tests.channels.conftest import (
    ZL_APP_ID,
    ZL_OA_KEY,
    ZL_REFRESH,
    Running,
    inbox_count,
    run_channels,
    zalo_channel,
)
from tests.channels.users import ZaloUser, buy_one_tee
from tests.fakes.zalo_server import FakeZalo
from tests.web.chat_client import order_count


def user(fake: FakeZalo, running: Running) -> ZaloUser:
    return ZaloUser(fake, running.client, running.hub, app_id=ZL_APP_ID, oa_secret_key=ZL_OA_KEY)


def test_the_signing_vector_of_the_reference() -> None:
    body = (
        b'{"app_id":"360846524940903967","sender":{"id":"246845883529197922"},"user_id_by_app":'
        b'"552177279717587730","recipient":{"id":"388613280878808645"},"event_name":'
        b'"user_send_text","message":{"text":"message","msg_id":"96d3cdf3af150460909"},'
        b'"timestamp":"154390853474"}'
    )
    assert zalo_signature("360846524940903967", body, "154390853474", "oa_secret_key_demo") == (
        "mac=03a72ac71b772ea52c1e6e0cd047114cf6d03b2093e3c7320f1d332687691ee5"
    )


async def test_a_customer_orders_by_buttons(
    zalo: Running, fake_zalo: FakeZalo, db: Database
) -> None:
    u = user(fake_zalo, zalo)
    await u.say("Chào shop")
    number = await buy_one_tee(u)
    assert number.startswith("DH")
    assert await order_count(db) == 1
    assert fake_zalo.refreshes == 1  # one token for the whole conversation


async def test_a_badly_signed_event_is_refused_and_changes_nothing(
    zalo: Running, fake_zalo: FakeZalo, db: Database
) -> None:
    u = user(fake_zalo, zalo)
    update, _ = u.text_update("xin chào")
    raw = u.raw(update)
    wrong_key = zalo_signature(ZL_APP_ID, raw, update["timestamp"], "another key")
    for headers in ({}, {"X-ZEvent-Signature": wrong_key}):
        resp = await zalo.client.post("/webhooks/zalo", content=raw, headers=headers)
        assert resp.status_code == 401
    await zalo.hub.drain()
    assert await inbox_count(db) == 0
    assert fake_zalo.count() == 0


async def test_a_retried_event_is_handled_once(
    zalo: Running, fake_zalo: FakeZalo, db: Database
) -> None:
    u = user(fake_zalo, zalo)
    update, headers = u.text_update("Chào shop")
    await u.deliver(update, headers)
    await u.deliver(update, headers)
    await zalo.hub.drain()
    assert fake_zalo.count() > 0
    assert await inbox_count(db) == 1


async def test_the_token_is_refreshed_before_expiry_and_stored_sealed(
    container: Container, fake_zalo: FakeZalo, db: Database, catalogue: None
) -> None:
    fake_zalo.expires_in = 600  # ten minutes: inside the 30-minute margin at once
    async for running in run_channels(container, [zalo_channel(fake_zalo, db)]):
        u = user(fake_zalo, running)
        await u.say("Chào shop")
        await u.say("ao thun")
    assert fake_zalo.refreshes >= 2  # a token about to expire is not used
    stored = await load_secret(db, SECRET_NAME)
    assert stored is not None
    assert fake_zalo.refresh_token.encode() not in stored[0]  # sealed, not plain
    # a restart continues the chain from the stored (rotated) token, not the first one
    fake_zalo.expires_in = 90000
    before = fake_zalo.refreshes
    async for running in run_channels(container, [zalo_channel(fake_zalo, db)]):
        u = user(fake_zalo, running)
        await u.say("Chào shop")
        assert u.replies
    assert fake_zalo.refreshes == before + 1
    assert fake_zalo.refresh_token != ZL_REFRESH


async def test_order_updates_keep_to_the_interaction_window(
    fake_zalo: FakeZalo, db: Database
) -> None:
    channel = zalo_channel(fake_zalo, db)
    now = datetime.now(UTC)
    assert await channel.notification("1", "x", Window(now - timedelta(hours=1), 0, None))
    assert await channel.notification("1", "x", Window(now - timedelta(hours=49), 0, None)) is None
    assert await channel.notification("1", "x", Window(now, 8, None)) is None
    assert await channel.notification("1", "x", Window(None, 0, None)) is None
    # a whole reply (a staff answer with cards) keeps to the same window
    assert channel.replies_allowed(Window(now - timedelta(hours=1), 7, None))
    assert not channel.replies_allowed(Window(now - timedelta(hours=49), 0, None))
    assert not channel.replies_allowed(Window(now, 8, None))
    assert not channel.replies_allowed(Window(None, 0, None))
    await channel.close()


async def test_processes_sharing_the_oa_spend_the_single_use_refresh_token_once(
    fake_zalo: FakeZalo, db: Database
) -> None:
    # The server and two workers, each with its own token holder, all needing a token at once.
    holders = [zalo_channel(fake_zalo, db).tokens for _ in range(3)]
    try:
        tokens = await asyncio.gather(*(h.access_token() for h in holders))
        assert len(set(tokens)) == 1
        assert fake_zalo.refreshes == 1  # a second refresh would have spent a spent token
        # Zalo refuses that token (revoked): every process asks for a newer one at once.
        renewed = await asyncio.gather(*(h.access_token(force=True) for h in holders))
        assert len(set(renewed)) == 1
        assert renewed[0] != tokens[0]
        assert fake_zalo.refreshes == 2
    finally:
        for h in holders:
            await h.http.aclose()


async def test_a_refresh_claim_left_by_a_dead_process_lapses(
    fake_zalo: FakeZalo, db: Database
) -> None:
    assert await take_secret_lease(db, SECRET_NAME, "dead-process", seconds=0.2)
    holder = zalo_channel(fake_zalo, db).tokens
    try:
        assert not await take_secret_lease(db, SECRET_NAME, holder.owner, seconds=30)
        token = await holder.access_token()  # waits the claim out, then refreshes itself
    finally:
        await holder.http.aclose()
    assert token
    assert fake_zalo.refreshes == 1
