"""Turning tool results and flow state into replies: text, buttons and product cards.

Pure functions of their inputs (no tool calls), so what a customer sees is tested without a
database. Button titles are cut to the 40 characters every platform accepts.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import datetime

from agents.offline import payloads as P
from agents.offline.messages import Lang, payment_label, status_label, t
from agents.offline.state import Buyer, FlowState, cart_subtotal
from agents.types import Button, ProductCard, Reply
from core.money import format_vnd
from core.phone import display_phone
from tools.catalog import ProductHit, ProductOut
from tools.order_models import OrderOut
from tools.orders import OrderSummary

TITLE_MAX = 40


def short(text: str, limit: int = TITLE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def button(title: str, payload: str) -> Button:
    return Button(title=short(title), payload=payload[: P.MAX_PAYLOAD])


def price_range(low: int | None, high: int | None) -> str:
    if low is None:
        return ""
    if high is None or high == low:
        return format_vnd(low)
    return f"{format_vnd(low)} – {format_vnd(high)}"


def menu_buttons(lang: Lang, state: FlowState) -> list[Button]:
    count = state.cart_count
    cart = t(lang, "btn_cart_n", n=count) if count else t(lang, "btn_cart")
    return [
        button(t(lang, "btn_categories"), P.CATEGORIES),
        button(t(lang, "btn_search"), P.SEARCH),
        button(cart, P.CART),
        button(t(lang, "btn_orders"), P.ORDERS),
        button(t(lang, "btn_staff"), P.STAFF),
        button(t(lang, "btn_other_lang"), P.lang("en" if lang == "vi" else "vi")),
    ]


def menu(lang: Lang, state: FlowState, text: str | None = None) -> Reply:
    return Reply(text=text or t(lang, "menu_prompt"), buttons=menu_buttons(lang, state))


def welcome(lang: Lang, state: FlowState, shop_name: str) -> Reply:
    return menu(lang, state, t(lang, "welcome", shop=shop_name))


def hit_card(hit: ProductHit, lang: Lang) -> ProductCard:
    stock = t(lang, "in_stock") if hit.available > 0 else t(lang, "out_of_stock")
    subtitle = " · ".join(x for x in (hit.brand, stock) if x)
    buttons = [button(t(lang, "btn_view"), P.product(hit.product_id))]
    return ProductCard(
        product_id=hit.product_id,
        title=hit.name,
        subtitle=subtitle,
        price_text=price_range(hit.price_min, hit.price_max),
        image_url=hit.image,
        buttons=buttons,
    )


def product_card(product: ProductOut, lang: Lang) -> ProductCard:
    stock = t(lang, "in_stock") if product.available > 0 else t(lang, "out_of_stock")
    return ProductCard(
        product_id=product.id,
        title=product.name,
        subtitle=" · ".join(x for x in (product.brand, stock) if x),
        price_text=price_range(product.price_min, product.price_max),
        image_url=product.media[0] if product.media else None,
        buttons=[],
    )


def product_text(product: ProductOut, lang: Lang) -> str:
    text = t(
        lang,
        "product_detail",
        name=product.name,
        price=price_range(product.price_min, product.price_max),
    )
    text += " · " + t(lang, "in_stock" if product.available > 0 else "out_of_stock")
    if product.brand:
        text += f"\n{product.brand}"
    specs = ", ".join(f"{k}: {v}" for k, v in list(product.specs.items())[:4])
    if specs:
        text += f"\n{specs}"
    if product.description:
        text += f"\n{short(product.description, 300)}"
    return text


def phone_text(e164: str) -> str:
    try:
        return display_phone(e164)
    except Exception:  # a stored number the library no longer parses: show it as it is
        return e164


def buyer_text(buyer: Buyer) -> str:
    return " · ".join(x for x in (buyer.name, phone_text(buyer.phone), buyer.address_text()) if x)


def cart_reply(lang: Lang, state: FlowState, prefix: str = "") -> Reply:
    if not state.cart:
        text = f"{prefix}\n{t(lang, 'cart_empty')}".strip()
        return Reply(text=text, buttons=menu_buttons(lang, state))
    lines = [
        t(
            lang,
            "cart_line",
            i=i,
            item=item.title,
            quantity=item.quantity,
            amount=format_vnd(item.unit_price * item.quantity),
        )
        for i, item in enumerate(state.cart, 1)
    ]
    body = "\n".join(
        [
            *([prefix] if prefix else []),
            t(lang, "cart_title"),
            *lines,
            t(lang, "cart_total", amount=format_vnd(cart_subtotal(state))),
        ]
    )
    return Reply(
        text=body,
        buttons=[
            button(t(lang, "btn_checkout"), P.CHECKOUT),
            button(t(lang, "btn_change_qty"), P.CART_PICK_QTY),
            button(t(lang, "btn_remove"), P.CART_PICK_REMOVE),
            button(t(lang, "btn_continue"), P.CATEGORIES),
            button(t(lang, "btn_menu"), P.MENU),
        ],
    )


def local_time(moment: datetime, timezone: str, fmt: str) -> str:
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return moment.astimezone(zone).strftime(fmt)


def orders_reply(
    lang: Lang, orders: Sequence[OrderSummary], state: FlowState, timezone: str
) -> Reply:
    if not orders:
        return menu(lang, state, t(lang, "orders_none"))
    lines = [
        t(
            lang,
            "orders_line",
            number=o.number,
            date=local_time(o.created_at, timezone, "%d/%m/%Y"),
            status=status_label(lang, o.status),
            total=format_vnd(o.total),
        )
        for o in orders
    ]
    return Reply(
        text="\n".join([t(lang, "orders_title"), *lines]),
        buttons=[button(o.number, P.order(o.id)) for o in orders]
        + [button(t(lang, "btn_menu"), P.MENU)],
    )


def order_reply(
    lang: Lang,
    order: OrderOut,
    timezone: str,
    *,
    cancellable: bool,
    returnable: bool,
    payable: bool = False,
) -> Reply:
    lines = [
        t(
            lang,
            "order_line",
            item=ln.name,
            quantity=ln.quantity,
            amount=format_vnd(ln.line_total),
        )
        for ln in order.lines
    ]
    parts = [
        t(
            lang,
            "order_detail",
            number=order.number,
            date=local_time(order.created_at, timezone, "%d/%m/%Y %H:%M"),
            status=status_label(lang, order.status),
        ),
        *lines,
        t(
            lang,
            "order_total",
            total=format_vnd(order.total),
            payment=payment_label(lang, order.payment_method),
        ),
    ]
    buttons = []
    if payable:
        buttons.append(button(t(lang, "btn_how_to_pay"), P.order_pay(order.id)))
    if cancellable:
        buttons.append(button(t(lang, "btn_cancel_order"), P.order_cancel(order.id)))
    if returnable:
        buttons.append(button(t(lang, "btn_return"), P.order_return(order.id)))
    buttons += [
        button(t(lang, "btn_my_orders"), P.ORDERS),
        button(t(lang, "btn_menu"), P.MENU),
    ]
    return Reply(text="\n".join(parts), buttons=buttons)
