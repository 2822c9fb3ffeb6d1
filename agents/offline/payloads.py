"""Button payloads: short, self-describing strings the flow both writes and parses.

A payload carries what its button meant (the product, the chosen option indexes, the SKU, the
quote token), so pressing an old button, or pressing one twice, is handled by what it says and
not by whatever the stored state happens to be. Free parts (SKU, category) come last because
they may contain ':'. Payloads are opaque to customers but not secret: every action they name
is re-checked by the tools as the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_PAYLOAD = 200
MAX_INT = 2**63 - 1  # ids are 64-bit in the database: a larger number names nothing

MENU = "menu"
CATEGORIES = "cats"
SEARCH = "search"
CART = "cart"
CART_PICK_QTY = "cart:qty"
CART_PICK_REMOVE = "cart:del"
ORDERS = "orders"
STAFF = "staff"
CHECKOUT = "co"
CO_USE_SAVED = "co:saved"
CO_NEW = "co:new"
CO_USE_NAME = "co:name"
CO_USE_PHONE = "co:phone"
CO_USE_ADDRESS = "co:addr"
CO_ADDRESS_OK = "co:addr_ok"
CO_ADDRESS_REDO = "co:addr_redo"
CO_CHANGE_PAYMENT = "co:pay"
CO_EDIT = "co:edit"
CO_CANCEL = "co:cancel"


def lang(code: str) -> str:
    return f"lang:{code}"


def category(name: str, page: int = 0) -> str:
    return f"cat:{page}:{name}"[:MAX_PAYLOAD]


def product(product_id: int) -> str:
    return f"p:{product_id}"


def variant(product_id: int, chosen: Sequence[int]) -> str:
    return f"v:{product_id}:{'.'.join(str(i) for i in chosen)}"


def quantity(sku: str, n: int) -> str:
    return f"q:{n}:{sku}"


def cart_line_qty(sku: str) -> str:
    return f"cl:{sku}"


def cart_set_qty(sku: str, n: int) -> str:
    return f"cq:{n}:{sku}"


def cart_remove(sku: str) -> str:
    return f"cd:{sku}"


def pay(method: str) -> str:
    return f"co:pay:{method}"


def order(order_id: int) -> str:
    return f"o:{order_id}"


def order_pay(order_id: int) -> str:
    return f"op:{order_id}"


def order_cancel(order_id: int) -> str:
    return f"oc:{order_id}"


def order_cancel_yes(order_id: int) -> str:
    return f"ocy:{order_id}"


def order_return(order_id: int) -> str:
    return f"or:{order_id}"


def order_return_reason(order_id: int, reason: str) -> str:
    return f"orr:{order_id}:{reason}"


@dataclass(frozen=True, slots=True)
class Parsed:
    kind: str  # the part before the first ':' ("co:pay:cod" -> "co")
    args: tuple[str, ...]  # the rest, split into at most ``parts`` pieces by the parser

    def int_arg(self, i: int) -> int | None:
        try:
            value = int(self.args[i])
        except (IndexError, ValueError):
            return None
        return value if 0 <= value <= MAX_INT else None

    def arg(self, i: int) -> str:
        return self.args[i] if i < len(self.args) else ""


# How many ':'-separated pieces follow each kind (the last piece keeps any further ':').
_ARITY = {
    "lang": 1,
    "cat": 2,
    "p": 1,
    "v": 2,
    "q": 2,
    "cl": 1,
    "cq": 2,
    "cd": 1,
    "co": 2,
    "cart": 1,
    "o": 1,
    "oc": 1,
    "op": 1,
    "ocy": 1,
    "or": 1,
    "orr": 2,
}


def parse(payload: str) -> Parsed:
    kind, sep, rest = payload.strip().partition(":")
    if not sep:
        return Parsed(kind, ())
    arity = _ARITY.get(kind, 1)
    return Parsed(kind, tuple(rest.split(":", arity - 1)))


def parse_indexes(text: str) -> tuple[int, ...] | None:
    """'0.2' -> (0, 2); '' -> (); anything malformed -> None."""
    if not text:
        return ()
    try:
        out = tuple(int(p) for p in text.split("."))
    except ValueError:
        return None
    return out if all(i >= 0 for i in out) and len(out) <= 3 else None
