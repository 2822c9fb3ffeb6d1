"""Returns and refunds: how much may still be returned, what a refund is worth, its limit.

* A line can be returned up to what was shipped minus what earlier returns already claim: an
  open (requested) return claims its requested quantity, a received one what actually came
  back (good + damaged), a cancelled one nothing.
* The default refund for a return is, per returned line, the line's paid amount (its
  line_total, VAT included, after discount) times the units that came back over the units
  ordered, rounded half-up to the đồng on each line. Shipping is not refunded by default.
* The refunds of an order together never exceed what the buyer paid for it: ``paid_amount``,
  or the order total when no payment was recorded (a delivered COD parcel was paid to the
  courier).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.costing import prorate
from core.money import round_half_up_div

REQUESTED = "requested"
RECEIVED = "received"
CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Claim:
    """One return line as it weighs on an order line."""

    status: str  # of its return
    quantity: int  # requested
    good: int
    damaged: int

    @property
    def claimed(self) -> int:
        if self.status == CANCELLED:
            return 0
        if self.status == RECEIVED:
            return self.good + self.damaged
        return self.quantity


def returnable(shipped: int, claims: Iterable[Claim]) -> int:
    return max(0, shipped - sum(c.claimed for c in claims))


def line_refund(line_total: int, quantity: int, returned: int) -> int:
    """The paid amount of ``returned`` of a line's ``quantity`` units."""
    return prorate(line_total, quantity, returned) if returned > 0 else 0


def refund_base(order_total: int, paid_amount: int) -> int:
    """What the buyer paid: the recorded payment, or the total when none was recorded."""
    return paid_amount if paid_amount > 0 else order_total


def refund_limit(order_total: int, paid_amount: int, already_refunded: int) -> int:
    return max(0, refund_base(order_total, paid_amount) - already_refunded)


def payment_status_after_refund(order_total: int, paid_amount: int, refunded_total: int) -> str:
    if refunded_total >= refund_base(order_total, paid_amount):
        return "refunded"
    return "partially_refunded"


def refund_vat(amount: int, goods_value: int, vat_value: int) -> int:
    """The VAT inside a refund: the returned goods' VAT share of it, never more than their VAT.

    ``goods_value`` and ``vat_value`` are the returned units' paid amount and VAT (each
    prorated per line). A refund above the goods' value (say, shipping too) adds no VAT.
    """
    if amount <= 0 or goods_value <= 0 or vat_value <= 0:
        return 0
    return min(vat_value, round_half_up_div(amount * vat_value, goods_value))
