"""Who to tell about an order, and where: the chat the order came from, in its language."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from storage.database import Database
from storage.models import Conversation, Customer, Order


@dataclasses.dataclass(frozen=True)
class Recipient:
    order_id: int
    number: str
    channel: str
    chat_id: str
    language: str


async def order_recipient(db: Database, order_id: int) -> Recipient | None:
    """The customer's latest conversation on the order's channel; None when the order did
    not come from a chat (staff typed it in, a marketplace sent it) or the chat is unknown."""
    async with db.transaction(write=False) as tx:
        order = await tx.session.get(Order, order_id)
        if order is None or order.customer_id is None:
            return None
        customer_ids = [order.customer_id]
        # Merged customers: the order may point at the survivor while the chat still names
        # the merged record, or the other way round.
        merged = await tx.session.scalars(
            select(Customer.id).where(Customer.merged_into_id == order.customer_id)
        )
        customer_ids.extend(merged)
        conv = (
            await tx.session.execute(
                select(Conversation)
                .where(
                    Conversation.channel == order.channel,
                    Conversation.customer_id.in_(customer_ids),
                )
                .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if conv is None:
            return None
        return Recipient(
            order_id=order.id,
            number=order.number,
            channel=conv.channel,
            chat_id=conv.chat_id,
            language="en" if conv.language == "en" else "vi",
        )
