"""One platform at work: deliveries stored and handled in the background, replies sent in
order, paced, retried, and recorded so that a restart neither loses nor repeats them.

Inbound: ``accept(update)`` parses the delivery, stores each event under (channel, platform
message id) (a retry of the same delivery stores nothing) and queues the new ones on their
chat's lane, then returns: the webhook answers in milliseconds whatever the agent takes.
Each lane handles its chat's events one after the other; chats run side by side.

Outbound: every message is recorded with an idempotency key first (``in:<inbox id>:<n>`` for
replies, the caller's key for notifications), marked ``sending`` just before the platform is
called and ``sent`` after. After a crash the pending ones are sent and the ``sending`` ones are
left as ``uncertain``: no platform here can tell whether it got them, and a message twice is
worse than a log line (docs/channels.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from agents.types import Incoming, Reply
from bot.channels.base import Body, Channel, ChannelError, RetryLater, Window
from bot.channels.inbox_batch import InboxBatcher
from bot.channels.lanes import Lanes
from bot.channels.pacing import Pacer
from bot.channels.payloads import PayloadCodec
from storage.channels import (
    InboundItem,
    InboxRow,
    SendRow,
    chat_window,
    claim_inbound,
    claim_send,
    finish_send,
    pending_inbound,
    record_sends,
    record_sends_claiming_first,
    recover_sends,
    renew_leases,
    reply_keyboard_shown,
    set_reply_keyboard,
)
from storage.database import Database
from storage.inbox_signal import InboxBell

log = logging.getLogger("shopbot.channels")

Handler = Callable[[Incoming], Awaitable[list[Reply]]]
# Runs before the conversation service sees an event (linking a shared phone, opening the
# product of a deep link) and may change what it sees.
Prepare = Callable[[Incoming], Awaitable[Incoming]]
TYPING_EVERY = 4.0  # Telegram shows "typing" for about 5 s
# Conversation turns and sends a process runs at once, all platforms together (the setting
# SHOPBOT_CHAT_CONCURRENCY). A turn spends most of its time waiting for the model, so this
# bounds chats in flight, not database work (the database serialises what it must): with 8,
# a model answering in 300 ms capped a worker at ~27 turns/s and 1,000 customers queued.
DEFAULT_SLOTS = 64
# A worker looks for new events again after FOLLOW_BUSY while they keep coming, backing off
# to FOLLOW_IDLE when there are none: a fresh event waits ~10 ms for a busy worker (it adds
# to every answer), an idle worker costs a read every 0.2 s.
FOLLOW_IDLE = 0.2
FOLLOW_BUSY = 0.02
# A worker's hold on the chats it answers (channel_chats.lease_*), renewed while it is busy
# with them: another worker takes a chat over this long after its worker stopped.
LEASE_SECONDS = 30.0
RENEW_EVERY = 10.0
# Chats a worker holds events of at once (by default as many as it runs turns at once): it
# takes on more only as it finishes some, so a burst is spread over the workers.
CLAIM_CHATS = DEFAULT_SLOTS
MAX_BACKOFF = 30.0


class ChannelRuntime:
    def __init__(
        self,
        channel: Channel,
        db: Database,
        handler: Handler,
        *,
        prepare: Prepare | None = None,
        pacer: Pacer | None = None,
        codec: PayloadCodec | None = None,
        slots: asyncio.Semaphore | None = None,
    ) -> None:
        self.channel = channel
        self.db = db
        self.handler = handler
        self.prepare = prepare
        limits = channel.limits
        self.pacer = pacer or Pacer(limits.per_chat_interval, limits.per_second)
        self.codec = codec or PayloadCodec(
            db, limits.payload_bytes, always=channel.payloads_as_tokens
        )
        self.lanes = Lanes(channel.name)
        self.inbox = InboxBatcher(db, channel.name)
        # Turns and sends running at once (shared by the platforms of a hub). SQLite has one
        # writer: unbounded, a thousand busy chats queue a thousand transactions ahead of the
        # next webhook's, and its acknowledgement waits for all of them.
        self.slots = slots or asyncio.Semaphore(DEFAULT_SLOTS)
        # Called with a send row and the platform's message id between the send and its
        # record: tests use it to stand for a crash at the worst moment.
        self.after_deliver: Callable[[SendRow], Awaitable[None]] | None = None
        # Called with a turn's answer after the conversation saved it and before it is
        # recorded for sending: the other moment a crash must not lose or repeat a reply.
        self.before_record: Callable[[list[Body]], Awaitable[None]] | None = None
        self.handles_turns = True  # this process answers what it receives
        # Inbox ids queued here and not handled yet, with their chats (a failed one stays
        # until a restart, so a message that always fails is not retried in a loop).
        self._queued: dict[int, str] = {}
        # Chats with messages queued to send here: their leases are renewed like the queued
        # events', so another worker starting meanwhile leaves their sends alone.
        self._sending: collections.Counter[str] = collections.Counter()
        # This process among the workers sharing the inbox (the chats' lease owner).
        self.worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"

    @property
    def name(self) -> str:
        return self.channel.name

    # --- life ----------------------------------------------------------------------------

    async def start(self, *, turns: bool = True) -> None:
        """Opens the platform client and takes up what a previous run left: unsent
        messages and, when this process runs the conversation turns (``turns``), the
        events not handled yet. Without ``turns`` deliveries are only stored: a worker
        process follows the inbox (``follow_inbox``) and answers them."""
        self.handles_turns = turns
        await self.channel.start()
        for row in await recover_sends(self.db, self.name, self.worker_id, lease=LEASE_SECONDS):
            self.lanes.submit(row.chat_id, self._send_job(row))
        if turns:
            await self._take_pending()

    async def follow_inbox(self, idle: float = FOLLOW_IDLE, chats: int = CLAIM_CHATS) -> None:
        """In a worker process: until cancelled, handles the events another process stored
        (``follow_inboxes`` with this platform alone)."""
        await follow_inboxes([self], idle=idle, chats=chats)

    async def _take_pending(self) -> int:
        """Queues the stored events not handled and not queued here yet. Not "ids above the
        last one seen": on PostgreSQL a delivery stored a moment earlier may commit later
        with a smaller id, and a high-water mark would pass it by for good."""
        fresh = await pending_inbound(self.db, self.name, skip=self._queued)
        for inbox in fresh:
            self._queue(inbox)
        return len(fresh)

    def _queue(self, inbox: InboxRow) -> None:
        self._queued[inbox.id] = inbox.chat_id
        self.lanes.submit(inbox.chat_id, self._inbound_job(inbox))

    async def stop(self) -> None:
        await self.lanes.cancel()
        await self.channel.close()

    async def drain(self) -> None:
        await self.lanes.drain()

    # --- inbound -------------------------------------------------------------------------

    async def accept(self, update: dict[str, Any]) -> int:
        """Stores a delivery's new events and queues them; returns how many were new."""
        events = await self.channel.parse(update)
        items = [
            InboundItem(
                e.message_id,
                e.incoming.chat_id,
                {"incoming": e.incoming.model_dump(mode="json"), "extra": e.extra},
            )
            for e in events
        ]
        fresh = await self.inbox.store(items)
        if self.handles_turns:
            for row in fresh:
                self._queue(row)
        return len(fresh)

    def _inbound_job(self, row: InboxRow) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            await self._handle(row)
            self._queued.pop(row.id, None)  # handled (and marked so in the database)

        return job

    async def _handle(self, row: InboxRow) -> None:
        incoming = Incoming.model_validate(row.body["incoming"])
        extra = dict(row.body.get("extra") or {})
        receipt: list[Body] = []
        with contextlib.suppress(ChannelError, RetryLater):
            receipt = await self.channel.on_receipt(extra)
        if incoming.payload is not None:
            decoded = await self.codec.decode(incoming.payload)
            if decoded is None:  # a token nobody issued: read it as typed text
                text = incoming.text or incoming.payload
                incoming = incoming.model_copy(update={"payload": None, "text": text})
            else:
                incoming = incoming.model_copy(update={"payload": decoded})
        async with self.slots:
            if self.prepare is not None:
                incoming = await self.prepare(incoming)
            async with self._typing(incoming.chat_id):
                replies = await self.handler(incoming)
            bodies = receipt + await self.channel.render(incoming.chat_id, replies, self.codec)
            if self.channel.reply_keyboards:
                bodies = await self._settle_keyboard(incoming.chat_id, bodies)
            if self.before_record is not None:
                await self.before_record(bodies)
            items = [(f"in:{row.id}:{i}", body) for i, body in enumerate(bodies)]
            # When the platform's pace lets the first reply go at once, it is claimed in the
            # transaction that records it (a commit fewer per turn, still committed before
            # it is sent) and sent in this turn's slot.
            first: SendRow | None = None
            if items and self.pacer.try_take(incoming.chat_id):
                rows, first = await record_sends_claiming_first(
                    self.db, self.name, incoming.chat_id, items, answered=row.id
                )
            else:
                rows = await record_sends(
                    self.db, self.name, incoming.chat_id, items, answered=row.id
                )
            retry = await self._deliver(first) if first is not None else None
        for send in rows:
            if first is None or send.id != first.id:
                await self._send(send)
            elif retry is not None:  # the platform asked for another go
                await self._send_tries(send, tried=retry)

    async def _settle_keyboard(self, chat_id: str, bodies: list[Body]) -> list[Body]:
        """Takes away a reply keyboard the answer no longer asks for (kept per chat in the
        database, so it holds whichever worker answers the chat next)."""
        shown = await reply_keyboard_shown(self.db, self.name, chat_id)
        bodies, now = self.channel.settle_keyboard(bodies, shown)
        if now != shown:
            await set_reply_keyboard(self.db, self.name, chat_id, now)
        return bodies

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: str) -> AsyncIterator[None]:
        """ "typing..." until the answer is ready, for a customer left waiting: the request
        goes once the turn first waits (the model, a slow tool), so an answer ready without
        waiting (the button flow's, mostly) goes at once with no "typing" before it. A
        request in flight is let finish before the answer goes (cutting it would leave a
        broken connection, and a "typing" landing after the answer would show under it);
        otherwise the pause is cut at once, because waiting for it to notice would cost the
        answer two turns of a busy loop."""
        done = asyncio.Event()
        sending = False

        async def keep_typing() -> None:
            nonlocal sending
            while not done.is_set():
                sending = True
                with contextlib.suppress(ChannelError, RetryLater):
                    await self.channel.typing(chat_id)
                sending = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), TYPING_EVERY)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            done.set()
            if sending:
                await task
            else:
                task.cancel()  # only its pause was left

    # --- outbound ------------------------------------------------------------------------

    async def notify(self, chat_id: str, text: str, key: str) -> str:
        """Tells a chat ``text`` once per ``key`` (recorded before it returns); the send
        itself happens on the chat's lane. Returns what became of it: queued, or skipped
        when the platform's window is closed (recorded too, so it is not tried again)."""
        body = await self.channel.notification(chat_id, text, await self._window(chat_id))
        rows = await record_sends(
            self.db, self.name, chat_id, [(key, body if body is not None else {})]
        )
        row = rows[0]
        if body is None:
            if row.state == "pending":
                await finish_send(self.db, row, "skipped", note="outside the messaging window")
            return "skipped"
        if row.state != "pending":
            return row.state  # this key was recorded before: sent, skipped, uncertain...
        self.lanes.submit(chat_id, self._send_job(row))
        return "queued"

    async def tell(self, chat_id: str, reply: Reply, key: str, *, plain: str) -> str:
        """Sends a whole reply (cards as the platform's cards, buttons, a QR image) to a chat
        outside a turn, such as a staff answer, once per ``key``; where the platform's window
        allows no more than a notification, ``plain`` goes that way instead."""
        if not self.channel.replies_allowed(await self._window(chat_id)):
            return await self.notify(chat_id, plain, key)
        bodies = await self.channel.render(chat_id, [reply], self.codec)
        if self.channel.reply_keyboards:
            bodies = await self._settle_keyboard(chat_id, bodies)
        rows = await record_sends(
            self.db, self.name, chat_id, [(f"{key}:{i}", b) for i, b in enumerate(bodies)]
        )
        fresh = [row for row in rows if row.state == "pending"]
        for row in fresh:
            self.lanes.submit(chat_id, self._send_job(row))
        return "queued" if fresh else (rows[0].state if rows else "skipped")

    async def _window(self, chat_id: str) -> Window:
        """What the platform's messaging window depends on: the customer's last message and
        what was sent since."""
        found = await chat_window(self.db, self.name, chat_id)
        if found is None:
            return Window(None, 0, None)
        return Window(found.last_inbound_at, found.sent_since_inbound, found.last_message_id)

    def _send_job(self, row: SendRow) -> Callable[[], Awaitable[None]]:
        self._sending[row.chat_id] += 1

        async def job() -> None:
            try:
                await self._send(row)
            finally:
                self._sending[row.chat_id] -= 1
                if self._sending[row.chat_id] <= 0:
                    del self._sending[row.chat_id]

        return job

    @property
    def held_chats(self) -> set[str]:
        """The chats this process is busy with: events queued, or messages waiting to go."""
        return set(self._queued.values()) | set(self._sending)

    async def _send(self, row: SendRow) -> None:
        await self._send_tries(row, tried=None)

    async def _send_tries(self, row: SendRow, *, tried: RetryLater | None) -> None:
        """Sends ``row``, paced, retried as the platform asks. ``tried``: the first attempt
        was made already (claimed when it was recorded) and the platform asked to wait."""
        limits = self.channel.limits
        backoff = 1.0
        outcome = tried
        for attempt in range(1, limits.max_attempts + 1):
            if attempt > 1 or tried is None:
                await self.pacer.wait(row.chat_id)
                async with self.slots:
                    outcome = await self._attempt(row)
            if outcome is None:
                return
            wait = max(outcome.retry_after, 0.0) or backoff
            backoff = min(backoff * 2, MAX_BACKOFF)
            self.pacer.hold(row.chat_id, wait)
            log.info("%s: send %s retried in %.1fs (%s)", self.name, row.key, wait, outcome)
            if attempt == limits.max_attempts:
                break
            await asyncio.sleep(wait)
        await finish_send(self.db, row, "failed", note="gave up after retries")

    async def _attempt(self, row: SendRow) -> RetryLater | None:
        """One try: None when it ended (sent, refused, or not ours to send), the RetryLater
        when the platform asked for another go (the row is pending again)."""
        if not await claim_send(self.db, row.id):
            return None  # sent, skipped or given up already
        return await self._deliver(row)

    async def _deliver(self, row: SendRow) -> RetryLater | None:
        """The platform call for a claimed send, and its outcome recorded."""
        try:
            message_id = await self.channel.deliver(row.chat_id, row.body)
        except RetryLater as exc:
            await finish_send(self.db, row, "pending", note=str(exc))
            return exc
        except ChannelError as exc:
            log.warning("%s: send %s refused: %s", self.name, row.key, exc)
            await finish_send(self.db, row, "failed", note=str(exc))
            return None
        if self.after_deliver is not None:
            await self.after_deliver(row)
        await finish_send(self.db, row, "sent", platform_message_id=message_id)
        return None


async def follow_inboxes(
    runtimes: Sequence[ChannelRuntime],
    *,
    idle: float = FOLLOW_IDLE,
    chats: int = CLAIM_CHATS,
    bell: InboxBell | None = None,
) -> None:
    """A worker's loop over the platforms it answers (one read per poll for all of them): until
    cancelled, takes the events the server stored, sharing them with any other workers. A
    worker claims whole chats for a while (a lease it renews while busy with them), so each
    chat keeps its order, and holds at most ``chats`` chats' events at once. The server's
    ring (``bell``, storage.inbox_signal) ends a pause at once: a new message is claimed as
    soon as it is committed, and the pauses only bound how late a lost ring is made up for."""
    if not runtimes:
        return
    owner = runtimes[0].worker_id
    by_name = {rt.name: rt for rt in runtimes}
    for rt in runtimes:
        rt.worker_id = owner  # one worker, one lease owner, whatever the platform
    db = runtimes[0].db
    renewed = time.monotonic()
    pause = FOLLOW_BUSY
    while True:
        if bell is not None:
            bell.clear()  # before reading: a ring from now on ends the next pause
        queued = {i: (rt.name, chat) for rt in runtimes for i, chat in rt._queued.items()}
        room = chats - len(set(queued.values()))
        fresh = []
        if room > 0:
            fresh = await claim_inbound(
                db, list(by_name), owner, lease=LEASE_SECONDS, skip=queued, chats=room
            )
        for inbox in fresh:
            by_name[inbox.channel]._queue(inbox)
        if time.monotonic() - renewed >= RENEW_EVERY:
            for rt in runtimes:
                held = rt.held_chats
                await renew_leases(db, rt.name, owner, held, lease=LEASE_SECONDS)
            renewed = time.monotonic()
        # Claimed as many chats as there was room for: more may be waiting, look again soon.
        full = room <= 0 or len({(i.channel, i.chat_id) for i in fresh}) >= room
        if full or bell is None or not bell.live:
            pause = FOLLOW_BUSY if fresh or full else min(pause * 2, max(idle, FOLLOW_BUSY))
        else:
            # Every new message rings: reading again before a ring finds nothing new, so
            # the pause is only the safety net for a lost ring (a read every 20 ms while
            # busy was a third of a worker's database work).
            pause = max(idle, FOLLOW_BUSY)
        if bell is None:
            await asyncio.sleep(min(pause, idle))
        else:
            await bell.wait(min(pause, idle))
