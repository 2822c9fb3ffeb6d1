"""Typed button payloads: ``act:ref[:arg]`` within Telegram's 64 bytes, parsed strictly.

Each action names the registry tool it runs (``TOOL_OF``), so whether a viewer sees a button
is decided by the same roles that decide whether the call is allowed.
"""

from __future__ import annotations

import dataclasses
import re
from enum import StrEnum

from core.errors import InvalidInput
from core.order_status import OrderStatus

MAX_PAYLOAD = 64  # Telegram's callback_data limit, in bytes


class Act(StrEnum):
    CONFIRM = "oc"
    CANCEL = "ox"
    STATUS = "os"  # arg: the target status
    EDIT = "oe"  # opens the surface's edit form (buyer, phone, address, note)
    SHIP = "sh"
    INVOICE = "iv"
    REFUND = "rf"
    DRAFT_PO = "po"
    TAKE = "ht"  # ref: handoff id
    HAND_BACK = "hb"  # ref: conversation id


TOOL_OF: dict[Act, str] = {
    Act.CONFIRM: "confirm_order",
    Act.CANCEL: "cancel_order",
    Act.STATUS: "set_order_status",
    Act.EDIT: "update_order",
    Act.SHIP: "book_shipment",
    Act.INVOICE: "issue_invoice",
    Act.REFUND: "refund_payment",
    Act.DRAFT_PO: "create_purchase_order",
    Act.TAKE: "take_handoff",
    Act.HAND_BACK: "hand_back_conversation",
}

_SHAPE = re.compile(r"^([a-z]{2}):([0-9]{1,18})(?::([a-z_]{1,20}))?$")


@dataclasses.dataclass(frozen=True, slots=True)
class Press:
    act: Act
    ref: int
    status: OrderStatus | None = None

    def encode(self) -> str:
        out = f"{self.act.value}:{self.ref}" + (f":{self.status.value}" if self.status else "")
        assert len(out.encode()) <= MAX_PAYLOAD
        return out

    @property
    def tool(self) -> str:
        return TOOL_OF[self.act]


def decode(payload: str) -> Press:
    """The press a payload stands for; anything else is refused (a forged or stale button)."""
    bad = InvalidInput("That button is not valid.", field="payload", code="bad_payload")
    found = _SHAPE.match(payload or "")
    if found is None:
        raise bad
    act_text, ref_text, arg = found.groups()
    try:
        act = Act(act_text)
        status = OrderStatus(arg) if arg else None
    except ValueError:
        raise bad from None
    if (act is Act.STATUS) != (status is not None):
        raise bad
    return Press(act, int(ref_text), status)
