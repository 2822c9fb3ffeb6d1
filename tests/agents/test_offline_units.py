"""The offline flow's pure parts: state transitions, parsing, variant choice, payloads, words.

No database and no tools: these are the rules the handlers are built from.
"""

from __future__ import annotations

import asyncio
import string

import pytest

from agents.conversation import KeyedLocks
from agents.offline import payloads as P
from agents.offline.lang import detect_language
from agents.offline.messages import MESSAGES, error_text, status_label, t
from agents.offline.render import button, cart_reply, price_range, short
from agents.offline.state import (
    MAX_CART_LINES,
    Address,
    Buyer,
    CartError,
    CartItem,
    FlowState,
    add_to_cart,
    clamp_to_available,
    clean_name,
    drop_lines,
    intent_of,
    next_checkout_step,
    order_number_in,
    parse_address,
    parse_payment,
    parse_phone,
    parse_quantity,
    remove_line,
    search_words,
    set_quantity,
)
from agents.offline.variants import Chosen, NoMatch, Pick, VariantChoice, next_choice
from bot.web.ratelimit import RateLimiter


def item(sku: str = "AT01-DE-M", qty: int = 1, price: int = 149_000) -> CartItem:
    return CartItem(
        sku=sku, product_id=1, name="Áo thun", label="Đen / M", unit_price=price, quantity=qty
    )


# --- cart --------------------------------------------------------------------------------------


def test_add_to_cart_merges_the_same_sku_and_checks_availability() -> None:
    s = add_to_cart(FlowState(), item(qty=2), available=5)
    s = add_to_cart(s, item(qty=3), available=5)
    assert [(i.sku, i.quantity) for i in s.cart] == [("AT01-DE-M", 5)]
    assert s.cart_count == 5
    with pytest.raises(CartError) as err:
        add_to_cart(s, item(qty=1), available=5)
    assert err.value.key == "only_left"
    assert err.value.values == {"available": 5, "in_cart": 5}


def test_add_to_cart_refuses_zero_and_too_many_lines() -> None:
    with pytest.raises(CartError) as err:
        add_to_cart(FlowState(), item(qty=0), available=5)
    assert err.value.key == "bad_quantity"
    s = FlowState()
    for n in range(MAX_CART_LINES):
        s = add_to_cart(s, item(sku=f"SKU{n}"), available=5)
    with pytest.raises(CartError) as err:
        add_to_cart(s, item(sku="ONE-MORE"), available=5)
    assert err.value.key == "cart_full"


def test_changing_the_cart_drops_the_card() -> None:
    s = add_to_cart(FlowState(), item(qty=2), available=5).model_copy(update={"card_token": "tok"})
    assert set_quantity(s, "AT01-DE-M", 3, available=5).card_token is None
    assert remove_line(s, "AT01-DE-M").cart == []


def test_set_quantity_zero_removes_and_respects_stock() -> None:
    s = add_to_cart(FlowState(), item(qty=2), available=5)
    assert set_quantity(s, "AT01-DE-M", 0, available=None).cart == []
    assert set_quantity(s, "AT01-DE-M", 4, available=5).cart[0].quantity == 4
    with pytest.raises(CartError):
        set_quantity(s, "AT01-DE-M", 6, available=5)
    with pytest.raises(CartError) as err:
        set_quantity(s, "NOPE", 1, available=5)
    assert err.value.key == "not_in_cart"


def test_clamp_to_available_cuts_and_drops_lines() -> None:
    s = FlowState(cart=[item("A", 3), item("B", 2), item("C", 1)])
    clamped = clamp_to_available(s, {"A": 1, "B": 0})
    assert [(i.sku, i.quantity) for i in clamped.cart] == [("A", 1), ("C", 1)]


def test_state_survives_garbage_and_round_trips() -> None:
    assert FlowState.load({"step": "no-such-step", "cart": "x"}) == FlowState()
    assert FlowState.load(None) == FlowState()
    s = FlowState(step="qty", sku="A", cart=[item()], placed=[("tok", 3)])
    assert FlowState.load(s.dump()) == s
    assert s.expects_text
    assert not FlowState(step="co_review").expects_text


# --- checkout --------------------------------------------------------------------------------


def test_checkout_asks_in_order_and_then_quotes() -> None:
    s = FlowState(cart=[item()])
    assert next_checkout_step(s) == "co_name"
    s = s.model_copy(update={"buyer": Buyer(name="An")})
    assert next_checkout_step(s) == "co_phone"
    s = s.model_copy(update={"buyer": Buyer(name="An", phone="+84912345678")})
    assert next_checkout_step(s) == "co_address"
    b = s.buyer.with_address(Address(line="25 Lê Lợi", district="Quận 1", province="HCM"))
    s = s.model_copy(update={"buyer": b})
    assert next_checkout_step(s) == "co_payment"
    assert next_checkout_step(s.model_copy(update={"payment": "cod"})) == "co_review"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0912 345 678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("12345", None),
        ("không có", None),
        ("", None),
    ],
)
def test_parse_phone(text: str, expected: str | None) -> None:
    assert parse_phone(text) == expected


def test_parse_address_one_line() -> None:
    a = parse_address("25 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh")
    assert a == Address(
        line="25 Lê Lợi", ward="Phường Bến Nghé", district="Quận 1", province="TP. Hồ Chí Minh"
    )
    three = parse_address("12 Trần Phú, Hải Châu, Đà Nẵng")
    assert three == Address(line="12 Trần Phú", ward="", district="Hải Châu", province="Đà Nẵng")
    five = parse_address("Lô 3, KDC Hưng Phú, P. 9, Q. 8, HCM")
    assert five is not None
    assert five.line == "Lô 3, KDC Hưng Phú"
    assert five.province == "HCM"
    assert parse_address("25 Lê Lợi quận 1") is None
    assert parse_address(", , ,") is None


def test_small_parsers() -> None:
    assert parse_quantity("2") == 2
    assert parse_quantity(" 3 cái ") == 3
    assert parse_quantity("hai") is None
    assert parse_payment("COD") == "cod"
    assert parse_payment("chuyển khoản") == "bank_transfer"
    assert parse_payment("gì cũng được") is None
    assert clean_name("  Nguyễn   Văn An ") == "Nguyễn Văn An"
    assert clean_name("12345") is None
    assert clean_name("x" * 101) is None


def test_drop_lines_removes_those_skus_and_forgets_the_card() -> None:
    s = add_to_cart(FlowState(), item("A", 1), available=5)
    s = add_to_cart(s, item("B", 2), available=5).model_copy(update={"card_token": "q"})
    dropped = drop_lines(s, {"A", "X"})
    assert [(i.sku, i.quantity) for i in dropped.cart] == [("B", 2)]
    assert dropped.card_token is None
    assert drop_lines(s, {"X"}) is s  # nothing to drop: the quote stands


def test_intents_order_numbers_and_search_words() -> None:
    assert intent_of("Giỏ hàng") == "cart"
    assert intent_of("gap nhan vien!") == "staff"
    assert intent_of("Xin chào") == "greeting"
    assert intent_of("áo thun đen") is None
    assert order_number_in("đơn DH000123 của mình sao rồi") == 123
    assert order_number_in("dh 45") == 45
    assert order_number_in("áo size 42") is None
    assert search_words("cho mình xem áo thun đen với") == "áo thun đen"
    assert search_words("shop ơi") == ""  # names no product: nothing to search


def test_search_words_strip_questions_and_filler_in_both_languages() -> None:
    assert search_words("Quần jean này giá bao nhiêu vậy shop?") == "Quần jean"
    assert search_words("Hello, do you have jeans please?") == "jeans"
    assert search_words("Có váy hoa không shop?") == "váy hoa"
    assert search_words("How much is the linen shirt?") == "linen shirt"
    assert search_words("Shop còn giày sneaker không ạ?") == "giày sneaker"
    assert search_words("chào shop, bao nhiêu tiền cái áo thun đen size M") == "áo thun đen M"
    assert search_words("Giá bao nhiêu vậy shop?") == ""
    # Without diacritics "vay" is a skirt, except as the particle after a question.
    assert search_words("co vay hoa khong") == "vay hoa"
    assert search_words("quan jean nay gia bao nhieu vay shop") == "quan jean"
    # Product words that look like filler once folded are kept when typed with diacritics.
    assert search_words("áo cổ tròn màu đỏ") == "áo cổ tròn đỏ"
    assert search_words("túi bao tử") == "túi bao tử"
    assert search_words("ao do") == "ao do"


# --- variants --------------------------------------------------------------------------------

TEE = [
    VariantChoice("T-DE-M", {"Màu": "Đen", "Size": "M"}, "Đen / M", 150_000, 3),
    VariantChoice("T-DE-L", {"Màu": "Đen", "Size": "L"}, "Đen / L", 150_000, 0),
    VariantChoice("T-TR-M", {"Màu": "Trắng", "Size": "M"}, "Trắng / M", 150_000, 0),
    VariantChoice("T-XA-S", {"Màu": "Xám", "Size": "S"}, "Xám / S", 160_000, 2),
]
ATTRS = ["Màu", "Size"]


def test_first_attribute_offers_in_stock_values_and_names_sold_out() -> None:
    step = next_choice(ATTRS, TEE)
    assert isinstance(step, Pick)
    assert step.attribute == "Màu"
    assert [o.value for o in step.in_stock] == ["Đen", "Xám"]
    assert [o.value for o in step.sold_out] == ["Trắng"]


def test_second_attribute_only_for_the_chosen_colour() -> None:
    step = next_choice(ATTRS, TEE, (0,))  # Đen
    assert isinstance(step, Pick)
    assert step.attribute == "Size"
    assert [(o.value, o.in_stock) for o in step.options] == [("M", True), ("L", False)]
    done = next_choice(ATTRS, TEE, (0, 0))
    assert isinstance(done, Chosen)
    assert done.variant.sku == "T-DE-M"


def test_single_in_stock_value_is_chosen_automatically() -> None:
    done = next_choice(ATTRS, TEE, (2,))  # Xám has only S
    assert isinstance(done, Chosen)
    assert done.variant.sku == "T-XA-S"
    assert done.chosen == (2, 2)
    plain = next_choice([], [VariantChoice("ONE", {}, "", 10, 1)])
    assert isinstance(plain, Chosen)
    assert plain.variant.sku == "ONE"


def test_stale_choices_do_not_match() -> None:
    assert isinstance(next_choice(ATTRS, TEE, (9,)), NoMatch)
    assert isinstance(next_choice(ATTRS, TEE, (1, 2)), NoMatch)  # Trắng / L does not exist
    assert isinstance(next_choice(ATTRS, [], ()), NoMatch)


# --- payloads, messages, rendering ------------------------------------------------------------


def test_payloads_round_trip() -> None:
    p = P.parse(P.category("Áo: thun", 2))
    assert (p.kind, p.int_arg(0), p.arg(1)) == ("cat", 2, "Áo: thun")
    p = P.parse(P.quantity("AT01-DE/M", 3))
    assert (p.kind, p.int_arg(0), p.arg(1)) == ("q", 3, "AT01-DE/M")
    p = P.parse(P.variant(7, (1, 0)))
    assert P.parse_indexes(p.arg(1)) == (1, 0)
    assert P.parse_indexes("") == ()
    assert P.parse_indexes("a.b") is None
    p = P.parse(P.pay("bank_transfer"))
    assert (p.kind, p.arg(0), p.arg(1)) == ("co", "pay", "bank_transfer")
    assert P.parse("menu") == P.Parsed("menu", ())
    assert P.parse("o:-3").int_arg(0) is None


def test_every_message_exists_in_both_languages_with_the_same_placeholders() -> None:
    fmt = string.Formatter()
    for key, (vi, en) in MESSAGES.items():
        assert vi.strip(), key
        assert en.strip(), key
        names_vi = {f for _, f, _, _ in fmt.parse(vi) if f}
        names_en = {f for _, f, _, _ in fmt.parse(en) if f}
        assert names_vi == names_en, key


def test_errors_and_statuses_have_words() -> None:
    assert "hết" in error_text("vi", "insufficient_stock")
    assert "phone" in error_text("en", "invalid_phone")
    assert error_text("vi", "not_yours") == error_text("vi", "unknown_order")
    assert error_text("en", "something_new", "NotFound") == t("en", "err_not_found")
    assert status_label("vi", "shipping") == "Đang giao"
    assert status_label("en", "weird") == "weird"


def test_rendering_helpers() -> None:
    assert price_range(100_000, 100_000) == "100.000₫"
    assert price_range(100_000, 250_000) == "100.000₫ – 250.000₫"
    assert price_range(None, None) == ""
    assert len(short("x" * 80)) == 40
    assert button("Một cái tên sản phẩm rất là dài dòng không thể tả nổi", "p:1").title.endswith(
        "…"
    )
    reply = cart_reply("en", FlowState(cart=[item(qty=2)]))
    assert "298.000₫" in reply.text
    assert next(b.payload for b in reply.buttons) == P.CHECKOUT
    assert cart_reply("vi", FlowState()).text == t("vi", "cart_empty")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Cho mình xem áo thun đen", "vi"),
        ("ao thun den con hang khong", "vi"),
        ("Hello, do you have black shirts?", "en"),
        ("AT01-DE-M", None),
        ("ok", None),
    ],
)
def test_language_detection(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


# --- locks and rate limit ---------------------------------------------------------------------


async def test_keyed_locks_order_one_chat_and_stay_bounded() -> None:
    locks = KeyedLocks(max_size=3)
    seen: list[str] = []

    async def turn(key: str, name: str, delay: float) -> None:
        async with locks.hold(key):
            seen.append(f"{name}>")
            await asyncio.sleep(delay)
            seen.append(f"<{name}")

    await asyncio.gather(turn("a", "a1", 0.02), turn("a", "a2", 0), turn("b", "b1", 0))
    assert seen.index("<a1") < seen.index("a2>")  # the same chat never interleaves
    assert seen.index("b1>") < seen.index("<a1")  # other chats run meanwhile
    for n in range(10):
        async with locks.hold(f"k{n}"):
            pass
    assert len(locks) <= 3


def test_rate_limiter_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=2, per_minute=60, clock=lambda: now[0])
    assert limiter.allow("s")
    assert limiter.allow("s")
    assert not limiter.allow("s")
    assert limiter.allow("other")
    assert limiter.retry_after("s") >= 1
    now[0] += 1.0
    assert limiter.allow("s")
