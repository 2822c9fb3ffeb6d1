"""What the order tools' confirmation cards show of an order or a quote: lines and totals as
core.cards renders them."""

from __future__ import annotations

from core.cards import CardLine, CardTotals
from tools.order_models import AddressIn, OrderOut
from tools.orders.schemas import QuoteOut


def card_lines(out: QuoteOut | OrderOut) -> list[CardLine]:
    return [
        CardLine(
            name=ln.name,
            sku=ln.sku,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            vat_rate=ln.vat_rate,
            vat_amount=ln.vat_amount,
            line_total=ln.line_total,
        )
        for ln in out.lines
    ]


def card_totals(out: QuoteOut | OrderOut, prices_include_vat: bool) -> CardTotals:
    return CardTotals(
        subtotal=out.subtotal,
        discount=out.discount,
        vat_total=out.vat_total,
        shipping_fee=out.shipping_fee,
        total=out.total,
        cod_amount=out.cod_amount,
        prices_include_vat=prices_include_vat,
    )


def address_text(address: AddressIn | None) -> str:
    if address is None:
        return ""
    return ", ".join(
        p for p in (address.line, address.ward, address.district, address.province) if p
    )
