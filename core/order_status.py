"""The order state machine: one table of allowed transitions, and what each one does to stock."""

from __future__ import annotations

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


def releases_stock(current: OrderStatus, target: OrderStatus) -> bool:
    """Cancelling an order that still holds stock gives the reservation back."""
    return target is S.CANCELLED and current in HOLDS_RESERVATION


def consumes_stock(current: OrderStatus, target: OrderStatus) -> bool:
    """Handing the parcel to the carrier takes the goods out of on_hand and reserved."""
    return target is S.SHIPPING and current is S.READY_TO_SHIP


def restocks(current: OrderStatus, target: OrderStatus) -> bool:
    """A parcel that could not be delivered comes back to the warehouse it left."""
    return target is S.RETURNED and current is S.DELIVERY_FAILED
