"""What the shop does with an event before the conversation service reads it.

* A phone the platform vouches for (Telegram's contact button sends the sender's own number)
  joins this platform account to the customer who already has that phone, through the
  customer tools (``merge_customers``), so their orders and saved details follow them here. A
  phone nobody has yet is added to this account's customer. A typed phone is not linked: anyone
  can type anyone's number, and a merge would hand them that customer's orders and addresses
  (the rule for typed phones is being settled with the newcomer work; docs/channels.md).
* ``/start CODE`` (a deep link from an ad or a post) opens that product's card.
"""

from __future__ import annotations

import logging

from agents.offline import payloads as P
from agents.types import Incoming
from core.errors import DomainError
from core.phone import normalise_phone
from core.roles import Actor
from tools.context import ToolContext
from tools.customers import customer_for_identity
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.channels")

SURFACE = "channels"


class Preparer:
    def __init__(self, runner: ToolRunner) -> None:
        self.runner = runner

    async def __call__(self, incoming: Incoming) -> Incoming:
        phone = shared_phone(incoming)
        if phone is not None:
            await self.link_phone(incoming, phone)
        return await self.deep_link(incoming)

    async def deep_link(self, incoming: Incoming) -> Incoming:
        text = (incoming.text or "").strip()
        if incoming.payload is not None or not text.startswith("/start "):
            return incoming
        code = text.removeprefix("/start ").strip()[:64]
        try:
            found = await self.runner.call(
                "get_product", {"code": code}, Actor.system(), surface=SURFACE
            )
        except DomainError:
            return incoming.model_copy(update={"text": "/start"})
        product_id = int(found.model_dump()["id"])
        return incoming.model_copy(update={"text": None, "payload": P.product(product_id)})

    async def link_phone(self, incoming: Incoming, phone: str) -> None:
        """Joins this account's customer to the one with ``phone`` (the older record stays),
        or gives it the phone when nobody has it. Refusals are logged, never shown."""
        system = Actor.system()
        async with self.runner.db.transaction() as tx:
            ctx = ToolContext(tx=tx, actor=system, config=self.runner.config)
            mine = await customer_for_identity(
                ctx, incoming.channel, incoming.chat_id, incoming.display_name
            )
        try:
            found = await self.runner.call(
                "find_customers", {"query": phone, "limit": 5}, system, surface=SURFACE
            )
            owners = [
                int(c["id"])
                for c in found.model_dump()["customers"]
                if phone in c.get("phones", [])
            ]
            if not owners:
                await self.runner.call(
                    "update_customer",
                    {"customer_id": mine, "add_phones": [phone]},
                    system,
                    surface=SURFACE,
                )
            elif mine not in owners:
                await self.runner.call(
                    "merge_customers",
                    {"source_id": mine, "target_id": owners[0]},
                    system,
                    surface=SURFACE,
                )
        except DomainError as err:
            log.info("phone link for %s refused: %s", incoming.channel, err.code)


def shared_phone(incoming: Incoming) -> str | None:
    """The E.164 phone the platform says is the sender's own, if one was shared."""
    for att in incoming.attachments:
        if att.kind == "contact" and att.phone and att.verified:
            return _phone(att.phone)
    return None


def _phone(raw: str) -> str | None:
    try:
        return normalise_phone(raw)
    except DomainError:
        return None
