"""Returns and refunds: how much may still be returned, what a refund is worth, its limit.

* A line can be returned up to what was shipped minus what earlier returns already claim: an
  open (requested) return claims its requested quantity, a received one what actually came
  back (good + damaged), a refund-only one (nothing came back, the buyer is refunded anyway:
  lost on the way back, the buyer keeps the item, a marketplace ruling) its requested
  quantity, a cancelled one nothing.
* The default refund for a return is, per returned line, the line's paid amount (its
  line_total, VAT included, after discount) prorated on the units returned so far: the k-th
  return of a line is worth ``round(total × after ÷ qty) − round(total × before ÷ qty)``, where
  ``before`` is the units earlier returns of that line (lower return id) claim and ``after`` is
  ``before`` plus this return's units, rounded half-up. The returns of a line therefore add up
  to its line total exactly, however the units come back. The VAT inside them is split the same
  way, so it adds up to the line's VAT. Shipping is not refunded by default; a refund above the
  goods' value (shipping, when an amount is given) carries no VAT and is not revenue.
* The refunds of an order together never exceed what the buyer paid for it: ``paid_amount``,
  or the order total when no payment was recorded (a delivered COD parcel was paid to the
  courier).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.costing import prorate
from core.money import round_half_up_div
from core.return_status import REFUNDABLE as RETURN_REFUNDABLE
from core.return_status import ReturnStatus

# The statuses as stored (plain strings in the returns.status column); see core.return_status.
REQUESTED = ReturnStatus.REQUESTED.value
RECEIVED = ReturnStatus.RECEIVED.value
REFUND_ONLY = ReturnStatus.REFUND_ONLY.value
CANCELLED = ReturnStatus.CANCELLED.value
# Returns that can be refunded: the goods came back, or it was recorded that they will not.
REFUNDABLE: frozenset[str] = frozenset(s.value for s in RETURN_REFUNDABLE)
# Why nothing came back on a refund-only return.
NO_GOODS_REASONS: tuple[str, ...] = (
    "lost_in_transit",  # the parcel was lost on its way back
    "buyer_keeps_item",  # not worth sending back (cheap, or return shipping costs more)
    "marketplace_ruling",  # the marketplace refunded the buyer without a return
    "other",  # explained in the note
)


@dataclass(frozen=True, slots=True)
class Claim:
    """One return line as it weighs on an order line."""

    status: str  # of its return
    quantity: int  # requested
    good: int
    damaged: int
    return_id: int = 0  # its return; returns of a line are ordered by it

    @property
    def claimed(self) -> int:
        if self.status == CANCELLED:
            return 0
        if self.status == RECEIVED:
            return self.good + self.damaged
        return self.quantity  # requested (still open) or refund_only (kept by the buyer)

    @property
    def came_back(self) -> int:
        """Units that physically came back (what restocks and what makes an order returned)."""
        return self.good + self.damaged if self.status == RECEIVED else 0

    @property
    def restocked(self) -> int:
        """Units back in stock in good condition (their cost comes back with a refund)."""
        return self.good if self.status == RECEIVED else 0


def returnable(shipped: int, claims: Iterable[Claim]) -> int:
    return max(0, shipped - sum(c.claimed for c in claims))


def claimed_before(claims: Iterable[Claim], return_id: int) -> int:
    """Units of the line that its returns older than ``return_id`` claim (the ``before``)."""
    return sum(c.claimed for c in claims if c.return_id < return_id)


def line_refund(line_total: int, quantity: int, returned: int, before: int = 0) -> int:
    """The paid amount of ``returned`` of a line's ``quantity`` units, after ``before`` units.

    Prorated on the cumulative units, ``prorate(after) − prorate(before)``, so the shares of
    successive returns of one line add up exactly to ``line_total`` (the same for its VAT when
    called with the line's VAT amount): rounding each return on its own could add up to more
    than the line (3 units of 300,002đ: 100,001 + 100,001 + 100,001).
    """
    if returned <= 0:
        return 0
    before = max(0, before)
    return prorate(line_total, quantity, before + returned) - prorate(line_total, quantity, before)


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
    prorated per line with ``line_refund``). A refund above the goods' value (say, shipping
    too) adds no VAT; the default refund (the goods' value) carries exactly their VAT.
    """
    if amount <= 0 or goods_value <= 0 or vat_value <= 0:
        return 0
    return min(vat_value, round_half_up_div(amount * vat_value, goods_value))


def refund_goods(amount: int, goods_value: int) -> int:
    """The part of a refund that pays back goods: at most the returned goods' paid value.

    The rest (``amount − refund_goods``) is shipping or any other extra refunded on top, which
    was never goods revenue.
    """
    return max(0, min(amount, goods_value))
