"""The order state machine: one table of allowed transitions, and one of what each does to stock
and money and which path carries it out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import IllegalTransition


class OrderStatus(StrEnum):
    NEW = "new"
    AWAITING_STOCK = "awaiting_stock"
    CONFIRMED = "confirmed"
    PACKING = "packing"
    READY_TO_SHIP = "ready_to_ship"
    SHIPPING = "shipping"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.CONFIRMED, S.AWAITING_STOCK, S.CANCELLED}),
    S.AWAITING_STOCK: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PACKING, S.AWAITING_STOCK, S.CANCELLED}),
    S.PACKING: frozenset({S.READY_TO_SHIP, S.CONFIRMED, S.CANCELLED}),
    S.READY_TO_SHIP: frozenset({S.SHIPPING, S.PACKING, S.CANCELLED}),
    S.SHIPPING: frozenset({S.DELIVERED, S.DELIVERY_FAILED}),
    S.DELIVERY_FAILED: frozenset({S.SHIPPING, S.RETURNED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.RETURNED}),
    S.COMPLETED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Orders whose lines, buyer and address may still be edited (reservations follow the edit).
EDITABLE: frozenset[OrderStatus] = frozenset({S.NEW, S.CONFIRMED, S.AWAITING_STOCK})
# Orders that hold reservations on stock (released on cancel, consumed on shipping).
HOLDS_RESERVATION: frozenset[OrderStatus] = frozenset(
    {S.NEW, S.AWAITING_STOCK, S.CONFIRMED, S.PACKING, S.READY_TO_SHIP}
)
# A customer may cancel their own order only before anyone started packing it.
CUSTOMER_CANCELLABLE: frozenset[OrderStatus] = frozenset({S.NEW, S.AWAITING_STOCK, S.CONFIRMED})
# Goods have left the warehouse.
SHIPPED: frozenset[OrderStatus] = frozenset(
    {S.SHIPPING, S.DELIVERED, S.COMPLETED, S.DELIVERY_FAILED}
)
# Statuses that count as sales in reports.
COUNTS_AS_SALE: frozenset[OrderStatus] = frozenset(
    {
        S.NEW,
        S.CONFIRMED,
        S.PACKING,
        S.READY_TO_SHIP,
        S.SHIPPING,
        S.DELIVERED,
        S.COMPLETED,
        S.AWAITING_STOCK,
        S.DELIVERY_FAILED,
    }
)


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise IllegalTransition(
            f"An order cannot go from {current} to {target} (allowed: {allowed}).",
            field="status",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": sorted(TRANSITIONS[current]),
            },
        )


class Stock(StrEnum):
    """What a move does to the order's stock."""

    NONE = "none"
    RESERVE = "reserve"  # reserve the lines not yet reserved; short ones make the order wait
    RELEASE = "release"  # give the reservation back
    CONSUME = "consume"  # the goods leave: out of on_hand and reserved
    RESTOCK = "restock"  # the parcel comes back to the warehouse it left


class Via(StrEnum):
    """Which path carries a move out."""

    STATUS = "status"  # set_order_status, as it is
    CONFIRM = "confirm"  # the confirm path (confirm_order, or set_order_status to confirmed)
    CANCEL = "cancel"  # the cancel path (cancel_order's rules, whoever asks)
    RETURN = "return"  # only a return (create_return, receive_return) makes it
    AUTOMATIC = "automatic"  # the order does it by itself (waiting for stock); never by hand


@dataclass(frozen=True, slots=True)
class Effects:
    """What an allowed move does besides changing the status."""

    stock: Stock = Stock.NONE
    via: Via = Via.STATUS
    # A cash-on-delivery order's money came in with the parcel: the order counts as paid.
    collects_cod: bool = False


_CONFIRM = Effects(Stock.RESERVE, Via.CONFIRM)
_CANCEL = Effects(Stock.RELEASE, Via.CANCEL)
_WAIT = Effects(via=Via.AUTOMATIC)
_PLAIN = Effects()

# Every allowed move and its side effects; tools read this instead of testing statuses.
EFFECTS: dict[tuple[OrderStatus, OrderStatus], Effects] = {
    (S.NEW, S.CONFIRMED): _CONFIRM,
    (S.NEW, S.AWAITING_STOCK): _WAIT,
    (S.NEW, S.CANCELLED): _CANCEL,
    (S.AWAITING_STOCK, S.CONFIRMED): _CONFIRM,
    (S.AWAITING_STOCK, S.CANCELLED): _CANCEL,
    (S.CONFIRMED, S.PACKING): _PLAIN,
    (S.CONFIRMED, S.AWAITING_STOCK): _WAIT,
    (S.CONFIRMED, S.CANCELLED): _CANCEL,
    (S.PACKING, S.READY_TO_SHIP): _PLAIN,
    (S.PACKING, S.CONFIRMED): _PLAIN,  # unpacked: the reservation stays
    (S.PACKING, S.CANCELLED): _CANCEL,
    (S.READY_TO_SHIP, S.SHIPPING): Effects(Stock.CONSUME),
    (S.READY_TO_SHIP, S.PACKING): _PLAIN,
    (S.READY_TO_SHIP, S.CANCELLED): _CANCEL,
    (S.SHIPPING, S.DELIVERED): Effects(collects_cod=True),
    (S.SHIPPING, S.DELIVERY_FAILED): _PLAIN,
    (S.DELIVERY_FAILED, S.SHIPPING): _PLAIN,  # sent again: the goods already left
    (S.DELIVERY_FAILED, S.RETURNED): Effects(Stock.RESTOCK),
    (S.DELIVERED, S.COMPLETED): _PLAIN,
    (S.DELIVERED, S.RETURNED): Effects(via=Via.RETURN),
    (S.COMPLETED, S.RETURNED): Effects(via=Via.RETURN),
}

# Orders whose goods may be sent back through a return.
RETURNABLE: frozenset[OrderStatus] = frozenset(
    a for (a, _), e in EFFECTS.items() if e.via is Via.RETURN
)


def effects(current: OrderStatus, target: OrderStatus) -> Effects:
    """The side effects of an allowed move (refused with IllegalTransition otherwise)."""
    check_transition(current, target)
    return EFFECTS[(current, target)]


def route(current: OrderStatus, target: OrderStatus) -> Via:
    """Which path carries the move out. Cancelling always goes the cancel way (its own rules
    and refusals); a move the table does not allow goes the plain way, which refuses it."""
    if target is S.CANCELLED:
        return Via.CANCEL
    entry = EFFECTS.get((current, target))
    return entry.via if entry is not None else Via.STATUS


def releases_stock(current: OrderStatus, target: OrderStatus) -> bool:
    """Cancelling an order that still holds stock gives the reservation back."""
    return _stock(current, target) is Stock.RELEASE


def consumes_stock(current: OrderStatus, target: OrderStatus) -> bool:
    """Handing the parcel to the carrier takes the goods out of on_hand and reserved."""
    return _stock(current, target) is Stock.CONSUME


def restocks(current: OrderStatus, target: OrderStatus) -> bool:
    """A parcel that could not be delivered comes back to the warehouse it left."""
    return _stock(current, target) is Stock.RESTOCK


def _stock(current: OrderStatus, target: OrderStatus) -> Stock:
    entry = EFFECTS.get((current, target))
    return entry.stock if entry is not None else Stock.NONE
