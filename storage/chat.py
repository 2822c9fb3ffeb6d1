"""Conversations and their messages (tables ``conversations``, ``chat_messages``).

The chat service's statements, as typed functions. A customer turn runs four to eight of them
while it holds SQLite's write lock, so they go through the compiled fast path
(storage/fastsql.py): through the ORM the same turn costs several milliseconds of CPU.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Boolean, Integer, String, bindparam, insert, select, update

from storage.base import Json, UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql, json_object, per_dialect
from storage.models import ChatMessage, Conversation

_p = bindparam
_COLUMNS = (
    Conversation.id,
    Conversation.customer_id,
    Conversation.channel,
    Conversation.chat_id,
    Conversation.mode,
    Conversation.language,
    Conversation.flow_state,
    Conversation.agent_memory,
    Conversation.fallback_notified,
    Conversation.summary,
    Conversation.summarized_upto_id,
    Conversation.card_token,
)


@dataclasses.dataclass
class ConvRow:
    id: int
    customer_id: int | None
    channel: str
    chat_id: str
    mode: str  # "bot", or "human" while staff answer
    language: str
    flow_state: dict[str, Any]
    agent_memory: dict[str, Any]
    fallback_notified: bool
    summary: str
    summarized_upto_id: int
    # The confirmation card the latest reply ended with: a typed yes or no answers that card.
    card_token: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ConvRow:
        (cid, customer, channel, chat, mode, lang, state, memory, notified, summary, upto, card) = (
            row
        )
        return cls(
            id=int(cid),
            customer_id=int(customer) if customer is not None else None,
            channel=str(channel),
            chat_id=str(chat),
            mode=str(mode),
            language=str(lang),
            flow_state=json_object(state),
            agent_memory=json_object(memory),
            fallback_notified=bool(notified),
            summary=str(summary or ""),
            summarized_upto_id=int(upto or 0),
            card_token=str(card) if card else None,
        )


@dataclasses.dataclass(frozen=True)
class MessageRow:
    id: int
    role: str  # customer, assistant, staff, system
    text: str
    payload: dict[str, Any]


_TOUCH = Sql(
    update(Conversation)
    .where(
        Conversation.channel == _p("channel", type_=String),
        Conversation.chat_id == _p("chat", type_=String),
    )
    .values(customer_id=_p("cust", type_=Integer), updated_at=_p("at", type_=UTCDateTime))
    .returning(*_COLUMNS)
)


def _insert_conversation(dialect_insert: Any) -> Sql:
    return Sql(
        dialect_insert(Conversation)
        .values(
            channel=_p("channel", type_=String),
            chat_id=_p("chat", type_=String),
            customer_id=_p("cust", type_=Integer),
            language=_p("lang", type_=String),
            mode="bot",
            flow_state=_p("state", type_=Json),
            agent_memory=_p("memory", type_=Json),
            summary="",
            summarized_upto_id=0,
            fallback_notified=False,
            created_at=_p("at", type_=UTCDateTime),
            updated_at=_p("at", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
    )


def _insert_customer_message(dialect_insert: Any) -> Sql:
    return Sql(
        dialect_insert(ChatMessage)
        .values(
            conversation_id=_p("conv", type_=Integer),
            role="customer",
            text=_p("text", type_=String),
            payload=_p("payload", type_=Json),
            external_id=_p("ext", type_=String),
            created_at=_p("at", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "external_id"])
        .returning(ChatMessage.id)
    )


_INSERT_CONVERSATION = per_dialect(_insert_conversation)
_INSERT_CUSTOMER_MESSAGE = per_dialect(_insert_customer_message)
_HISTORY = Sql(
    select(ChatMessage.id, ChatMessage.role, ChatMessage.text)
    .where(
        ChatMessage.conversation_id == _p("conv", type_=Integer),
        ChatMessage.id < _p("before", type_=Integer),
    )
    .order_by(ChatMessage.id.desc())
    .limit(_p("window", type_=Integer))
)
_BETWEEN = Sql(
    select(ChatMessage.id, ChatMessage.role, ChatMessage.text)
    .where(
        ChatMessage.conversation_id == _p("conv", type_=Integer),
        ChatMessage.id > _p("after", type_=Integer),
        ChatMessage.id < _p("before", type_=Integer),
    )
    .order_by(ChatMessage.id)
)
_SET_SUMMARY = Sql(
    update(Conversation)
    .where(Conversation.id == _p("conv", type_=Integer))
    .values(summary=_p("summary", type_=String), summarized_upto_id=_p("upto", type_=Integer))
)
_SAVE_STATE = Sql(
    update(Conversation)
    .where(Conversation.id == _p("conv", type_=Integer))
    .values(
        flow_state=_p("state", type_=Json),
        agent_memory=_p("memory", type_=Json),
        language=_p("lang", type_=String),
        fallback_notified=_p("notified", type_=Boolean),
        card_token=_p("card", type_=String),
        updated_at=_p("at", type_=UTCDateTime),
    )
    .returning(Conversation.mode)
)
_INSERT_REPLY = Sql(
    insert(ChatMessage).values(
        conversation_id=_p("conv", type_=Integer),
        role="assistant",
        text=_p("text", type_=String),
        payload=_p("payload", type_=Json),
        reply_to_id=_p("reply_to", type_=Integer),
        created_at=_p("at", type_=UTCDateTime),
    )
)
_MESSAGE_BY_EXTERNAL = Sql(
    select(ChatMessage.id).where(
        ChatMessage.conversation_id == _p("conv", type_=Integer),
        ChatMessage.external_id == _p("ext", type_=String),
    )
)
_REPLIES_TO = Sql(
    select(ChatMessage.id, ChatMessage.role, ChatMessage.text, ChatMessage.payload)
    .where(
        ChatMessage.conversation_id == _p("conv", type_=Integer),
        ChatMessage.reply_to_id == _p("msg", type_=Integer),
    )
    .order_by(ChatMessage.id)
)


async def touch_conversation(
    tx: Tx, channel: str, chat_id: str, customer_id: int, language: str
) -> ConvRow:
    """Finds or creates the conversation, pointing it at the identity's customer (who may have
    been merged into another) and marking it the latest. A first-message race ends with one
    row (ON CONFLICT DO NOTHING, then read the winner's)."""
    touch = {"channel": channel, "chat": chat_id, "cust": customer_id, "at": tx.now}
    rows = await tx.fast.fetch(_TOUCH, touch)
    if not rows:
        await tx.fast.execute(
            _INSERT_CONVERSATION[tx.dialect], {**touch, "lang": language, "state": {}, "memory": {}}
        )
        rows = await tx.fast.fetch(_TOUCH, touch)
    return ConvRow.from_row(rows[0])


async def add_customer_message(
    tx: Tx, conversation_id: int, text: str, payload: dict[str, Any], external_id: str | None
) -> int | None:
    """The new row's id, or None when this external id was stored before (a retry)."""
    rows = await tx.fast.fetch(
        _INSERT_CUSTOMER_MESSAGE[tx.dialect],
        {
            "conv": conversation_id,
            "text": text[:4000],
            "payload": payload,
            "ext": external_id,
            "at": tx.now,
        },
    )
    return int(rows[0][0]) if rows else None


async def replies_to_external(tx: Tx, conversation_id: int, external_id: str) -> list[MessageRow]:
    """What the shop answered to the customer message with this platform id (a retried
    delivery gets the same answer again, not silence)."""
    found = await tx.fast.fetch(_MESSAGE_BY_EXTERNAL, {"conv": conversation_id, "ext": external_id})
    if not found:
        return []
    rows = await tx.fast.fetch(_REPLIES_TO, {"conv": conversation_id, "msg": int(found[0][0])})
    return [MessageRow(int(i), str(r), str(t), json_object(p)) for i, r, t, p in rows]


async def recent_messages(
    tx: Tx, conversation_id: int, *, before_id: int, window: int
) -> list[tuple[int, str, str]]:
    """(id, role, text) of the ``window`` messages before ``before_id``, newest first."""
    rows = await tx.fast.fetch(
        _HISTORY, {"conv": conversation_id, "before": before_id, "window": window}
    )
    return [(int(i), str(r), str(t)) for i, r, t in rows]


async def messages_between(
    tx: Tx, conversation_id: int, *, after_id: int, before_id: int
) -> list[tuple[int, str, str]]:
    rows = await tx.fast.fetch(
        _BETWEEN, {"conv": conversation_id, "after": after_id, "before": before_id}
    )
    return [(int(i), str(r), str(t)) for i, r, t in rows]


async def set_summary(tx: Tx, conversation_id: int, summary: str, upto_id: int) -> None:
    await tx.fast.execute(
        _SET_SUMMARY, {"conv": conversation_id, "summary": summary, "upto": upto_id}
    )


async def save_turn(
    tx: Tx,
    conversation_id: int,
    *,
    flow_state: dict[str, Any],
    agent_memory: dict[str, Any],
    language: str,
    fallback_notified: bool,
    card_token: str | None,
    replies: list[tuple[str, dict[str, Any]]],
    reply_to_id: int | None,
) -> str:
    """The columns a turn owns (a handoff done meanwhile, ``mode``, is not undone) and its
    replies as (text, payload). Returns the conversation's mode after the turn."""
    mode = await tx.fast.fetch(
        _SAVE_STATE,
        {
            "conv": conversation_id,
            "state": flow_state,
            "memory": agent_memory,
            "lang": language,
            "notified": fallback_notified,
            "card": card_token,
            "at": tx.now,
        },
    )
    await tx.fast.execute_many(
        _INSERT_REPLY,
        [
            {
                "conv": conversation_id,
                "text": text,
                "payload": payload,
                "reply_to": reply_to_id,
                "at": tx.now,
            }
            for text, payload in replies
        ],
    )
    return str(mode[0][0]) if mode else "bot"


async def conversation_mode(tx: Tx, channel: str, chat_id: str) -> str:
    """bot or human ("bot" for a chat never seen)."""
    found = await tx.session.scalar(
        select(Conversation.mode).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id
        )
    )
    return str(found or "bot")


async def find_conversation(tx: Tx, channel: str, chat_id: str) -> ConvRow | None:
    found = (
        await tx.session.execute(
            select(*_COLUMNS).where(
                Conversation.channel == channel, Conversation.chat_id == chat_id
            )
        )
    ).first()
    return ConvRow.from_row(tuple(found)) if found is not None else None


async def latest_messages(
    tx: Tx, conversation_id: int, *, after_id: int, limit: int
) -> list[MessageRow]:
    """The newest ``limit`` messages after ``after_id``, oldest first."""
    rows = (
        await tx.session.execute(
            select(ChatMessage.id, ChatMessage.role, ChatMessage.text, ChatMessage.payload)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.id > after_id)
            .order_by(ChatMessage.id.desc())
            .limit(limit)
        )
    ).all()
    return [MessageRow(int(i), str(r), str(t), json_object(p)) for i, r, t, p in reversed(rows)]


async def touch_conversation_of_new_identity(
    tx: Tx, channel: str, chat_id: str, customer_id: int, language: str
) -> ConvRow:
    """``touch_conversation`` for a customer the ORM may just have created: pending ORM work
    is flushed first, because the fast path does not see unflushed rows (the conversation's
    foreign key would miss the new customer)."""
    await tx.raw()
    return await touch_conversation(tx, channel, chat_id, customer_id, language)
