"""Order cards for staff: everything needed to act on an order, and the buttons the order's
state and the viewer's role allow, derived from the transition table and the registry.

A card is data (``OrderCard``); the staff page draws it as HTML and a Telegram staff bot as a
message with an inline keyboard (``card.text`` is the plain-text form). Buttons carry typed
payloads (agents/staff/payloads.py) that ``StaffDesk.press`` dispatches to the same tools.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from agents.staff.labels import MOVE_TO, STATUS, Lang, pick, word
from agents.staff.payloads import Act, Press
from core.cards import CardField
from core.money import format_vnd
from core.order_status import EDITABLE, HOLDS_RESERVATION, SHIPPED, TRANSITIONS, OrderStatus
from tools.order_models import AddressIn, OrderOut

S = OrderStatus
# Statuses an order reaches by itself (confirming without stock waits): never a button.
AUTOMATIC = frozenset({S.AWAITING_STOCK})
# Statuses from which booking a shipment and issuing an invoice make sense.
SHIPPABLE = frozenset({S.READY_TO_SHIP})
INVOICEABLE = frozenset(set(S) - {S.NEW, S.AWAITING_STOCK, S.CANCELLED})
_ORDER = list(S)
# Orders typed in by staff: their note is the staff's, not the customer's.
STAFF_ENTERED = frozenset({"manual", "phone"})


class CardButton(BaseModel):
    label: str
    payload: str
    note: str = ""  # e.g. "not set up yet": shown beside the label, the press still answers
    # A form the surface opens instead of sending the press (the page's edit form); surfaces
    # without forms send the press and show its answer.
    form: str | None = None


class CardLineOut(BaseModel):
    name: str
    sku: str
    quantity: int
    unit_price: int
    line_total: int
    stock: str  # reserved, short N, shipped


class SuggestionOut(BaseModel):
    sku: str
    missing: int


class OrderCard(BaseModel):
    order_id: int
    number: str
    status: str
    status_label: str
    channel: str
    buyer_name: str
    buyer_phone: str
    address: str
    address_fields: AddressIn | None  # what an edit form starts from
    lines: list[CardLineOut]
    subtotal: int
    discount: int
    shipping_fee: int
    total: int
    cod_amount: int
    payment_method: str
    payment_status: str
    paid_amount: int
    amount_due: int
    note: CardField | None
    purchase_suggestions: list[SuggestionOut]
    buttons: list[CardButton]
    text: str


def status_press(order_id: int, current: S, target: S) -> Press:
    if target is S.CONFIRMED and current in (S.NEW, S.AWAITING_STOCK):
        return Press(Act.CONFIRM, order_id)
    if target is S.CANCELLED:
        return Press(Act.CANCEL, order_id)
    return Press(Act.STATUS, order_id, target)


def next_presses(order: OrderOut) -> list[Press]:
    """Every step the order's state allows, in a fixed order (before any role filtering)."""
    current = S(order.status)
    out: list[Press] = []
    for target in S:
        if target not in TRANSITIONS[current] or target in AUTOMATIC:
            continue
        if target is S.RETURNED and current is not S.DELIVERY_FAILED:
            continue  # delivered goods come back through a return (/return)
        out.append(status_press(order.id, current, target))
    if current in EDITABLE:
        out.append(Press(Act.EDIT, order.id))
    if current in SHIPPABLE:
        out.append(Press(Act.SHIP, order.id))
    if current in INVOICEABLE:
        out.append(Press(Act.INVOICE, order.id))
    if order.refund_due > 0:
        out.append(Press(Act.REFUND, order.id))
    if current is S.AWAITING_STOCK and order.purchase_suggestions:
        out.append(Press(Act.DRAFT_PO, order.id))
    return out


def _label(press: Press, order: OrderOut, lang: Lang) -> tuple[str, str]:
    current = S(order.status)
    if press.act is Act.CONFIRM:
        return pick(lang, MOVE_TO[S.CONFIRMED]), ""
    if press.act is Act.CANCEL:
        return pick(lang, MOVE_TO[S.CANCELLED]), ""
    if press.act is Act.STATUS and press.status is not None:
        if _ORDER.index(press.status) < _ORDER.index(current) and current is not S.DELIVERY_FAILED:
            return word(lang, "back_to", status=pick(lang, STATUS[press.status])), ""
        return pick(lang, MOVE_TO[press.status]), ""
    if press.act is Act.EDIT:
        return word(lang, "edit"), ""
    if press.act is Act.SHIP:
        return word(lang, "ship"), word(lang, "not_set_up")
    if press.act is Act.INVOICE:
        return word(lang, "invoice"), word(lang, "not_set_up")
    if press.act is Act.REFUND:
        return word(lang, "refund", amount=format_vnd(order.refund_due)), ""
    return word(lang, "draft_po"), ""


def _stock(order: OrderOut, quantity: int, reserved: int, lang: Lang) -> str:
    status = S(order.status)
    if status in SHIPPED:
        return word(lang, "shipped")
    if status not in HOLDS_RESERVATION:
        return "—"
    missing = quantity - reserved
    return word(lang, "reserved") if missing <= 0 else word(lang, "short", n=missing)


def build_order_card(order: OrderOut, allows: Callable[[str], bool], lang: Lang) -> OrderCard:
    """The card for one viewer: ``allows(tool_name)`` is the viewer's role in the registry."""
    buttons = []
    for press in next_presses(order):
        if allows(press.tool):
            label, hint = _label(press, order, lang)
            form = "edit_order" if press.act is Act.EDIT else None
            buttons.append(CardButton(label=label, payload=press.encode(), note=hint, form=form))
    addr = order.address
    address = (
        ", ".join(x for x in (addr.line, addr.ward, addr.district, addr.province) if x)
        if addr
        else ""
    )
    lines = [
        CardLineOut(
            name=ln.name,
            sku=ln.sku,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            line_total=ln.line_total,
            stock=_stock(order, ln.quantity, ln.reserved, lang),
        )
        for ln in order.lines
    ]
    note = (
        CardField(key="note", value=order.note, customer_written=order.channel not in STAFF_ENTERED)
        if order.note.strip()
        else None
    )
    card = OrderCard(
        order_id=order.id,
        number=order.number,
        status=order.status,
        status_label=pick(lang, STATUS[S(order.status)]),
        channel=order.channel,
        buyer_name=order.buyer_name,
        buyer_phone=order.buyer_phone or "",
        address=address,
        address_fields=addr,
        lines=lines,
        subtotal=order.subtotal,
        discount=order.discount,
        shipping_fee=order.shipping_fee,
        total=order.total,
        cod_amount=order.cod_amount,
        payment_method=order.payment_method,
        payment_status=order.payment_status,
        paid_amount=order.paid_amount,
        amount_due=order.amount_due,
        note=note,
        purchase_suggestions=[
            SuggestionOut(sku=s.sku, missing=s.missing) for s in order.purchase_suggestions
        ],
        buttons=buttons,
        text="",
    )
    card.text = card_text(card, lang)
    return card


def card_text(card: OrderCard, lang: Lang) -> str:
    """The card as plain text (Telegram message, command answers)."""
    out = [
        f"{card.number} · {card.status_label} · {card.channel}",
        f"{card.buyer_name} · {card.buyer_phone}",
    ]
    if card.address:
        out.append(card.address)
    out += [
        f"• {ln.quantity} × {ln.name} ({ln.sku}) = {format_vnd(ln.line_total)} [{ln.stock}]"
        for ln in card.lines
    ]
    if card.discount:
        out.append(f"{word(lang, 'discount')}: -{format_vnd(card.discount)}")
    out.append(f"{word(lang, 'shipping_fee')}: {format_vnd(card.shipping_fee)}")
    out.append(f"{word(lang, 'total')}: {format_vnd(card.total)} · {card.payment_method}")
    if card.cod_amount:
        out.append(f"{word(lang, 'cod')}: {format_vnd(card.cod_amount)}")
    if card.paid_amount:
        out.append(f"{word(lang, 'paid')}: {format_vnd(card.paid_amount)}")
    if card.note is not None:
        out.append(f"{word(lang, 'customer_note')}: «{card.note.value}»")
    if card.purchase_suggestions:
        needs = ", ".join(f"{s.sku} × {s.missing}" for s in card.purchase_suggestions)
        out.append(word(lang, "suggest", lines=needs))
    return "\n".join(out)
