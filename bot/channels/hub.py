"""The chat platforms this shop is on, built from the settings and run with the app.

``ChannelHub.build`` makes a runtime for each configured platform; ``start`` takes up what a
previous run left, registers Telegram's webhook (with a public URL) or starts long polling
(without); ``notify`` is what the workers use to tell a customer something.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from agents.conversation import ChatService
from agents.types import Reply
from bot.channels.base import Channel
from bot.channels.messenger import MessengerChannel
from bot.channels.prepare import Preparer
from bot.channels.runtime import DEFAULT_SLOTS, ChannelRuntime, follow_inboxes
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_tokens import ZaloTokens
from bot.container import Container
from bot.settings import Settings
from bot.staff.telegram_bot import staff_runtime
from integrations.http import outbound_client
from storage.inbox_signal import InboxBell

log = logging.getLogger("shopbot.channels")


def build_channels(settings: Settings, container: Container) -> list[Channel]:
    """A channel for each platform whose settings are given (Settings checked they are whole)."""
    out: list[Channel] = []
    if settings.telegram_customer_token is not None:
        secret = settings.telegram_webhook_secret
        out.append(
            TelegramChannel(
                make_bot(
                    settings.telegram_customer_token.get_secret_value(),
                    settings.telegram_api_base,
                ),
                webhook_secret=secret.get_secret_value() if secret else None,
            )
        )
    if settings.channel_on("messenger"):
        assert settings.messenger_page_token is not None
        assert settings.messenger_app_secret is not None
        assert settings.messenger_verify_token is not None
        out.append(
            MessengerChannel(
                api_base=settings.messenger_api_base,
                page_token=settings.messenger_page_token.get_secret_value(),
                app_secret=settings.messenger_app_secret.get_secret_value(),
                verify_token=settings.messenger_verify_token.get_secret_value(),
            )
        )
    if settings.channel_on("zalo"):
        assert settings.zalo_app_id is not None
        assert settings.zalo_oa_secret_key is not None
        assert settings.zalo_app_secret is not None
        assert settings.zalo_refresh_token is not None
        tokens = ZaloTokens(
            container.db,
            outbound_client(),
            oauth_base=settings.zalo_oauth_base,
            app_id=settings.zalo_app_id,
            app_secret=settings.zalo_app_secret.get_secret_value(),
            first_refresh_token=settings.zalo_refresh_token.get_secret_value(),
        )
        out.append(
            ZaloChannel(
                api_base=settings.zalo_api_base,
                app_id=settings.zalo_app_id,
                oa_secret_key=settings.zalo_oa_secret_key.get_secret_value(),
                tokens=tokens,
                public_url=settings.public_url,
            )
        )
    return out


class ChannelHub:
    def __init__(
        self,
        runtimes: Mapping[str, ChannelRuntime],
        *,
        public_url: str | None = None,
        concurrency: int = DEFAULT_SLOTS,
    ) -> None:
        self.runtimes = dict(runtimes)
        self.public_url = public_url
        self.concurrency = concurrency
        self._tasks: list[asyncio.Task[None]] = []
        self._bell: InboxBell | None = None

    @classmethod
    def build(
        cls,
        container: Container,
        chat: ChatService,
        *,
        channels: list[Channel] | None = None,
    ) -> ChannelHub:
        settings = container.settings
        found = build_channels(settings, container) if channels is None else channels
        prepare = Preparer(container.runner)
        # One budget for all platforms: a process answers this many chats at once.
        slots = asyncio.Semaphore(settings.chat_concurrency)
        runtimes: dict[str, ChannelRuntime] = {
            c.name: ChannelRuntime(c, container.db, chat.handle, prepare=prepare, slots=slots)
            for c in found
        }
        staff = staff_runtime(container, slots=slots) if channels is None else None
        if staff is not None:
            runtimes[staff.name] = staff
        owner = next(iter(runtimes.values())).worker_id if runtimes else ""
        for rt in runtimes.values():  # one process, one lease owner, whatever the platform
            rt.worker_id = owner
        return cls(runtimes, public_url=settings.public_url, concurrency=settings.chat_concurrency)

    def runtime(self, name: str) -> ChannelRuntime | None:
        return self.runtimes.get(name)

    async def start(self, *, receive: bool = True, turns: bool = True) -> None:
        """``receive``: this process takes deliveries (webhooks, Telegram polling);
        ``turns``: it answers them. The server alone does both; with ``shopbot worker``
        beside it, the server receives and the worker answers (and sends)."""
        for rt in self.runtimes.values():
            # A worker (turns without receiving) takes the stored events through
            # follow_inboxes, chat by chat under a lease, as other workers may run beside it.
            await rt.start(turns=turns and receive)
            channel = rt.channel
            if receive and isinstance(channel, TelegramChannel):
                if self.public_url:
                    await channel.set_webhook(self.public_url + channel.webhook_path)
                else:
                    self._tasks.append(asyncio.create_task(channel.poll(rt.accept)))
            log.info("channel %s on", rt.name)
        if turns and not receive and self.runtimes:
            runtimes = list(self.runtimes.values())
            self._bell = InboxBell(runtimes[0].db)
            await self._bell.start()
            follow = follow_inboxes(runtimes, chats=self.concurrency, bell=self._bell)
            self._tasks.append(asyncio.create_task(follow))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._bell is not None:
            await self._bell.close()
            self._bell = None
        for rt in self.runtimes.values():
            await rt.stop()

    async def drain(self) -> None:
        """Waits for every queued event and message (tests, orderly shutdown)."""
        for rt in self.runtimes.values():
            await rt.drain()

    async def tell(self, channel: str, chat_id: str, reply: Reply, key: str, *, plain: str) -> str:
        """Sends a whole reply to a chat once per ``key`` (ChannelRuntime.tell); off when this
        shop is not on that platform."""
        rt = self.runtimes.get(channel)
        if rt is None:
            return "off"
        return await rt.tell(chat_id, reply, key, plain=plain)

    async def notify(self, channel: str, chat_id: str, text: str, key: str) -> str:
        """Tells a chat ``text`` once per ``key``: queued, skipped (window closed) or off
        (this shop is not on that platform)."""
        rt = self.runtimes.get(channel)
        if rt is None:
            return "off"
        return await rt.notify(chat_id, text, key)
