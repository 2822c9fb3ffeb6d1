"""Confirmation cards: what a person is asked to agree to before an action runs.

A card is data, built by code from a pending action's exact arguments (never from what a model
wrote), and rendered by each channel in its own widgets: the web chat as a card, Telegram as a
message with an inline keyboard, Messenger as a template. The person's yes to the card, and
only that, runs the action, exactly once, with exactly those arguments (tools/pending.py).

Amounts are integers in đồng; field values are plain text already (names, phones, addresses),
so a renderer only adds labels and money formatting in the reader's language.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class CardKind(StrEnum):
    PLACE_ORDER = "place_order"
    CANCEL_ORDER = "cancel_order"
    GENERIC = "generic"  # any other confirmable tool: its arguments as labelled fields


class Decision(StrEnum):
    """What a person may answer to a card (also the button payloads' last part)."""

    CONFIRM = "y"
    CHANGE = "e"
    CANCEL = "n"


class CardLine(BaseModel):
    name: str  # product name with the variant's options, e.g. "Áo thun (Đen / M)"
    sku: str = ""
    quantity: int
    unit_price: int
    vat_rate: int = 0  # percent
    vat_amount: int = 0
    line_total: int


class CardTotals(BaseModel):
    subtotal: int
    discount: int = 0
    vat_total: int = 0
    shipping_fee: int = 0
    total: int
    cod_amount: int = 0  # what the carrier collects on delivery (0: nothing)
    prices_include_vat: bool = True


class CardField(BaseModel):
    """One labelled value. ``key`` is stable (renderers label it: buyer_name, buyer_phone,
    address, payment_method, note, order, status, reason, or a tool argument's name);
    ``customer_written`` marks text a customer typed, shown as theirs (the order note)."""

    key: str
    value: str
    customer_written: bool = False


class ConfirmationCard(BaseModel):
    token: str = Field(description="The pending action this card confirms (button payloads)")
    tool: str
    kind: CardKind
    title: str = Field(default="", description="For generic cards: what the action does")
    lines: list[CardLine] = []
    totals: CardTotals | None = None
    fields: list[CardField] = []
    expires_at: datetime

    def amounts(self) -> set[int]:
        """Every amount the card states (a model's text may repeat these, and no others)."""
        out: set[int] = set()
        for ln in self.lines:
            out.update((ln.unit_price, ln.vat_amount, ln.line_total))
        if self.totals is not None:
            t = self.totals
            out.update((t.subtotal, t.discount, t.vat_total, t.shipping_fee, t.total, t.cod_amount))
        out.discard(0)
        return out
