"""Chat handoff: a customer asks for a person, staff answer, then hand the chat back to the bot.

While a conversation is in "human" mode the bot stays silent and every customer message is
forwarded to staff (outbox ``chat.message_for_staff``, written by the conversation service).
These are tools so the LLM agent can hand over too, with the same checks and audit.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.errors import InvalidInput, NotFound
from storage import conversations as stored
from storage.models import Conversation
from tools.context import ToolContext
from tools.registry import CUSTOMER, SALES, tool


class RequestHandoffIn(BaseModel):
    conversation_id: int | None = Field(
        default=None,
        gt=0,
        description="The chat to hand over. Customers may leave it out: their latest chat.",
    )
    reason: str = Field(default="", max_length=500, description="Why, in a few words")


class HandBackIn(BaseModel):
    conversation_id: int = Field(gt=0)
    note: str = Field(default="", max_length=500)


class ConversationOut(BaseModel):
    id: int
    channel: str
    chat_id: str
    customer_id: int | None
    mode: str = Field(description="bot: the assistant answers; human: staff answer")
    language: str


def _out(c: Conversation) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        channel=c.channel,
        chat_id=c.chat_id,
        customer_id=c.customer_id,
        mode=c.mode,
        language=c.language,
    )


async def _conversation(ctx: ToolContext, conversation_id: int | None) -> Conversation:
    """A customer reaches only their own conversations; others look the same as missing ones."""
    if conversation_id is None:
        own = ctx.customer_id()
        if own is None:
            raise InvalidInput("Give conversation_id.", field="conversation_id")
        found = await stored.latest_of_customer(ctx.tx, own)
    else:
        found = await stored.lock_conversation(ctx.tx, conversation_id)
        if found is not None and ctx.actor.is_customer and found.customer_id != ctx.customer_id():
            found = None
    if found is None:
        raise NotFound(
            "That conversation was not found.",
            field="conversation_id",
            code="unknown_conversation",
        )
    return found


@tool(
    name="request_handoff",
    description="""Hand the chat over to a person: the assistant stops answering and staff are
    told, with the customer's last message. Use when the customer asks for a human, is upset,
    or needs something no tool can do. Then tell the customer staff will answer here.""",
    roles=CUSTOMER | SALES,
)
async def request_handoff(ctx: ToolContext, inp: RequestHandoffIn) -> ConversationOut:
    conv = await _conversation(ctx, inp.conversation_id)
    if conv.mode == "human":
        return _out(conv)  # already with staff: no second alert
    last = await stored.last_customer_message(ctx.tx, conv.id)
    conv.mode = "human"
    conv.updated_at = ctx.now
    handoff = await stored.open_handoff(ctx.tx, conv.id, inp.reason, ctx.now)
    ctx.emit(
        "handoff.requested",
        f"conversation:{conv.id}",
        {
            "conversation_id": conv.id,
            "handoff_id": handoff.id,
            "customer_id": conv.customer_id,
            "channel": conv.channel,
            "chat_id": conv.chat_id,
            "language": conv.language,
            "reason": inp.reason,
            "last_message": (last or "")[:1000],
            "requested_by": ctx.actor.label,
        },
    )
    return _out(conv)


@tool(
    name="hand_back_conversation",
    description="""Give a handed-off chat back to the assistant once staff are done: the bot
    answers the customer's next messages again.""",
    roles=SALES,
)
async def hand_back_conversation(ctx: ToolContext, inp: HandBackIn) -> ConversationOut:
    conv = await _conversation(ctx, inp.conversation_id)
    if conv.mode == "bot":
        return _out(conv)
    conv.mode = "bot"
    conv.updated_at = ctx.now
    await stored.end_handoffs(ctx.tx, conv.id, ctx.now)
    await ctx.tx.flush()
    ctx.emit(
        "handoff.ended",
        f"conversation:{conv.id}",
        {
            "conversation_id": conv.id,
            "customer_id": conv.customer_id,
            "note": inp.note,
            "by": ctx.actor.label,
        },
    )
    return _out(conv)
