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
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from agents.cards import ask_again, parse_card_payload
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
from core.cards import Decision
from core.channels import ChatChannel
from core.consent import Verdict, read_reply
from core.errors import DomainError
from core.roles import Actor
from storage import chat as store
from storage.chat import ConvRow, MessageRow
from storage.database import Database, Tx
from storage.pending import open_card
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
    card_token: str | None = None
    message_id: int | None = None  # the stored customer message (replies point at it)
    duplicate: bool = False  # this delivery was stored before: nothing more to do
    earlier: list[Reply] = dataclasses.field(default_factory=list)  # what it was answered

    @classmethod
    def of(
        cls,
        conv: ConvRow,
        *,
        history: list[tuple[str, str]],
        message_id: int | None = None,
        duplicate: bool = False,
        earlier: list[Reply] | None = None,
    ) -> Received:
        assert conv.customer_id is not None  # set by touch_conversation
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
            card_token=conv.card_token,
            message_id=message_id,
            duplicate=duplicate,
            earlier=earlier or [],
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
    card: dict[str, Any] | None = None


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
        """Replies to one inbound message; [] for handed-off chats. A repeated delivery gets
        the replies the first one got."""
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
        if received.duplicate:
            return ChatTurn(received.earlier, mode=received.mode)
        if received.mode == "human":
            return ChatTurn([], mode=received.mode)
        state = FlowState.load(received.flow_state)
        lang = self._language(incoming, received, state, text if payload is None else "")
        lang_out[0] = lang
        actor = Actor.customer(received.customer_id)
        surface = f"chat:{incoming.channel}"
        fctx = FlowContext(
            shop=ShopTools(
                self.runner, actor, surface=surface, conversation_id=received.conversation_id
            ),
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
        decision = self._card_decision(received, text, payload)
        if decision is not None:
            outcome = await self._decide(fctx, state, *decision)
        elif payload is not None and not payload.startswith(AGENT_PAYLOAD_PREFIX):
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
        if decision is None and payload is None and not handoff:
            replies += await self._card_still_open(received, replies, lang)
        if handoff:
            await self.request_handoff(received.conversation_id, reason=handoff_reason, actor=actor)
        mode = await self._save(received, state, memory, lang, fallback_notified, replies)
        return ChatTurn(replies, mode=mode)

    # --- confirmation cards -----------------------------------------------------------------

    @staticmethod
    def _card_decision(
        received: Received, text: str, payload: str | None
    ) -> tuple[str, Decision] | None:
        """A pressed card button, or a typed answer to the card the latest reply ended with
        that the consent module reads as a clear yes or no. Anything unsure goes on to the
        flows, which ask again with the card's buttons or answer the question."""
        if payload is not None:
            return parse_card_payload(payload)
        if not received.card_token or not text:
            return None
        reading = read_reply(text)
        if reading.verdict is Verdict.YES:
            return received.card_token, Decision.CONFIRM
        if reading.verdict is Verdict.NO:
            return received.card_token, Decision.CANCEL
        return None

    async def _card_still_open(
        self, received: Received, replies: list[Reply], lang: Lang
    ) -> list[Reply]:
        """A typed message that was neither a clear yes nor a clear no to the open card was
        answered as a message; unless that answer brought a new card, the open one is asked
        about again with its buttons, so the question stays open and a later "ok" still means
        that card (and nothing was done on an unsure reading)."""
        if not received.card_token or _open_card(replies) is not None:
            return []
        async with self.db.transaction(write=False) as tx:
            card = await open_card(tx, received.card_token)
        return [ask_again(card, lang)] if card is not None else []

    async def _decide(
        self, fctx: FlowContext, state: FlowState, token: str, decision: Decision
    ) -> Outcome:
        """Runs (or closes) the card's action as this customer, exactly once, and lets the
        button flow say what happened (it knows its own cards; LLM cards read the same)."""
        try:
            decided = await self.runner.decide(
                token,
                fctx.shop.actor,
                decision,
                conversation_id=fctx.conversation_id,
                surface=fctx.shop.surface,
            )
        except DomainError as err:
            return self._refusal(fctx, state, err)
        try:
            return await self.flow.on_card(fctx, state, decided, decision)
        except DomainError as err:
            return self._refusal(fctx, state, err)

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

    # --- storage (this feature's own tables, through storage.chat) ---------------------------

    async def _receive(self, incoming: Incoming) -> Received:
        async with self.db.transaction() as tx:
            ctx = ToolContext(tx=tx, actor=Actor.system(), config=self.runner.config)
            customer_id = await customer_for_identity(
                ctx, incoming.channel, incoming.chat_id, incoming.display_name
            )
            first_language = (
                incoming.language or self._guess(incoming.text) or self.default_language
            )
            conv = await store.touch_conversation_of_new_identity(
                tx, incoming.channel, incoming.chat_id, customer_id, first_language
            )
            message_payload: dict[str, Any] = (
                {"button": incoming.payload} if incoming.payload else {}
            )
            message_id = await store.add_customer_message(
                tx, conv.id, incoming.text or "", message_payload, incoming.message_id
            )
            if message_id is None:
                assert incoming.message_id is not None
                log.info(
                    "duplicate delivery %s on conversation %s: its replies again",
                    incoming.message_id,
                    conv.id,
                )
                earlier = await store.replies_to_external(tx, conv.id, incoming.message_id)
                return Received.of(
                    conv, history=[], duplicate=True, earlier=[_reply_of(m) for m in earlier]
                )
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
                rows = await store.recent_messages(
                    tx, conv.id, before_id=message_id, window=self.history_window
                )
                history = [(role, text) for _, role, text in reversed(rows)]
                if len(rows) == self.history_window:
                    await self._summarise_older(tx, conv, oldest_kept=rows[-1][0])
            return Received.of(conv, history=history, message_id=message_id)

    async def _summarise_older(self, tx: Tx, conv: ConvRow, *, oldest_kept: int) -> None:
        """Turns that left the window are folded into the conversation's running summary, once
        each (summarized_upto_id), so the agent keeps their gist in a bounded prompt."""
        left = await store.messages_between(
            tx, conv.id, after_id=conv.summarized_upto_id, before_id=oldest_kept
        )
        if left:
            conv.summary = extend_summary(conv.summary, [(r, t) for _, r, t in left])
            conv.summarized_upto_id = int(left[-1][0])
            await store.set_summary(tx, conv.id, conv.summary, conv.summarized_upto_id)

    async def _save(
        self,
        received: Received,
        state: FlowState,
        memory: dict[str, Any],
        lang: Lang,
        fallback_notified: bool,
        replies: list[Reply],
    ) -> str:
        """Only the columns this turn owns: a handoff done meanwhile (mode) is not undone.
        Returns the conversation's mode after the turn (a handoff in this turn shows here)."""
        async with self.db.transaction() as tx:
            return await store.save_turn(
                tx,
                received.conversation_id,
                flow_state=state.dump(),
                agent_memory=memory,
                language=lang,
                fallback_notified=fallback_notified,
                card_token=_open_card(replies),
                replies=[(r.text, _reply_payload(r)) for r in replies],
                reply_to_id=received.message_id,
            )

    async def mode(self, channel: str, chat_id: str) -> str:
        """bot or human ("bot" for a chat never seen)."""
        async with self.db.transaction(write=False) as tx:
            return await store.conversation_mode(tx, channel, chat_id)

    async def transcript(
        self,
        channel: ChatChannel,
        chat_id: str,
        *,
        after_id: int = 0,
        limit: int = 50,
    ) -> Transcript:
        """The latest messages of a chat (for a web page reloading, or polling for staff
        answers while handed off). An unknown chat is an empty transcript."""
        async with self.db.transaction(write=False) as tx:
            conv = await store.find_conversation(tx, channel, chat_id)
            if conv is None:
                return Transcript(mode="bot", language=self.default_language, messages=[])
            rows = await store.latest_messages(tx, conv.id, after_id=after_id, limit=limit)
        return Transcript(
            mode=conv.mode,
            language="en" if conv.language == "en" else "vi",
            messages=[_transcript_message(m) for m in rows],
        )


def _open_card(replies: list[Reply]) -> str | None:
    """The card a typed yes or no would answer: the last reply's, when it shows a card or
    asks again with a card's buttons; None otherwise (the question is no longer open)."""
    if not replies:
        return None
    last = replies[-1]
    if last.card is not None:
        return last.card.token
    for b in last.buttons:
        found = parse_card_payload(b.payload)
        if found is not None:
            return found[0]
    return None


def _reply_payload(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reply.buttons:
        out["buttons"] = [b.model_dump() for b in reply.buttons]
    if reply.cards:
        out["cards"] = [c.model_dump() for c in reply.cards]
    if reply.qr:
        out["qr"] = reply.qr
    if reply.card is not None:
        out["card"] = reply.card.model_dump(mode="json")
    return out


def _reply_of(m: MessageRow) -> Reply:
    """A stored reply as it was sent (a retried delivery gets it again)."""
    p = m.payload
    return Reply.model_validate(
        {
            "text": m.text,
            "buttons": p.get("buttons", []),
            "cards": p.get("cards", []),
            "qr": p.get("qr"),
            "card": p.get("card"),
        }
    )


def _transcript_message(m: MessageRow) -> TranscriptMessage:
    shop = m.role != "customer"
    p = m.payload
    return TranscriptMessage(
        id=m.id,
        role=m.role,
        text=m.text,
        buttons=list(p.get("buttons", [])) if shop else [],
        cards=list(p.get("cards", [])) if shop else [],
        qr=p.get("qr") if shop else None,
        card=p.get("card") if shop else None,
    )
