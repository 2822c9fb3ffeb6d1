"""The chat channels' own tables (storage/models/channels.py): SQL here, typed values out.

Each function is one short transaction: the channel layer calls them around platform HTTP
calls, which never run inside a transaction (SQLite has one writer for the whole process).

What runs for every message (the webhook's insert, a worker's poll, a reply's record, claim
and finish) goes through the compiled fast path (storage/fastsql.py): through the ORM these
cost 3-5 ms of CPU each per turn, more than SQLite takes to run them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)

from storage import inbox_signal
from storage.base import Json, UTCDateTime
from storage.database import Database, Tx
from storage.fastsql import (
    Sql,
    dialect_insert,
    in_binds,
    in_params,
    json_object,
    padded_length,
    per_dialect,
)
from storage.models import ChannelChat, ChannelInbox, ChannelPayload, ChannelSecret, ChannelSend

_p = bindparam


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


def _insert_inbox(dialect_insert: Any) -> Sql:
    return Sql(
        dialect_insert(ChannelInbox)
        .values(
            channel=_p("channel", type_=String),
            message_id=_p("message", type_=String),
            chat_id=_p("chat", type_=String),
            body=_p("body", type_=Json),
            done=False,
            created_at=_p("at", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(ChannelInbox.id)
    )


def _upsert_chat(dialect_insert: Any) -> Sql:
    """The chat's messaging window restarts with its customer's message."""
    window = {
        "last_inbound_at": _p("at", type_=UTCDateTime),
        "sent_since_inbound": 0,
        "last_message_id": _p("message", type_=String),
    }
    return Sql(
        dialect_insert(ChannelChat)
        .values(
            channel=_p("channel", type_=String),
            chat_id=_p("chat", type_=String),
            reply_keyboard=False,
            **window,
        )
        .on_conflict_do_update(index_elements=["channel", "chat_id"], set_=window)
    )


_INSERT_INBOX = per_dialect(_insert_inbox)
_UPSERT_CHAT = per_dialect(_upsert_chat)


async def store_inbound(db: Database, channel: str, items: Sequence[InboundItem]) -> list[InboxRow]:
    """Stores the updates not seen before and returns those (a retried delivery returns
    nothing); each chat's messaging window restarts with its customer's message."""
    fresh: list[InboxRow] = []
    if not items:
        return fresh
    async with db.transaction() as tx:
        fast = await tx.raw()
        for item in items:
            params = {
                "channel": channel,
                "message": item.message_id,
                "chat": item.chat_id,
                "body": item.body,
                "at": tx.now,
            }
            new = await fast.fetch(_INSERT_INBOX[tx.dialect], params)
            if not new:
                continue
            fresh.append(
                InboxRow(int(new[0][0]), channel, item.chat_id, item.body, item.message_id)
            )
            await fast.execute(_UPSERT_CHAT[tx.dialect], params)
        if fresh and tx.dialect == "postgresql":
            await fast.fetch(inbox_signal.NOTIFY)  # delivered at commit, and only then
    if fresh:
        inbox_signal.ring_after_commit(db)
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


_BY_CHAT = and_(
    ChannelChat.channel == ChannelInbox.channel, ChannelChat.chat_id == ChannelInbox.chat_id
)
# The chat is not leased to another worker (never, expired, or ours); owner and time as binds.
_FREE = or_(
    ChannelChat.lease_owner.is_(None),
    ChannelChat.lease_owner == _p("owner", type_=String),
    ChannelChat.lease_until < _p("now", type_=UTCDateTime),
)


@functools.cache
def _pending_of_free_chats(channels: int) -> Sql:
    return Sql(
        select(ChannelInbox.id, ChannelChat.id)
        .join(ChannelChat, _BY_CHAT)
        .where(
            ChannelInbox.channel.in_(in_binds("ch", channels, String)),
            ChannelInbox.done.is_(False),
            _FREE,
        )
        .order_by(ChannelInbox.id)
        .limit(_p("limit", type_=Integer))
    )


@functools.cache
def _lease_chats(chats: int) -> Sql:
    """Leases those of the chats that are free. On PostgreSQL the rows are locked with SKIP
    LOCKED (SQLite has no row locks and one writer: the clause is left out there)."""
    claimable = (
        select(ChannelChat.id)
        .where(ChannelChat.id.in_(in_binds("chat", chats, Integer)), _FREE)
        .order_by(ChannelChat.id)
        .with_for_update(skip_locked=True)
    )
    return Sql(
        update(ChannelChat)
        .where(ChannelChat.id.in_(claimable))
        .values(lease_owner=_p("owner", type_=String), lease_until=_p("until", type_=UTCDateTime))
        .returning(ChannelChat.id)
    )


@functools.cache
def _pending_of_chats(chats: int) -> Sql:
    return Sql(
        select(
            ChannelInbox.id,
            ChannelInbox.channel,
            ChannelInbox.chat_id,
            ChannelInbox.body,
            ChannelInbox.message_id,
        )
        .join(ChannelChat, _BY_CHAT)
        .where(ChannelChat.id.in_(in_binds("chat", chats, Integer)), ChannelInbox.done.is_(False))
        .order_by(ChannelInbox.id)
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
    names = list(channels)
    if not names:
        return []
    async with db.transaction(write=False) as tx:
        found = await (await tx.raw()).fetch(
            _pending_of_free_chats(padded_length(len(names))),
            {
                **in_params("ch", names, padded_length(len(names))),
                "owner": owner,
                "now": tx.now,
                "limit": min(limit, len(skip) + 4 * chats + 16),
            },
        )
    wanted = list(dict.fromkeys(int(chat) for i, chat in found if int(i) not in skip))[:chats]
    if not wanted:
        return []
    async with db.transaction() as tx:
        fast = await tx.raw()
        claimed = [
            int(chat)
            for (chat,) in await fast.fetch(
                _lease_chats(padded_length(len(wanted))),
                {
                    **in_params("chat", wanted, padded_length(len(wanted))),
                    "owner": owner,
                    "now": tx.now,
                    "until": tx.now + timedelta(seconds=lease),
                },
            )
        ]
        if not claimed:
            return []
        n = padded_length(len(claimed))
        rows = await fast.fetch(_pending_of_chats(n), in_params("chat", claimed, n))
        return [
            InboxRow(int(i), str(ch), str(chat), json_object(body), str(message))
            for i, ch, chat, body, message in rows
            if int(i) not in skip
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


_SEND_COLUMNS = (
    ChannelSend.id,
    ChannelSend.channel,
    ChannelSend.chat_id,
    ChannelSend.idempotency_key,
    ChannelSend.body,
    ChannelSend.state,
    ChannelSend.attempts,
)


def _send_of(row: tuple[Any, ...]) -> SendRow:
    sid, channel, chat, key, body, state, attempts = row
    return SendRow(
        int(sid), str(channel), str(chat), str(key), json_object(body), str(state), int(attempts)
    )


def _insert_send(dialect_insert: Any) -> Sql:
    return Sql(
        dialect_insert(ChannelSend)
        .values(
            channel=_p("channel", type_=String),
            chat_id=_p("chat", type_=String),
            idempotency_key=_p("key", type_=String),
            body=_p("body", type_=Json),
            state="pending",
            attempts=0,
            note="",
            created_at=_p("at", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["channel", "idempotency_key"])
    )


_INSERT_SEND = per_dialect(_insert_send)
_MARK_HANDLED = Sql(
    update(ChannelInbox)
    .where(ChannelInbox.id == _p("inbox", type_=Integer))
    .values(done=_p("done", type_=Boolean))
)
# pending -> sending: the claim that is committed before the platform is called.
_CLAIM = Sql(
    update(ChannelSend)
    .where(ChannelSend.id == _p("send", type_=Integer), ChannelSend.state == "pending")
    .values(state="sending", attempts=ChannelSend.attempts + 1)
)
_CLAIM_KEY = Sql(
    update(ChannelSend)
    .where(
        ChannelSend.channel == _p("channel", type_=String),
        ChannelSend.idempotency_key == _p("key", type_=String),
        ChannelSend.state == "pending",
    )
    .values(state="sending", attempts=ChannelSend.attempts + 1)
    .returning(ChannelSend.id)
)
_FINISH = Sql(
    update(ChannelSend)
    .where(ChannelSend.id == _p("send", type_=Integer))
    .values(
        state=_p("state", type_=String),
        platform_message_id=_p("message", type_=String),
        note=_p("note", type_=String),
        sent_at=_p("sent_at", type_=UTCDateTime),
    )
)
_COUNT_SENT = Sql(
    update(ChannelChat)
    .where(
        ChannelChat.channel == _p("channel", type_=String),
        ChannelChat.chat_id == _p("chat", type_=String),
    )
    .values(sent_since_inbound=ChannelChat.sent_since_inbound + 1)
)


@functools.cache
def _sends_by_key(keys: int) -> Sql:
    return Sql(
        select(*_SEND_COLUMNS)
        .where(
            ChannelSend.channel == _p("channel", type_=String),
            ChannelSend.idempotency_key.in_(in_binds("key", keys, String)),
        )
        .order_by(ChannelSend.id)
    )


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
        rows, _ = await _record(tx, channel, chat_id, items, answered, claim_first=False)
        return rows


async def record_sends_claiming_first(
    db: Database,
    channel: str,
    chat_id: str,
    items: Sequence[tuple[str, dict[str, Any]]],
    *,
    answered: int | None = None,
) -> tuple[list[SendRow], SendRow | None]:
    """``record_sends``, and the first message claimed for sending (``claim_send``) in the
    same transaction: a turn's reply that may go out at once costs one commit, not two, and
    is still claimed in a committed transaction before it is sent. The claimed row comes back
    second (its state "sending"); None when it was not pending (recorded and sent before)."""
    async with db.transaction() as tx:
        return await _record(tx, channel, chat_id, items, answered, claim_first=True)


async def _record(
    tx: Tx,
    channel: str,
    chat_id: str,
    items: Sequence[tuple[str, dict[str, Any]]],
    answered: int | None,
    *,
    claim_first: bool,
) -> tuple[list[SendRow], SendRow | None]:
    fast = await tx.raw()
    if answered is not None:
        await fast.execute(_MARK_HANDLED, {"inbox": answered, "done": True})
    if not items:
        return [], None
    await fast.execute_many(
        _INSERT_SEND[tx.dialect],
        [
            {"channel": channel, "chat": chat_id, "key": key, "body": body, "at": tx.now}
            for key, body in items
        ],
    )
    claimed_id: int | None = None
    if claim_first:
        found = await fast.fetch(_CLAIM_KEY, {"channel": channel, "key": items[0][0]})
        claimed_id = int(found[0][0]) if found else None
    keys = [k for k, _ in items]
    rows = [
        _send_of(r)
        for r in await fast.fetch(
            _sends_by_key(padded_length(len(keys))),
            {"channel": channel, **in_params("key", keys, padded_length(len(keys)))},
        )
    ]
    return rows, next((r for r in rows if r.id == claimed_id), None)


async def claim_send(db: Database, send_id: int) -> bool:
    """pending -> sending, committed before the platform is called. False: someone else has
    it, or it was sent, skipped or given up already."""
    async with db.transaction() as tx:
        return bool(await (await tx.raw()).execute(_CLAIM, {"send": send_id}))


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
        fast = await tx.raw()
        await fast.execute(
            _FINISH,
            {
                "send": row.id,
                "state": state,
                "message": platform_message_id,
                "note": note[:500],
                "sent_at": tx.now if state == "sent" else None,
            },
        )
        if state == "sent":
            await fast.execute(_COUNT_SENT, {"channel": row.channel, "chat": row.chat_id})


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
                .where(ChannelChat.channel == channel, ChannelChat.chat_id.in_(chats), _FREE)
                .values(lease_owner=owner, lease_until=tx.now + timedelta(seconds=lease))
                .execution_options(synchronize_session=False),
                {"owner": owner, "now": tx.now},
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
            dialect_insert(tx.dialect)(ChannelPayload)
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
            dialect_insert(tx.dialect)(ChannelSecret)
            .values(name=name, **values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )


LEASE_SUFFIX = ".renewing"


async def take_secret_lease(db: Database, name: str, owner: str, seconds: float) -> bool:
    """A claim, shared by every process on the database, on renewing the secret ``name`` (a
    single-use refresh token must be spent by one of them only): True when ``owner`` holds it,
    taken now or already its own. It lapses after ``seconds`` (its holder died)."""
    async with db.transaction() as tx:
        values = {
            "ciphertext": owner.encode(),
            "expires_at": tx.now + timedelta(seconds=seconds),
            "updated_at": tx.now,
        }
        stmt = (
            dialect_insert(tx.dialect)(ChannelSecret)
            .values(name=name + LEASE_SUFFIX, **values)
            .on_conflict_do_update(
                index_elements=["name"],
                set_=values,
                where=or_(
                    ChannelSecret.expires_at < tx.now,
                    ChannelSecret.ciphertext == owner.encode(),
                ),
            )
            .returning(ChannelSecret.name)
        )
        return (await tx.session.execute(stmt)).first() is not None


async def drop_secret_lease(db: Database, name: str, owner: str) -> None:
    async with db.transaction() as tx:
        await tx.session.execute(
            delete(ChannelSecret).where(
                ChannelSecret.name == name + LEASE_SUFFIX,
                ChannelSecret.ciphertext == owner.encode(),
            )
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
