"""Confirmation cards as replies: drawn by code from the pending action, in the reader's language.

The same card comes out of the LLM agent and the button flow, so what a customer agrees to is
always the code's rendering of the exact arguments that will run (core/cards.py,
tools/pending.py), never a model's paraphrase. The reply carries the card itself for channels
that draw cards, and the same content as text with Confirm / Change / Cancel buttons for
those that do not. Button payloads are ``pa:<token>:<y|e|n>``: 17 bytes, within every
platform's limit (Telegram's callback_data is 64).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from agents.types import Button, Reply
from core.cards import CardKind, ConfirmationCard, Decision
from core.money import format_vnd
from core.phone import display_phone

Lang = Literal["vi", "en"]
PAYLOAD_PREFIX = "pa"

_TEXT: dict[str, tuple[str, str]] = {
    "title_place_order": ("Xác nhận đơn hàng", "Please confirm your order"),
    "title_cancel_order": (
        "Bạn chắc chắn muốn huỷ đơn {order}?",
        "Are you sure you want to cancel order {order}?",
    ),
    "title_generic": ("Xác nhận thao tác", "Please confirm"),
    "line": ("• {name}: {quantity} × {unit} = {total}", "• {name}: {quantity} × {unit} = {total}"),
    "line_vat": ("  (VAT {rate}%: {amount})", "  (VAT {rate}%: {amount})"),
    "subtotal": ("Tiền hàng: {amount}", "Goods: {amount}"),
    "discount": ("Giảm giá: -{amount}", "Discount: -{amount}"),
    "vat_included": ("Đã gồm VAT: {amount}", "VAT included: {amount}"),
    "vat_added": ("VAT: {amount}", "VAT: {amount}"),
    "shipping": ("Phí giao hàng: {amount}", "Shipping: {amount}"),
    "shipping_free": ("Phí giao hàng: miễn phí", "Shipping: free"),
    "total": ("Tổng cộng: {amount}", "Total: {amount}"),
    "cod": ("Thu hộ khi giao (COD): {amount}", "Collected on delivery (COD): {amount}"),
    "field_buyer_name": ("Người nhận", "Name"),
    "field_buyer_phone": ("Điện thoại", "Phone"),
    "field_address": ("Địa chỉ", "Address"),
    "field_payment_method": ("Thanh toán", "Payment"),
    "field_note": ("Ghi chú của bạn", "Your note"),
    "field_order": ("Đơn", "Order"),
    "field_status": ("Trạng thái", "Status"),
    "field_reason": ("Lý do", "Reason"),
    # The arguments staff cards show most (generic cards label any other by its name).
    "field_sku": ("SKU", "SKU"),
    "field_warehouse_code": ("Kho", "Warehouse"),
    "field_from_warehouse_code": ("Từ kho", "From warehouse"),
    "field_to_warehouse_code": ("Đến kho", "To warehouse"),
    "field_delta": ("Thay đổi", "Change"),
    "field_set_to": ("Đặt thành", "Set to"),
    "field_quantity": ("Số lượng", "Quantity"),
    "field_amount": ("Số tiền", "Amount"),
    "field_lines": ("Hàng", "Lines"),
    "field_supplier_code": ("Nhà cung cấp", "Supplier"),
    "expires": ("Giữ hàng đến {time}.", "Held for you until {time}."),
    "ask_place_order": (
        "Bấm “Xác nhận đặt hàng” (hoặc trả lời “đồng ý”) để đặt đơn này.",
        "Press “Place order” (or reply “yes”) to place this order.",
    ),
    "ask_cancel_order": (
        "Bấm “Có, huỷ đơn” (hoặc trả lời “đồng ý”) để huỷ đơn này.",
        "Press “Yes, cancel it” (or reply “yes”) to cancel this order.",
    ),
    "ask_generic": ("Bấm “Xác nhận” để thực hiện.", "Press “Confirm” to go ahead."),
    "btn_place_order": ("Xác nhận đặt hàng", "Place order"),
    "btn_cancel_order": ("Có, huỷ đơn", "Yes, cancel it"),
    "btn_generic": ("Xác nhận", "Confirm"),
    "btn_change": ("Sửa", "Change"),
    "btn_not_now": ("Huỷ", "Cancel"),
    "btn_keep_order": ("Giữ đơn", "Keep the order"),
    "declined_place_order": (
        "Shop chưa đặt đơn nào. Bạn muốn đổi gì cứ nhắn nhé.",
        "Nothing was ordered. Tell me what you would like to change.",
    ),
    "change_place_order": (
        "Bạn muốn đổi gì: sản phẩm, số lượng, người nhận, địa chỉ hay cách thanh toán?",
        "What would you like to change: items, quantities, name, address or payment?",
    ),
    "declined_cancel_order": ("Đơn {order} vẫn được giữ nguyên.", "Order {order} stays as it is."),
    "declined_generic": ("Đã bỏ qua, không có gì thay đổi.", "Skipped: nothing was changed."),
    "done_generic": ("Đã xong.", "Done."),
    "expired": (
        "Thẻ xác nhận này đã hết hạn nên shop chưa làm gì cả.",
        "That confirmation card has expired, so nothing was done.",
    ),
    "superseded": (
        "Thẻ này đã được thay bằng thẻ mới hơn; bạn xem thẻ mới nhất nhé.",
        "That card was replaced by a newer one; please use the latest card.",
    ),
    "ask_again": (
        "Bạn muốn làm theo thẻ xác nhận ở trên chứ? Bấm một nút để chọn nhé.",
        "Shall I go ahead with the card above? Please press one of its buttons.",
    ),
}


def _t(lang: Lang, key: str, **values: object) -> str:
    vi, en = _TEXT[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def _money(amount: int, lang: Lang) -> str:
    return format_vnd(amount)  # the đồng sign reads the same in both languages


def decision_text(key: str, lang: Lang, **values: object) -> str:
    """What a flow says after a decision on a card (declined, changed, expired...)."""
    return _t(lang, key, **values)


def card_payload(token: str, decision: Decision) -> str:
    return f"{PAYLOAD_PREFIX}:{token}:{decision.value}"


def parse_card_payload(payload: str) -> tuple[str, Decision] | None:
    """(token, decision) of a card button, None for any other payload."""
    kind, _, rest = payload.strip().partition(":")
    if kind != PAYLOAD_PREFIX:
        return None
    token, _, decision = rest.rpartition(":")
    if not token or decision not in {d.value for d in Decision}:
        return None
    return token, Decision(decision)


def card_text(card: ConfirmationCard, lang: Lang, timezone: str) -> str:
    order = next((f.value for f in card.fields if f.key == "order"), "")
    title_key = f"title_{card.kind.value}"
    title = _t(lang, title_key, order=order)
    if card.kind is CardKind.GENERIC and card.title:
        title = f"{_t(lang, 'title_generic')}: {card.title}"
    parts = [title]
    for ln in card.lines:
        parts.append(
            _t(
                lang,
                "line",
                name=ln.name,
                quantity=ln.quantity,
                unit=_money(ln.unit_price, lang),
                total=_money(ln.line_total, lang),
            )
        )
        if ln.vat_rate:
            parts.append(_t(lang, "line_vat", rate=ln.vat_rate, amount=_money(ln.vat_amount, lang)))
    if card.totals is not None:
        parts.extend(_totals(card, lang))
    for f in card.fields:
        if f.key == "order" and card.kind is CardKind.CANCEL_ORDER:
            continue
        parts.append(f"{_label(f.key, lang)}: {_value(f.key, f.value, f.customer_written, lang)}")
    if card.kind is CardKind.PLACE_ORDER:
        parts.append(_t(lang, "expires", time=_local(card.expires_at, timezone)))
    parts.append(_t(lang, f"ask_{card.kind.value}"))
    return "\n".join(parts)


def _totals(card: ConfirmationCard, lang: Lang) -> list[str]:
    t = card.totals
    assert t is not None
    out = []
    out.append(_t(lang, "subtotal", amount=_money(t.subtotal, lang)))
    if t.discount:
        out.append(_t(lang, "discount", amount=_money(t.discount, lang)))
    if t.vat_total:
        key = "vat_included" if t.prices_include_vat else "vat_added"
        out.append(_t(lang, key, amount=_money(t.vat_total, lang)))
    if t.shipping_fee:
        out.append(_t(lang, "shipping", amount=_money(t.shipping_fee, lang)))
    elif card.kind is CardKind.PLACE_ORDER:
        out.append(_t(lang, "shipping_free"))
    out.append(_t(lang, "total", amount=_money(t.total, lang)))
    if t.cod_amount:
        out.append(_t(lang, "cod", amount=_money(t.cod_amount, lang)))
    return out


def _label(key: str, lang: Lang) -> str:
    return _t(lang, f"field_{key}") if f"field_{key}" in _TEXT else key


def _value(key: str, value: str, customer_written: bool, lang: Lang) -> str:
    if key == "buyer_phone":
        return display_phone(value)
    if key in ("payment_method", "status"):
        # The button flow's catalogue names statuses and payment methods for customers; it is
        # imported here, not at the top, because the flow's package imports this module.
        from agents.offline.messages import payment_label, status_label

        return (payment_label if key == "payment_method" else status_label)(lang, value)
    if customer_written:
        return f"“{value}”"
    return value


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def card_buttons(card: ConfirmationCard, lang: Lang) -> list[Button]:
    yes = {
        CardKind.PLACE_ORDER: "btn_place_order",
        CardKind.CANCEL_ORDER: "btn_cancel_order",
    }.get(card.kind, "btn_generic")
    no = "btn_keep_order" if card.kind is CardKind.CANCEL_ORDER else "btn_not_now"
    buttons = [Button(title=_t(lang, yes), payload=card_payload(card.token, Decision.CONFIRM))]
    if card.kind is not CardKind.CANCEL_ORDER:
        buttons.append(
            Button(title=_t(lang, "btn_change"), payload=card_payload(card.token, Decision.CHANGE))
        )
    buttons.append(Button(title=_t(lang, no), payload=card_payload(card.token, Decision.CANCEL)))
    return buttons


def card_reply(card: ConfirmationCard, lang: Lang, timezone: str) -> Reply:
    """The card as a reply: the card itself, and its text and buttons for any channel."""
    return Reply(text=card_text(card, lang, timezone), buttons=card_buttons(card, lang), card=card)


def ask_again(card: ConfirmationCard, lang: Lang) -> Reply:
    """For a reply that is neither a clear yes nor a clear no: ask with the card's buttons."""
    return Reply(text=_t(lang, "ask_again"), buttons=card_buttons(card, lang))
