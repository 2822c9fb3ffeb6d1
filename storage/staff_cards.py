"""Which Telegram message shows which order in a staff chat, and who gets staff notices.

The staff bot's send log (``channel_sends``) already records every card it sent or edited
under a key ``card:<order id>:<chat>:...`` with the platform's message id, so "the message
that shows order 7 in chat 42" is the newest such row that went out; no second table to keep
in step with it.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from storage.database import Database
from storage.models import ChannelSend, StaffIdentity, StaffMember

TELEGRAM = "telegram"


def card_prefix(order_id: int, chat_id: str) -> str:
    return f"card:{order_id}:{chat_id}:"


async def card_message_id(db: Database, channel: str, order_id: int, chat_id: str) -> int | None:
    """The message that shows this order's card in this chat, or None (never shown)."""
    prefix = card_prefix(order_id, chat_id)
    async with db.transaction(write=False) as tx:
        found = await tx.session.scalar(
            select(ChannelSend.platform_message_id)
            .where(
                ChannelSend.channel == channel,
                ChannelSend.chat_id == chat_id,
                ChannelSend.idempotency_key.startswith(prefix, autoescape=True),
                ChannelSend.state == "sent",
                ChannelSend.platform_message_id.is_not(None),
            )
            .order_by(ChannelSend.id.desc())
            .limit(1)
        )
    return int(found) if found else None


@dataclasses.dataclass(frozen=True)
class LinkedStaff:
    staff_id: int
    name: str
    role: str
    telegram_user_id: str


async def linked_telegram_staff(db: Database) -> list[LinkedStaff]:
    """Active staff with a linked Telegram account (their private chat has the user's id)."""
    async with db.transaction(write=False) as tx:
        rows = (
            await tx.session.execute(
                select(
                    StaffMember.id, StaffMember.name, StaffMember.role, StaffIdentity.external_id
                )
                .join(StaffIdentity, StaffIdentity.staff_id == StaffMember.id)
                .where(StaffIdentity.kind == TELEGRAM, StaffMember.active.is_(True))
                .order_by(StaffMember.id)
            )
        ).all()
    return [LinkedStaff(r[0], r[1], r[2], str(r[3])) for r in rows]
