"""The chat channels' own tables (storage/models/channels.py): SQL here, typed values out.

Each function is one short transaction: the channel layer calls them around platform HTTP
calls, which never run inside a transaction (SQLite has one writer for the whole process).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.database import Database, Tx
from storage.models import ChannelChat, ChannelInbox, ChannelPayload, ChannelSecret, ChannelSend


def _insert(tx: Tx) -> Any:
    return postgresql.insert if tx.dialect == "postgresql" else sqlite.insert


@dataclasses.dataclass(frozen=True)
class InboundItem:
    message_id: str
    chat_id: str
    body: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class InboxRow:
    id: int
    channel: str
    chat_id: str
    body: dict[str, Any]
    message_id: str = ""


@dataclasses.dataclass(frozen=True)
class SendRow:
    id: int
    channel: str
    chat_id: str
    key: str
    body: dict[str, Any]
    state: str
    attempts: int


@dataclasses.dataclass(frozen=True)
class ChatWindow:
    last_inbound_at: datetime
    sent_since_inbound: int
    last_message_id: str | None


# --- inbound -----------------------------------------------------------------------------------


async def store_inbound(db: Database, channel: str, items: Sequence[InboundItem]) -> list[InboxRow]:
    """Stores the updates not seen before and returns those (a retried delivery returns
    nothing); each chat's messaging window restarts with its customer's message."""
    fresh: list[InboxRow] = []
    if not items:
        return fresh
    async with db.transaction() as tx:
        ins = _insert(tx)
        for item in items:
            new_id = (
                await tx.session.execute(
                    ins(ChannelInbox)
                    .values(
                        channel=channel,
                        message_id=item.message_id,
                        chat_id=item.chat_id,
                        body=item.body,
                        done=False,
                        created_at=tx.now,
                    )
                    .on_conflict_do_nothing(index_elements=["channel", "message_id"])
                    .returning(ChannelInbox.id)
                )
            ).scalar_one_or_none()
            if new_id is None:
                continue
            fresh.append(InboxRow(int(new_id), channel, item.chat_id, item.body, item.message_id))
            chat = ins(ChannelChat).values(
                channel=channel,
                chat_id=item.chat_id,
                last_inbound_at=tx.now,
                sent_since_inbound=0,
                last_message_id=item.message_id,
                reply_keyboard=False,
            )
            await tx.session.execute(
                chat.on_conflict_do_update(
                    index_elements=["channel", "chat_id"],
                    set_={
                        "last_inbound_at": tx.now,
                        "sent_since_inbound": 0,
                        "last_message_id": item.message_id,
                    },
                )
            )
    return fresh


async def pending_inbound(
    db: Database, channel: str, *, skip: Collection[int] = (), limit: int = 2000
) -> list[InboxRow]:
    """Updates stored but not handled (not yet, or a crash interrupted them), oldest first;
    those in ``skip`` (already queued by the caller) are left out before their bodies are
    read, so a follower polling a backlog reads little."""
    async with db.transaction(write=False) as tx:
        ids = [
            int(i)
            for i in await tx.session.scalars(
                select(ChannelInbox.id)
                .where(ChannelInbox.channel == channel, ChannelInbox.done.is_(False))
                .order_by(ChannelInbox.id)
                .limit(limit)
            )
            if int(i) not in skip
        ]
        if not ids:
            return []
        rows = (
            await tx.session.execute(
                select(ChannelInbox).where(ChannelInbox.id.in_(ids)).order_by(ChannelInbox.id)
            )
        ).scalars()
        return [InboxRow(r.id, r.channel, r.chat_id, dict(r.body), r.message_id) for r in rows]


def _free_for(owner: str, now: datetime) -> ColumnElement[bool]:
    """The chat is not leased to another worker (never, expired, or ours)."""
    return or_(
        ChannelChat.lease_owner.is_(None),
        ChannelChat.lease_owner == owner,
        ChannelChat.lease_until < now,
    )


async def claim_inbound(
    db: Database,
    channels: Collection[str],
    owner: str,
    *,
    lease: float,
    skip: Collection[int] = (),
    chats: int = 100,
    limit: int = 2000,
) -> list[InboxRow]:
    """For one of several workers sharing the inbox: the pending events of the chats (on any
    of ``channels``: one poll for all the platforms of a worker) this worker now leases (for
    ``lease`` seconds; ``renew_leases`` keeps them), oldest first, less those in ``skip``
    (queued already). A chat leased to another worker is left to it, so each chat's events
    are handled in order by one worker at a time. At most ``chats`` chats (those waiting
    longest) per call, so a burst is spread over the workers. The read stops after the queued
    events (``skip``, bounded by the chats a worker holds) and a few per wanted chat: a busy
    worker polls often, and a backlog must not make each poll long.

    A read first, so an idle worker polling takes no write lock (SQLite has one writer, which
    the webhooks need); then one short write claims the chats. On PostgreSQL the chat rows are
    claimed with SKIP LOCKED: two workers claiming at once never wait on or deadlock with each
    other, and the lease condition is checked again on the row each one locks."""
    by_chat = and_(
        ChannelChat.channel == ChannelInbox.channel, ChannelChat.chat_id == ChannelInbox.chat_id
    )
    async with db.transaction(write=False) as tx:
        found = (
            await tx.session.execute(
                select(ChannelInbox.id, ChannelChat.id)
                .join(ChannelChat, by_chat)
                .where(
                    ChannelInbox.channel.in_(list(channels)),
                    ChannelInbox.done.is_(False),
                    _free_for(owner, tx.now),
                )
                .order_by(ChannelInbox.id)
                .limit(min(limit, len(skip) + 4 * chats + 16))
            )
        ).all()
    wanted = list(dict.fromkeys(int(chat) for i, chat in found if int(i) not in skip))[:chats]
    if not wanted:
        return []
    async with db.transaction() as tx:
        claimable = (
            select(ChannelChat.id)
            .where(ChannelChat.id.in_(wanted), _free_for(owner, tx.now))
            .order_by(ChannelChat.id)
            .with_for_update(skip_locked=True)
        )
        claimed = list(
            (
                await tx.session.execute(
                    update(ChannelChat)
                    .where(ChannelChat.id.in_(claimable))
                    .values(lease_owner=owner, lease_until=tx.now + timedelta(seconds=lease))
                    .returning(ChannelChat.id)
                    .execution_options(synchronize_session=False)
                )
            ).scalars()
        )
        if not claimed:
            return []
        rows = (
            await tx.session.execute(
                select(ChannelInbox)
                .join(ChannelChat, by_chat)
                .where(ChannelChat.id.in_(claimed), ChannelInbox.done.is_(False))
                .order_by(ChannelInbox.id)
            )
        ).scalars()
        return [
            InboxRow(r.id, r.channel, r.chat_id, dict(r.body), r.message_id)
            for r in rows
            if r.id not in skip
        ]


async def renew_leases(
    db: Database, channel: str, owner: str, chat_ids: Collection[str], *, lease: float
) -> None:
    """Keeps this worker's chats leased while it still has their events queued."""
    if not chat_ids:
        return
    async with db.transaction() as tx:
        await tx.session.execute(
            update(ChannelChat)
            .where(
                ChannelChat.channel == channel,
                ChannelChat.lease_owner == owner,
                ChannelChat.chat_id.in_(list(chat_ids)),
            )
            .values(lease_until=tx.now + timedelta(seconds=lease))
        )


# --- outbound ----------------------------------------------------------------------------------


def _send_row(r: ChannelSend) -> SendRow:
    return SendRow(r.id, r.channel, r.chat_id, r.idempotency_key, dict(r.body), r.state, r.attempts)


async def record_sends(
    db: Database,
    channel: str,
    chat_id: str,
    items: Sequence[tuple[str, dict[str, Any]]],
    *,
    answered: int | None = None,
) -> list[SendRow]:
    """Records messages to send under their idempotency keys; a key recorded before keeps
    its row (and its state): the same reply or notification is never queued twice. With
    ``answered`` (an inbox id) that event is marked handled in the same transaction."""
    async with db.transaction() as tx:
        ins = _insert(tx)
        if answered is not None:
            await tx.session.execute(
                update(ChannelInbox).where(ChannelInbox.id == answered).values(done=True)
            )
        for key, body in items:
            await tx.session.execute(
                ins(ChannelSend)
                .values(
                    channel=channel,
                    chat_id=chat_id,
                    idempotency_key=key,
                    body=body,
                    state="pending",
                    attempts=0,
                    note="",
                    created_at=tx.now,
                )
                .on_conflict_do_nothing(index_elements=["channel", "idempotency_key"])
            )
        keys = [k for k, _ in items]
        if not keys:
            return []
        rows = (
            await tx.session.execute(
                select(ChannelSend)
                .where(ChannelSend.channel == channel, ChannelSend.idempotency_key.in_(keys))
                .order_by(ChannelSend.id)
            )
        ).scalars()
        return [_send_row(r) for r in rows]


async def claim_send(db: Database, send_id: int) -> bool:
    """pending -> sending, committed before the platform is called. False: someone else has
    it, or it was sent, skipped or given up already."""
    async with db.transaction() as tx:
        result = await tx.session.execute(
            update(ChannelSend)
            .where(ChannelSend.id == send_id, ChannelSend.state == "pending")
            .values(state="sending", attempts=ChannelSend.attempts + 1)
        )
        return bool(getattr(result, "rowcount", 0))


async def finish_send(
    db: Database,
    row: SendRow,
    state: str,
    *,
    platform_message_id: str | None = None,
    note: str = "",
) -> None:
    """Records how a send ended: sent, failed, skipped, or back to pending (it certainly did
    not go out, e.g. refused with 429, and is tried again)."""
    async with db.transaction() as tx:
        await tx.session.execute(
            update(ChannelSend)
            .where(ChannelSend.id == row.id)
            .values(
                state=state,
                platform_message_id=platform_message_id,
                note=note[:500],
                sent_at=tx.now if state == "sent" else None,
            )
        )
        if state == "sent":
            await tx.session.execute(
                update(ChannelChat)
                .where(ChannelChat.channel == row.channel, ChannelChat.chat_id == row.chat_id)
                .values(sent_since_inbound=ChannelChat.sent_since_inbound + 1)
            )


async def recover_sends(db: Database, channel: str, owner: str, *, lease: float) -> list[SendRow]:
    """At start: a send caught mid-flight by a crash may have reached the customer, so it
    becomes ``uncertain`` and is never repeated; the pending ones are returned to send.

    Only for chats no live worker holds: a process starting beside a running one (a second
    ``shopbot worker``) must neither call that worker's in-flight sends uncertain nor send its
    queued ones out of their chat's order. The chats whose sends are taken up are leased to
    ``owner`` (a fresh process holds no lease, so any live lease is another worker's)."""
    async with db.transaction() as tx:
        live = (
            select(ChannelChat.chat_id)
            .where(
                ChannelChat.channel == channel,
                ChannelChat.lease_owner.is_not(None),
                ChannelChat.lease_owner != owner,
                ChannelChat.lease_until >= tx.now,
            )
            .scalar_subquery()
        )
        ours = and_(ChannelSend.channel == channel, ChannelSend.chat_id.not_in(live))
        await tx.session.execute(
            update(ChannelSend)
            .where(ours, ChannelSend.state == "sending")
            .values(state="uncertain", note="interrupted while sending; not repeated")
            .execution_options(synchronize_session=False)
        )
        rows = [
            _send_row(r)
            for r in (
                await tx.session.execute(
                    select(ChannelSend)
                    .where(ours, ChannelSend.state == "pending")
                    .order_by(ChannelSend.id)
                )
            ).scalars()
        ]
        chats = sorted({r.chat_id for r in rows})
        if chats:
            await tx.session.execute(
                update(ChannelChat)
                .where(
                    ChannelChat.channel == channel,
                    ChannelChat.chat_id.in_(chats),
                    _free_for(owner, tx.now),
                )
                .values(lease_owner=owner, lease_until=tx.now + timedelta(seconds=lease))
                .execution_options(synchronize_session=False)
            )
        return rows


async def chat_window(db: Database, channel: str, chat_id: str) -> ChatWindow | None:
    async with db.transaction(write=False) as tx:
        row = (
            await tx.session.execute(
                select(ChannelChat).where(
                    ChannelChat.channel == channel, ChannelChat.chat_id == chat_id
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return ChatWindow(row.last_inbound_at, row.sent_since_inbound, row.last_message_id)


# --- long button payloads and rotated secrets ---------------------------------------------------


async def save_payload(db: Database, token: str, payload: str) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            _insert(tx)(ChannelPayload)
            .values(token=token, payload=payload, created_at=tx.now)
            .on_conflict_do_nothing(index_elements=["token"])
        )


async def load_payload(db: Database, token: str) -> str | None:
    async with db.transaction(write=False) as tx:
        found = await tx.session.scalar(
            select(ChannelPayload.payload).where(ChannelPayload.token == token)
        )
        return str(found) if found is not None else None


async def load_secret(db: Database, name: str) -> tuple[bytes, datetime | None] | None:
    async with db.transaction(write=False) as tx:
        row = await tx.session.get(ChannelSecret, name)
        return (bytes(row.ciphertext), row.expires_at) if row is not None else None


async def save_secret(
    db: Database, name: str, ciphertext: bytes, expires_at: datetime | None
) -> None:
    async with db.transaction() as tx:
        values = {"ciphertext": ciphertext, "expires_at": expires_at, "updated_at": tx.now}
        await tx.session.execute(
            _insert(tx)(ChannelSecret)
            .values(name=name, **values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )


# --- reply keyboards (Telegram) ----------------------------------------------------------------


async def reply_keyboard_shown(db: Database, channel: str, chat_id: str) -> bool:
    """Whether a reply keyboard we sent (the share-phone button) is still up in this chat."""
    async with db.transaction(write=False) as tx:
        found = await tx.session.execute(
            select(ChannelChat.reply_keyboard).where(
                ChannelChat.channel == channel, ChannelChat.chat_id == chat_id
            )
        )
        return bool(found.scalar_one_or_none())


async def set_reply_keyboard(db: Database, channel: str, chat_id: str, shown: bool) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            update(ChannelChat)
            .where(ChannelChat.channel == channel, ChannelChat.chat_id == chat_id)
            .values(reply_keyboard=shown)
        )
