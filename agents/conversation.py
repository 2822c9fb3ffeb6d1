"""The conversation service: one entry point for every customer chat channel.

``ChatService.handle(Incoming) -> list[Reply]`` does, for one inbound message:

1. In one transaction: the customer behind the channel identity (``customer_for_identity``; the
   channel is the only source of the customer's id), the conversation for (channel, chat_id),
   and the message stored with its platform id. A delivery seen before (platforms retry)
   returns ``[]`` and does nothing else. A conversation handed to staff stores the message,
   forwards it to them (outbox ``chat.message_for_staff``) and stays silent.
2. Routing: a pressed button goes to the offline flow; typed text answers the flow's open
   question if it is one, else goes to the LLM responder when there is a healthy one, else to
   the offline flow. When the LLM is unavailable the offline flow answers that message, and
   the customer is told once per conversation that the menu is in charge.
3. In a second transaction: the replies and the flow's new state.

Tools run as ``Actor.customer(id)`` through the runner, each in its own transaction, never
inside the service's own (SQLite has a single writer). Nothing raised below reaches the
customer: domain refusals become a sentence in their language, anything else a polite apology
(the traceback goes to the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any, Literal

from sqlalchemy import Boolean, Integer, String, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from agents.offline import FlowContext, FlowState, OfflineFlow, Outcome, ShopTools
from agents.offline import payloads as P
from agents.offline.lang import detect_language
from agents.offline.messages import Lang, error_text, t
from agents.offline.render import button, menu_buttons
from agents.summary import extend_summary
from agents.types import (
    AgentTurn,
    AgentUnavailable,
    Incoming,
    Reply,
    Responder,
    TurnContext,
)
from core.errors import DomainError
from core.roles import Actor
from storage.base import Json, UTCDateTime
from storage.database import Database, Tx
from storage.fastsql import FastExecutor, Sql
from storage.models import ChatMessage, Conversation
from tools.context import ToolContext
from tools.customers import customer_for_identity
from tools.events import flush_events
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.chat")

HISTORY_WINDOW = 12
MAX_LOCKS = 10_000
# Payloads of buttons an LLM reply offered: they go back to the LLM, with the button's title
# as the customer's words (see agents.llm.prompting.quote_buttons).
AGENT_PAYLOAD_PREFIX = "agent:"
_LANG_COMMANDS = {"/en": "en", "/vi": "vi", "/english": "en", "/tiengviet": "vi"}
_START_COMMANDS = frozenset({"/start", "/menu", "menu", "start"})

# The statements of a turn run on the fast path (storage/fastsql.py): compiled once, executed
# on the driver. Through the ORM a turn's four to eight statements cost several milliseconds
# of CPU, and the turn holds SQLite's single write lock for all of that.
_p = bindparam
CONVERSATION_COLUMNS = (
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
)
TOUCH_CONVERSATION = Sql(
    update(Conversation)
    .where(
        Conversation.channel == _p("channel", type_=String),
        Conversation.chat_id == _p("chat", type_=String),
    )
    .values(customer_id=_p("cust", type_=Integer), updated_at=_p("at", type_=UTCDateTime))
    .returning(*CONVERSATION_COLUMNS)
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


# ON CONFLICT is dialect syntax: one statement per dialect.
INSERT_CONVERSATION = {
    "sqlite": _insert_conversation(sqlite.insert),
    "postgresql": _insert_conversation(postgresql.insert),
}
INSERT_CUSTOMER_MESSAGE = {
    "sqlite": _insert_customer_message(sqlite.insert),
    "postgresql": _insert_customer_message(postgresql.insert),
}
HISTORY = Sql(
    select(ChatMessage.id, ChatMessage.role, ChatMessage.text)
    .where(
        ChatMessage.conversation_id == _p("conv", type_=Integer),
        ChatMessage.id < _p("before", type_=Integer),
    )
    .order_by(ChatMessage.id.desc())
    .limit(_p("window", type_=Integer))
)
LEFT_WINDOW = Sql(
    select(ChatMessage.id, ChatMessage.role, ChatMessage.text)
    .where(
        ChatMessage.conversation_id == _p("conv", type_=Integer),
        ChatMessage.id > _p("after", type_=Integer),
        ChatMessage.id < _p("before", type_=Integer),
    )
    .order_by(ChatMessage.id)
)
SET_SUMMARY = Sql(
    update(Conversation)
    .where(Conversation.id == _p("conv", type_=Integer))
    .values(summary=_p("summary", type_=String), summarized_upto_id=_p("upto", type_=Integer))
)
SAVE_STATE = Sql(
    update(Conversation)
    .where(Conversation.id == _p("conv", type_=Integer))
    .values(
        flow_state=_p("state", type_=Json),
        agent_memory=_p("memory", type_=Json),
        language=_p("lang", type_=String),
        fallback_notified=_p("notified", type_=Boolean),
        updated_at=_p("at", type_=UTCDateTime),
    )
    .returning(Conversation.mode)
)
INSERT_REPLY = Sql(
    insert(ChatMessage).values(
        conversation_id=_p("conv", type_=Integer),
        role="assistant",
        text=_p("text", type_=String),
        payload=_p("payload", type_=Json),
        created_at=_p("at", type_=UTCDateTime),
    )
)


class KeyedLocks:
    """One asyncio.Lock per key, kept in a bounded LRU so idle chats do not pile up.

    Only idle locks are evicted (nobody holds or waits on them), and a lock is taken in the
    same step it is looked up, so eviction can never let two turns of one chat interleave.
    This orders messages within one process; several processes (workers, hosts) will need a
    shared lock (Redis) keyed the same way — a later issue.
    """

    def __init__(self, max_size: int = MAX_LOCKS) -> None:
        self.max_size = max_size
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()

    def __len__(self) -> int:
        return len(self._locks)

    def _get(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._locks.move_to_end(key)
        if len(self._locks) > self.max_size:
            for old in list(self._locks)[: len(self._locks) - self.max_size]:
                if not self._locks[old].locked():
                    del self._locks[old]
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._get(key):
            yield


@dataclasses.dataclass
class ConvRow:
    """A conversation row as the fast path returns it (plain values, see CONVERSATION_COLUMNS)."""

    id: int
    customer_id: int | None
    channel: str
    chat_id: str
    mode: str
    language: str
    flow_state: dict[str, Any]
    agent_memory: dict[str, Any]
    fallback_notified: bool
    summary: str
    summarized_upto_id: int

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ConvRow:
        (cid, customer, channel, chat, mode, language, state, memory, notified, summary, upto) = row
        return cls(
            id=int(cid),
            customer_id=int(customer) if customer is not None else None,
            channel=str(channel),
            chat_id=str(chat),
            mode=str(mode),
            language=str(language),
            flow_state=_json_object(state),
            agent_memory=_json_object(memory),
            fallback_notified=bool(notified),
            summary=str(summary or ""),
            summarized_upto_id=int(upto or 0),
        )


@dataclasses.dataclass
class Received:
    """What the first transaction learned about the conversation."""

    conversation_id: int
    customer_id: int
    channel: str
    mode: str
    language: Lang
    flow_state: dict[str, Any]
    agent_memory: dict[str, Any]
    fallback_notified: bool
    summary: str
    history: list[tuple[str, str]]
    duplicate: bool = False  # this delivery was stored before: nothing more to do

    @classmethod
    def of(
        cls, conv: ConvRow, *, history: list[tuple[str, str]], duplicate: bool = False
    ) -> Received:
        assert conv.customer_id is not None  # set by _conversation
        return cls(
            conversation_id=conv.id,
            customer_id=conv.customer_id,
            channel=conv.channel,
            mode=conv.mode,
            language="en" if conv.language == "en" else "vi",
            flow_state=conv.flow_state,
            agent_memory=conv.agent_memory,
            fallback_notified=conv.fallback_notified,
            summary=conv.summary,
            history=history,
            duplicate=duplicate,
        )


@dataclasses.dataclass(frozen=True)
class ChatTurn:
    """The replies to one message and the conversation's mode after it ("human": staff answer
    from now on). ``mode`` is None when the turn failed before it was known."""

    replies: list[Reply]
    mode: str | None


@dataclasses.dataclass
class TranscriptMessage:
    id: int
    role: str
    text: str
    buttons: list[dict[str, Any]]
    cards: list[dict[str, Any]]
    qr: str | None = None


@dataclasses.dataclass
class Transcript:
    mode: str
    language: Lang
    messages: list[TranscriptMessage]


class ChatService:
    def __init__(
        self,
        runner: ToolRunner,
        db: Database,
        *,
        responder: Responder | None = None,
        shop_name: str = "",
        default_language: Lang = "vi",
        history_window: int = HISTORY_WINDOW,
        max_locks: int = MAX_LOCKS,
    ) -> None:
        self.runner = runner
        self.db = db
        self.responder = responder
        self.shop_name = shop_name or runner.config.shop_name
        self.default_language: Lang = default_language
        self.history_window = history_window
        self.flow = OfflineFlow()
        self.locks = KeyedLocks(max_locks)

    # --- the entry point --------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Replies to one inbound message; [] for duplicates and handed-off chats."""
        return (await self.handle_turn(incoming)).replies

    async def handle_turn(self, incoming: Incoming) -> ChatTurn:
        """``handle`` plus the conversation's mode after the turn, which a channel shows (the
        web page polls for staff answers in "human" mode) without another transaction."""
        lang: list[Lang] = [
            incoming.language or self._guess(incoming.text) or self.default_language
        ]
        async with self.locks.hold(f"{incoming.channel}:{incoming.chat_id}"):
            try:
                return await self._handle(incoming, lang)
            except Exception:
                log.exception(
                    "chat turn failed (channel=%s message=%s)",
                    incoming.channel,
                    incoming.message_id,
                )
                return ChatTurn(
                    [
                        Reply(
                            text=t(lang[0], "error_generic"),
                            buttons=[button(t(lang[0], "btn_menu"), P.MENU)],
                        )
                    ],
                    mode=None,
                )

    async def _handle(self, incoming: Incoming, lang_out: list[Lang]) -> ChatTurn:
        text = (incoming.text or "").strip()
        payload = (incoming.payload or "").strip() or None
        command = text.lower().replace(" ", "")
        if payload is None and command in _LANG_COMMANDS:
            payload = P.lang(_LANG_COMMANDS[command])
        elif payload is None and command in _START_COMMANDS:
            payload = "start" if command == "/start" else P.MENU

        received = await self._receive(incoming)
        if received.duplicate or received.mode == "human":
            return ChatTurn([], mode=received.mode)
        state = FlowState.load(received.flow_state)
        lang = self._language(incoming, received, state, text if payload is None else "")
        lang_out[0] = lang
        actor = Actor.customer(received.customer_id)
        fctx = FlowContext(
            shop=ShopTools(self.runner, actor, surface=f"chat:{incoming.channel}"),
            lang=lang,
            conversation_id=received.conversation_id,
            channel=incoming.channel,
            shop_name=self.shop_name,
        )
        fallback_notified = received.fallback_notified
        notice: list[Reply] = []
        handoff_reason = ""

        outcome: Outcome | None = None
        turn: AgentTurn | None = None
        if payload is not None and not payload.startswith(AGENT_PAYLOAD_PREFIX):
            outcome = await self._offline(fctx, state, payload=payload)
        else:
            words = text or (payload or "")
            if state.step != "idle" and payload is None:
                outcome = await self._answer(fctx, state, words)
            if outcome is None:
                if self._llm_ready():
                    turn = await self._ask_llm(fctx, received, actor, words)
                    if turn is None and not fallback_notified:
                        notice = [Reply(text=t(lang, "fallback_notice"))]
                        fallback_notified = True
                if turn is None:
                    outcome = await self._offline(
                        fctx,
                        state.reset_step() if payload else state,
                        text=None if payload else words,
                        payload=payload,
                    )
        memory = received.agent_memory
        if turn is not None:
            replies, handoff = turn.replies, turn.handoff
            handoff_reason = "assistant"
            if turn.memory is not None:
                memory = turn.memory
        else:
            assert outcome is not None
            replies, handoff = outcome.replies, outcome.handoff
            state = outcome.state
            if outcome.language is not None:
                lang = outcome.language
                lang_out[0] = lang
            handoff_reason = "customer asked"
        replies = notice + replies
        if handoff:
            await self.request_handoff(received.conversation_id, reason=handoff_reason, actor=actor)
        mode = await self._save(
            received.conversation_id, state, memory, lang, fallback_notified, replies
        )
        return ChatTurn(replies, mode=mode)

    # --- routing helpers --------------------------------------------------------------------

    def _llm_ready(self) -> bool:
        """Configured and not known to be down (the responder's own breaker decides the rest
        by raising AgentUnavailable quickly)."""
        return self.responder is not None and bool(getattr(self.responder, "available", True))

    async def _ask_llm(
        self, fctx: FlowContext, received: Received, actor: Actor, text: str
    ) -> AgentTurn | None:
        assert self.responder is not None
        ctx = TurnContext(
            conversation_id=received.conversation_id,
            customer_id=received.customer_id,
            actor=actor,
            channel=received.channel,  # type: ignore[arg-type]
            language=fctx.lang,
            history=received.history,
            summary=received.summary,
            memory=received.agent_memory,
        )
        try:
            turn = await self.responder.respond(ctx, text)
        except AgentUnavailable as exc:
            log.info(
                "conversation %s: LLM unavailable (%s), offline flow answers",
                received.conversation_id,
                exc,
            )
            return None
        except Exception:
            log.exception("conversation %s: LLM responder failed", received.conversation_id)
            return None
        if not turn.replies and not turn.handoff:
            return None
        return turn

    async def _offline(
        self,
        fctx: FlowContext,
        state: FlowState,
        *,
        text: str | None = None,
        payload: str | None = None,
    ) -> Outcome:
        try:
            return await self.flow.handle(fctx, state, text=text, payload=payload)
        except DomainError as err:
            return self._refusal(fctx, state, err)

    async def _answer(self, fctx: FlowContext, state: FlowState, text: str) -> Outcome | None:
        try:
            return await self.flow.answer(fctx, state, text)
        except DomainError as err:
            return self._refusal(fctx, state, err)

    @staticmethod
    def _refusal(fctx: FlowContext, state: FlowState, err: DomainError) -> Outcome:
        log.info("offline flow refused: %s %s", err.code, err.message)
        state = state.reset_step()  # the question is dropped: the next text is read afresh
        return Outcome(
            state,
            [
                Reply(
                    text=error_text(fctx.lang, err.code, type(err).__name__),
                    buttons=menu_buttons(fctx.lang, state),
                )
            ],
        )

    def _guess(self, text: str | None) -> Lang | None:
        return detect_language(text or "")

    def _language(
        self, incoming: Incoming, received: Received, state: FlowState, text: str
    ) -> Lang:
        """The channel's hint, else a choice the customer made, else a confident guess from
        the text, else what the conversation used so far (the shop's default at first). No
        guess from an answer to a checkout question: a Vietnamese name or address says
        nothing about the language the customer reads."""
        if incoming.language:
            return incoming.language
        if not state.lang_locked and text and not state.expects_text:
            guessed = detect_language(text)
            if guessed:
                return guessed
        return received.language

    # --- handoff ----------------------------------------------------------------------------

    async def request_handoff(
        self, conversation_id: int, *, reason: str = "", actor: Actor | None = None
    ) -> None:
        """Staff take over this chat (the bot stays silent until ``hand_back``)."""
        await self.runner.call(
            "request_handoff",
            {"conversation_id": conversation_id, "reason": reason[:500]},
            actor or Actor.system(),
            surface="chat",
        )

    async def hand_back(self, conversation_id: int, *, actor: Actor | None = None) -> None:
        """The bot answers this chat again."""
        await self.runner.call(
            "hand_back_conversation",
            {"conversation_id": conversation_id},
            actor or Actor.system(),
            surface="chat",
        )

    # --- storage (this feature's own tables) --------------------------------------------------

    async def _receive(self, incoming: Incoming) -> Received:
        async with self.db.transaction() as tx:
            ctx = ToolContext(tx=tx, actor=Actor.system(), config=self.runner.config)
            customer_id = await customer_for_identity(
                ctx, incoming.channel, incoming.chat_id, incoming.display_name
            )
            first_language = (
                incoming.language or self._guess(incoming.text) or self.default_language
            )
            sql = await ctx.sql()  # after the identity's ORM work is flushed
            conv = await self._conversation(sql, tx, incoming, customer_id, first_language)
            message_payload: dict[str, Any] = (
                {"button": incoming.payload} if incoming.payload else {}
            )
            message_id = await self._insert_customer_message(
                sql, tx, conv.id, incoming.text or "", message_payload, incoming.message_id
            )
            if message_id is None:
                log.info(
                    "duplicate delivery %s on conversation %s ignored", incoming.message_id, conv.id
                )
                return Received.of(conv, history=[], duplicate=True)
            if conv.mode == "human":
                ctx.emit(
                    "chat.message_for_staff",
                    f"conversation:{conv.id}",
                    {
                        "conversation_id": conv.id,
                        "customer_id": conv.customer_id,
                        "channel": conv.channel,
                        "chat_id": conv.chat_id,
                        "message_id": message_id,
                        "text": (incoming.text or "")[:4000],
                        "payload": incoming.payload,
                    },
                )
                await flush_events(ctx)
            history: list[tuple[str, str]] = []
            if self.responder is not None and conv.mode == "bot":
                rows = await sql.fetch(
                    HISTORY,
                    {"conv": conv.id, "before": message_id, "window": self.history_window},
                )
                history = [(role, text) for _, role, text in reversed(rows)]
                if len(rows) == self.history_window:
                    await self._summarise_older(sql, conv, oldest_kept=rows[-1][0])
            return Received.of(conv, history=history)

    async def _summarise_older(self, sql: FastExecutor, conv: ConvRow, *, oldest_kept: int) -> None:
        """Turns that left the window are folded into the conversation's running summary, once
        each (summarized_upto_id), so the agent keeps their gist in a bounded prompt."""
        left = await sql.fetch(
            LEFT_WINDOW,
            {"conv": conv.id, "after": conv.summarized_upto_id, "before": oldest_kept},
        )
        if left:
            conv.summary = extend_summary(conv.summary, [(r, t) for _, r, t in left])
            conv.summarized_upto_id = int(left[-1][0])
            await sql.execute(
                SET_SUMMARY,
                {"conv": conv.id, "summary": conv.summary, "upto": conv.summarized_upto_id},
            )

    async def _conversation(
        self, sql: FastExecutor, tx: Tx, incoming: Incoming, customer_id: int, language: Lang
    ) -> ConvRow:
        """Finds or creates the conversation, pointing it at the identity's customer (who may
        have been merged into another) and marking it the latest: request_handoff picks the
        latest when none is named. A first-message race ends with one row."""
        touch = {
            "channel": incoming.channel,
            "chat": incoming.chat_id,
            "cust": customer_id,
            "at": tx.now,
        }
        rows = await sql.fetch(TOUCH_CONVERSATION, touch)
        if not rows:
            await sql.execute(
                INSERT_CONVERSATION[tx.dialect],
                {**touch, "lang": language, "state": {}, "memory": {}},
            )
            rows = await sql.fetch(TOUCH_CONVERSATION, touch)
        return ConvRow.from_row(rows[0])

    async def _insert_customer_message(
        self,
        sql: FastExecutor,
        tx: Tx,
        conversation_id: int,
        text: str,
        payload: dict[str, Any],
        external_id: str | None,
    ) -> int | None:
        """The new row's id, or None when this external id was stored before (a retry)."""
        rows = await sql.fetch(
            INSERT_CUSTOMER_MESSAGE[tx.dialect],
            {
                "conv": conversation_id,
                "text": text[:4000],
                "payload": payload,
                "ext": external_id,
                "at": tx.now,
            },
        )
        return int(rows[0][0]) if rows else None

    async def _save(
        self,
        conversation_id: int,
        state: FlowState,
        memory: dict[str, Any],
        lang: Lang,
        fallback_notified: bool,
        replies: list[Reply],
    ) -> str:
        """Only the columns this turn owns: a handoff done meanwhile (mode) is not undone.
        Returns the conversation's mode after the turn (a handoff in this turn shows here)."""
        async with self.db.transaction() as tx:
            mode = await tx.fast.fetch(
                SAVE_STATE,
                {
                    "conv": conversation_id,
                    "state": state.dump(),
                    "memory": memory,
                    "lang": lang,
                    "notified": fallback_notified,
                    "at": tx.now,
                },
            )
            await tx.fast.execute_many(
                INSERT_REPLY,
                [
                    {
                        "conv": conversation_id,
                        "text": r.text,
                        "payload": _reply_payload(r),
                        "at": tx.now,
                    }
                    for r in replies
                ],
            )
            return str(mode[0][0]) if mode else "bot"

    async def mode(self, channel: str, chat_id: str) -> str:
        """bot or human ("bot" for a chat never seen)."""
        async with self.db.transaction(write=False) as tx:
            found = await tx.session.scalar(
                select(Conversation.mode).where(
                    Conversation.channel == channel, Conversation.chat_id == chat_id
                )
            )
            return str(found or "bot")

    async def transcript(
        self,
        channel: Literal["web", "telegram", "messenger", "zalo"],
        chat_id: str,
        *,
        after_id: int = 0,
        limit: int = 50,
    ) -> Transcript:
        """The latest messages of a chat (for a web page reloading, or polling for staff
        answers while handed off). An unknown chat is an empty transcript."""
        async with self.db.transaction(write=False) as tx:
            conv = (
                await tx.session.execute(
                    select(Conversation).where(
                        Conversation.channel == channel, Conversation.chat_id == chat_id
                    )
                )
            ).scalar_one_or_none()
            if conv is None:
                return Transcript(mode="bot", language=self.default_language, messages=[])
            rows = (
                (
                    await tx.session.execute(
                        select(ChatMessage)
                        .where(ChatMessage.conversation_id == conv.id, ChatMessage.id > after_id)
                        .order_by(ChatMessage.id.desc())
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            messages = [
                TranscriptMessage(
                    id=m.id,
                    role=m.role,
                    text=m.text,
                    buttons=list((m.payload or {}).get("buttons", []))
                    if m.role != "customer"
                    else [],
                    cards=list((m.payload or {}).get("cards", [])) if m.role != "customer" else [],
                    qr=(m.payload or {}).get("qr") if m.role != "customer" else None,
                )
                for m in reversed(rows)
            ]
            return Transcript(
                mode=conv.mode,
                language="en" if conv.language == "en" else "vi",
                messages=messages,
            )


def _json_object(value: Any) -> dict[str, Any]:
    """A JSON object column as a dict: SQLite hands JSON back as text."""
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else {}


def _reply_payload(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reply.buttons:
        out["buttons"] = [b.model_dump() for b in reply.buttons]
    if reply.cards:
        out["cards"] = [c.model_dump() for c in reply.cards]
    if reply.qr:
        out["qr"] = reply.qr
    return out
