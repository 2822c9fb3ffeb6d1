"""The offline flow's memory between messages, and the pure rules that change it.

Kept as JSON in ``Conversation.flow_state``. Everything here is pure (no database, no tools),
so cart arithmetic, checkout progression and input parsing are tested in isolation; handlers
call these and only add the tool calls around them.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from core.cards import ConfirmationCard
from core.errors import InvalidInput
from core.phone import normalise_phone
from core.text import fold

log = logging.getLogger("shopbot.agents.offline")

MAX_CART_LINES = 20
MAX_LINE_QUANTITY = 99

# Steps that wait for typed text; free text goes to the flow (not the LLM) while in one.
TEXT_STEPS = frozenset(
    {"search", "qty", "cart_qty", "co_name", "co_phone", "co_address", "return_reason"}
)

Step = Literal[
    "idle",
    "search",  # waiting for search words
    "qty",  # a variant is chosen (sku), waiting for the quantity
    "cart_qty",  # waiting for a cart line's new quantity (edit_sku)
    "co_saved",  # offered the saved delivery details
    "co_name",
    "co_phone",
    "co_address",
    "co_address_confirm",  # the typed address is parsed, waiting for "correct?"
    "co_payment",
    "co_review",  # the quote is shown, waiting for confirm / edit / cancel
    "return_reason",  # waiting for the reason of a return (order_id)
    "lookup_phone",  # an order number not among theirs: waiting for the phone it was placed with
]


class CartItem(BaseModel):
    sku: str
    product_id: int
    name: str
    label: str = ""  # the variant's option values, e.g. "Đen / M"
    unit_price: int
    quantity: int

    @property
    def title(self) -> str:
        return f"{self.name} ({self.label})" if self.label else self.name


class Buyer(BaseModel):
    """Delivery details collected at checkout (and kept for the next order)."""

    name: str = ""
    phone: str = ""  # E.164
    line: str = ""
    ward: str = ""
    district: str = ""
    province: str = ""

    @property
    def has_address(self) -> bool:
        return bool(self.line and self.province)

    @property
    def complete(self) -> bool:
        return bool(self.name and self.phone and self.has_address)

    def address_dict(self) -> dict[str, str]:
        return {
            "line": self.line,
            "ward": self.ward,
            "district": self.district,
            "province": self.province,
        }

    def address_text(self) -> str:
        return ", ".join(p for p in (self.line, self.ward, self.district, self.province) if p)

    def with_address(self, address: Address) -> Buyer:
        return self.model_copy(
            update={
                "line": address.line,
                "ward": address.ward,
                "district": address.district,
                "province": address.province,
            }
        )


class Address(BaseModel):
    line: str
    ward: str = ""
    district: str = ""
    province: str


class FlowState(BaseModel):
    """Everything the flow remembers about one conversation."""

    v: int = 1
    step: Step = "idle"
    cart: list[CartItem] = Field(default_factory=list)
    sku: str | None = None  # the variant waiting for a quantity
    edit_sku: str | None = None  # the cart line waiting for a new quantity
    order_id: int | None = None  # the order waiting for a return reason
    lookup_number: int | None = None  # the order number waiting for its phone (lookup_phone)
    buyer: Buyer = Field(default_factory=Buyer)
    saved: Buyer | None = None  # the customer's details from earlier orders, offered as buttons
    pending_address: Address | None = None
    payment: Literal["cod", "bank_transfer"] | None = None
    # The order card shown at checkout review (its pending action's token and the card).
    card_token: str | None = None
    card: ConfirmationCard | None = None
    # (quote token, order id) of the latest orders placed here: a repeated confirm shows them.
    placed: list[tuple[str, int]] = Field(default_factory=list)
    lang_locked: bool = False  # the customer chose a language: stop guessing it

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> FlowState:
        """Stored state from an older version or hand-edited rows must not break a chat."""
        try:
            return cls.model_validate(raw or {})
        except ValidationError:
            log.warning("discarding unreadable flow state")
            return cls()

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def expects_text(self) -> bool:
        return self.step in TEXT_STEPS

    @property
    def cart_count(self) -> int:
        return sum(item.quantity for item in self.cart)

    def reset_step(self) -> FlowState:
        return self.model_copy(
            update={
                "step": "idle",
                "sku": None,
                "edit_sku": None,
                "order_id": None,
                "lookup_number": None,
            }
        )


# ------------------------------------------------------------------------------------- cart


class CartError(ValueError):
    """A cart change the customer must correct; ``key``/``values`` name the message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def quantity_in_cart(state: FlowState, sku: str) -> int:
    return sum(item.quantity for item in state.cart if item.sku == sku)


def add_to_cart(state: FlowState, item: CartItem, available: int) -> FlowState:
    """Adds ``item.quantity`` (merging with a line of the same SKU), within what is available."""
    if item.quantity < 1 or item.quantity > MAX_LINE_QUANTITY:
        raise CartError("bad_quantity", max=min(MAX_LINE_QUANTITY, max(available, 1)))
    have = quantity_in_cart(state, item.sku)
    if have + item.quantity > available:
        raise CartError("only_left", available=available, in_cart=have)
    if have:
        cart = [
            i.model_copy(
                update={"quantity": i.quantity + item.quantity, "unit_price": item.unit_price}
            )
            if i.sku == item.sku
            else i
            for i in state.cart
        ]
    else:
        if len(state.cart) >= MAX_CART_LINES:
            raise CartError("cart_full", max=MAX_CART_LINES)
        cart = [*state.cart, item]
    return state.model_copy(update={"cart": cart, "card_token": None, "card": None})


def set_quantity(state: FlowState, sku: str, quantity: int, available: int | None) -> FlowState:
    """A new quantity for a cart line; 0 removes it. ``available`` None: not checked here."""
    if not any(i.sku == sku for i in state.cart):
        raise CartError("not_in_cart")
    if quantity < 0 or quantity > MAX_LINE_QUANTITY:
        raise CartError("bad_quantity", max=MAX_LINE_QUANTITY)
    if quantity == 0:
        return remove_line(state, sku)
    if available is not None and quantity > available:
        raise CartError("only_left", available=available, in_cart=0)
    cart = [i.model_copy(update={"quantity": quantity}) if i.sku == sku else i for i in state.cart]
    return state.model_copy(update={"cart": cart, "card_token": None, "card": None})


def remove_line(state: FlowState, sku: str) -> FlowState:
    if not any(i.sku == sku for i in state.cart):
        raise CartError("not_in_cart")
    cart = [i for i in state.cart if i.sku != sku]
    return state.model_copy(update={"cart": cart, "card_token": None, "card": None})


def drop_lines(state: FlowState, skus: set[str]) -> FlowState:
    """The cart without the lines of these SKUs (e.g. no longer sold); unknown SKUs ignored."""
    cart = [i for i in state.cart if i.sku not in skus]
    if len(cart) == len(state.cart):
        return state
    return state.model_copy(update={"cart": cart, "card_token": None, "card": None})


def cart_subtotal(state: FlowState) -> int:
    return sum(i.unit_price * i.quantity for i in state.cart)


def clamp_to_available(state: FlowState, available: dict[str, int]) -> FlowState:
    """After a quote found short lines: quantities cut to what is there, empty lines dropped."""
    cart = []
    for item in state.cart:
        qty = min(item.quantity, available.get(item.sku, item.quantity))
        if qty > 0:
            cart.append(item.model_copy(update={"quantity": qty}))
    return state.model_copy(update={"cart": cart, "card_token": None, "card": None})


# --------------------------------------------------------------------------------- parsing

_NUMBER = re.compile(r"^\s*(\d{1,4})\s*(?:cai|chiec|cái|chiếc|pcs?|x)?\s*$", re.IGNORECASE)


def parse_quantity(text: str) -> int | None:
    """'2', ' 3 cái', '10 pcs' -> the number; anything else -> None."""
    m = _NUMBER.match(text or "")
    return int(m.group(1)) if m else None


def parse_phone(text: str) -> str | None:
    """E.164 for a valid Vietnamese (or +CC international) number, else None."""
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 30:
        return None
    try:
        return normalise_phone(cleaned, field="buyer_phone")
    except InvalidInput:
        return None


def clean_name(text: str) -> str | None:
    name = " ".join((text or "").split())
    if not name or len(name) > 100 or not any(ch.isalpha() for ch in name):
        return None
    return name


def parse_address(text: str) -> Address | None:
    """One line, comma separated: street[, ward], district, province. At least 3 parts.

    The last part is the province, the one before the district, the one before that the ward
    when there are four or more parts; everything in front is the street line.
    """
    parts = [" ".join(p.split()) for p in re.split(r"[,;\n]", text or "")]
    parts = [p for p in parts if p]
    if len(parts) < 3 or any(len(p) > 120 for p in parts[-3:]):
        return None
    if len(parts) == 3:
        line, ward, district, province = parts[0], "", parts[1], parts[2]
    else:
        line = ", ".join(parts[:-3])
        ward, district, province = parts[-3], parts[-2], parts[-1]
    if len(line) > 300 or not any(ch.isalnum() for ch in line):
        return None
    return Address(line=line, ward=ward, district=district, province=province)


def parse_payment(text: str) -> Literal["cod", "bank_transfer"] | None:
    f = fold(text or "")
    if not f:
        return None
    if f in {"cod", "tien mat", "cash"} or "khi nhan" in f or "on delivery" in f:
        return "cod"
    if "chuyen khoan" in f or "bank" in f or f == "ck":
        return "bank_transfer"
    return None


def next_checkout_step(state: FlowState) -> Step:
    """The first thing checkout still needs, in the order it is asked."""
    b = state.buyer
    if not b.name:
        return "co_name"
    if not b.phone:
        return "co_phone"
    if not b.has_address:
        return "co_address"
    if state.payment is None:
        return "co_payment"
    return "co_review"


# --------------------------------------------------------------------------- free-text intents

Intent = Literal["menu", "greeting", "cart", "orders", "staff", "categories", "checkout"]

_INTENTS: dict[str, Intent] = {
    "menu": "menu",
    "/start": "menu",
    "/menu": "menu",
    "start": "menu",
    "bat dau": "menu",
    "hi": "greeting",
    "hello": "greeting",
    "hey": "greeting",
    "chao": "greeting",
    "xin chao": "greeting",
    "chao shop": "greeting",
    "alo": "greeting",
    "shop oi": "greeting",
    "gio hang": "cart",
    "cart": "cart",
    "xem gio hang": "cart",
    "don hang": "orders",
    "don hang cua toi": "orders",
    "don cua toi": "orders",
    "my orders": "orders",
    "orders": "orders",
    "kiem tra don": "orders",
    "kiem tra don hang": "orders",
    "nhan vien": "staff",
    "gap nhan vien": "staff",
    "tu van vien": "staff",
    "staff": "staff",
    "human": "staff",
    "agent": "staff",
    "talk to staff": "staff",
    "danh muc": "categories",
    "xem danh muc": "categories",
    "categories": "categories",
    "dat hang": "checkout",
    "thanh toan": "checkout",
    "checkout": "checkout",
}

_ORDER_NUMBER = re.compile(r"\bdh\s?#?(\d{1,9})\b", re.IGNORECASE)


# Words and phrases customers wrap around product names ("cho mình xem áo thun đen với",
# "Quần jean này giá bao nhiêu vậy shop?", "Hello, do you have jeans please?"). Written with
# their diacritics: a word typed with diacritics is stripped only when it is exactly one of
# these ("cổ" in "cổ tròn" is not "có"); a word typed without them is compared folded, except
# for the folded forms in _FOLDED_PRODUCT_WORDS, which are product words too often to drop
# ("vay" is "váy" as often as "vậy").
_FILLER_WORDS = (
    # Vietnamese: asking, pronouns, particles, "still have", "how much".
    "cho mình xem tôi tui tớ em anh chị bạn muốn mua cần tìm kiếm shop sốp ad admin ơi "
    "ạ à ah nhé nha nhá nhỉ hả với không ko k hông hok hem khg có thể lấy giúp đi hàng "
    "sản phẩm sp giá này đó đấy kia vậy vầy thế còn nào gì hỏi xin chào alo dạ vâng nhiêu "
    "tiền bán màu mầu size sz cỡ loại mẫu cái chiếc đẹp rẻ xịn tốt nhất quá lắm "
    # English: greetings, asking, articles, "how much".
    "hello hi hey hiya i me my we want wanna to buy show some please pls plz the a an any "
    "need find have has got sell selling is are there how much many price cost costs of for "
    "it this that these those can could would like looking still available thanks thank "
    "you ok okay colour color cheap nice good best"
)
# váy, đỏ, in (printed), dép, (xanh) nhạt
_FOLDED_PRODUCT_WORDS = frozenset({"vay", "do", "in", "dep", "nhat"})
# Phrases stripped as a whole, compared folded: their words alone may be product words
# ("bao" as in "túi bao tử", "do" as in "đỏ").
_FILLER_PHRASES = tuple(
    tuple(p.split())
    for p in sorted(
        {
            "bao nhieu tien",
            "bao nhieu",
            "the nao",
            "nhu the nao",
            "o dau",
            "lam sao",
            "tu van",
            "do you have",
            "do you sell",
            "do you still have",
            "do u have",
            "have you got",
            "how much",
            "in stock",
        },
        key=lambda p: -len(p.split()),
    )
)
# "vay" right after a question ("bao nhieu vay", "khong vay") is "vậy", not "váy".
_QUESTION_END = frozenset({"khong", "ko", "k", "hong", "hok", "gi", "nao", "sao", "nhieu"})
_FILLER_EXACT = frozenset(w.lower() for w in _FILLER_WORDS.split())
_FILLER_FOLDED = frozenset(fold(w) for w in _FILLER_WORDS.split()) - _FOLDED_PRODUCT_WORDS
_EDGE_PUNCTUATION = ",.!?;:\"'“”‘’()[]…"


def intent_of(text: str) -> Intent | None:
    f = fold(text).strip(" !?.")
    return _INTENTS.get(f)


def order_number_in(text: str) -> int | None:
    m = _ORDER_NUMBER.search(text or "")
    return int(m.group(1)) if m else None


def _is_filler(word: str) -> bool:
    lowered = word.lower()
    if fold(lowered) == lowered:  # typed without diacritics: ambiguous, compare folded
        return lowered in _FILLER_FOLDED
    return lowered in _FILLER_EXACT


def search_words(text: str) -> str:
    """The product words of a sentence: question and filler words and phrases ("giá bao
    nhiêu", "còn ... không", "do you have", "please", "chào shop") left out. Empty when
    nothing else is left ("Giá bao nhiêu vậy shop?" names no product)."""
    words = [w.strip(_EDGE_PUNCTUATION) for w in text.split()]
    words = [w for w in words if w]
    folded = [fold(w) for w in words]
    keep = [True] * len(words)
    i, after_question = 0, False
    while i < len(words):
        phrase = next((p for p in _FILLER_PHRASES if tuple(folded[i : i + len(p)]) == p), None)
        if phrase is not None:
            keep[i : i + len(phrase)] = [False] * len(phrase)
            i, after_question = i + len(phrase), True
            continue
        if _is_filler(words[i]) or (after_question and folded[i] == "vay"):
            keep[i] = False
        after_question = folded[i] in _QUESTION_END
        i += 1
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)


RETURN_REASONS = ("defect", "size", "mismatch")
