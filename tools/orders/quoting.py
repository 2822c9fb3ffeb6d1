"""Quoting: a basket priced with its shipping fee and VAT, its stock held for a while
(tools.holds) so it is still there when the customer confirms; and the rules for reading a
quote back (whose it is, whether it is still open)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from core.allocation import Need
from core.errors import Conflict, InvalidInput, NotFound
from core.money import OrderTotals
from core.phone import normalise_phone
from storage import orders as stored
from storage.models import Quote
from tools.context import ToolContext
from tools.holds import hold_quote, plan_quote
from tools.orders.schemas import QuoteBuyer, QuoteIn, QuoteLineOut, QuoteOut, ShortLine
from tools.orders.writing import Item, draft_items, item_totals
from tools.registry import CUSTOMER, STAFF, tool
from tools.reservations import Allocation, drop_quote_holds


def _quote_buyer(inp: QuoteIn) -> QuoteBuyer | None:
    """The buyer when the quote names one in full; a partial one is refused naming the gap."""
    given = {
        "buyer_name": inp.buyer_name,
        "buyer_phone": inp.buyer_phone,
        "address": inp.address if inp.address and inp.address.province else None,
    }
    if inp.buyer_name is None and inp.buyer_phone is None:
        return None
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise InvalidInput(
            "A quote for a buyer needs their name, phone and full delivery address "
            f"(street, ward, district, province); missing: {', '.join(missing)}.",
            field=missing[0],
            code="buyer_incomplete",
        )
    assert inp.buyer_name is not None
    assert inp.buyer_phone is not None
    assert inp.address
    return QuoteBuyer(
        name=" ".join(inp.buyer_name.split()),
        phone=normalise_phone(inp.buyer_phone, field="buyer_phone"),
        address=inp.address,
    )


def _short_lines(alloc: Allocation, items: list[Item]) -> list[ShortLine]:
    """The lines that cannot be served, with what is available of each."""
    short = []
    for n in alloc.plan.unserved:
        total = sum(lvl.available for (v, _), lvl in alloc.levels.items() if v == n.variant_id)
        short.append(
            ShortLine(sku=items[n.line_key].variant.sku, requested=n.quantity, available=total)
        )
    return short


def _quote_out(
    ctx: ToolContext,
    inp: QuoteIn,
    buyer: QuoteBuyer | None,
    items: list[Item],
    totals: OrderTotals,
    alloc: Allocation,
    token: str,
    expires: datetime,
) -> QuoteOut:
    short = _short_lines(alloc, items)
    unserved = {n.line_key for n in alloc.plan.unserved}
    return QuoteOut(
        quote_token=token,
        expires_at=expires,
        lines=[
            QuoteLineOut(
                sku=it.variant.sku,
                name=it.variant.name,
                quantity=it.quantity,
                unit_price=it.unit_price,
                vat_rate=it.variant.vat_rate,
                vat_amount=a.vat,
                line_total=a.gross,
                available=i not in unserved,
            )
            for i, (it, a) in enumerate(zip(items, totals.lines, strict=True))
        ],
        subtotal=totals.subtotal,
        discount=totals.discount,
        vat_total=totals.vat_total,
        shipping_fee=totals.shipping_fee,
        total=totals.total,
        cod_amount=totals.total if inp.payment_method == "cod" else 0,
        prices_include_vat=ctx.config.prices_include_vat,
        all_available=not short,
        short=short,
        payment_method=inp.payment_method,
        buyer=buyer,
        note=inp.note,
    )


@tool(
    name="quote_order",
    description="""Price a basket before ordering: line prices, VAT, shipping fee and the total
    (and the COD amount to collect). Holds the quoted stock for a while so it is still there when
    the customer confirms. Always show this summary and get an explicit yes before place_order.
    Lines that cannot be served are listed under `short` with what is available.""",
    roles=STAFF | CUSTOMER,
)
async def quote_order(ctx: ToolContext, inp: QuoteIn) -> QuoteOut:
    buyer = _quote_buyer(inp)
    items = await draft_items(ctx, inp.lines)
    needs = [Need(i, it.variant.id, it.quantity) for i, it in enumerate(items)]
    alloc = await plan_quote(ctx, needs)
    totals, _fee = item_totals(ctx, items, 0, None, "buyer")
    expires = ctx.now + timedelta(minutes=ctx.config.hold_minutes)
    token = secrets.token_urlsafe(12)
    payload: dict[str, Any] = {
        "lines": [
            {"sku": it.variant.sku, "quantity": it.quantity, "unit_price": it.unit_price}
            for it in items
        ],
        "shipping_fee": totals.shipping_fee,
        "payment_method": inp.payment_method,
        "total": totals.total,
        "buyer": buyer.model_dump(mode="json") if buyer else None,
        "note": inp.note,
    }
    out = _quote_out(ctx, inp, buyer, items, totals, alloc, token, expires)
    # What a confirmation card shows is the quote itself, kept with it.
    payload["quoted"] = out.model_dump(mode="json")
    if (customer_id := ctx.customer_id()) is not None:
        await _supersede_quotes(ctx, customer_id)
    quote = Quote(
        token=token,
        customer_id=ctx.customer_id(),
        payload=payload,
        status="open",
        expires_at=expires,
        created_at=ctx.now,
    )
    await stored.add_quote(ctx.tx, quote)
    await hold_quote(ctx, quote.id, alloc, expires)
    return out


async def _supersede_quotes(ctx: ToolContext, customer_id: int) -> None:
    """A customer's new quote replaces their earlier ones, so their holds never stack up."""
    old = await stored.open_quote_ids(ctx.tx, customer_id)
    for qid in old:
        await drop_quote_holds(ctx, qid)
    await stored.mark_superseded(ctx.tx, old)


async def load_quote(ctx: ToolContext, token: str, *, lock: bool = False) -> Quote:
    """The caller's quote by its token; someone else's is as unknown as a missing one."""
    quote = await stored.quote_by_token(ctx.tx, token, lock=lock)
    if quote is None or (ctx.actor.is_customer and quote.customer_id != ctx.customer_id()):
        raise NotFound("That quote does not exist.", field="quote_token", code="unknown_quote")
    return quote


def check_open(quote: Quote, ctx: ToolContext) -> None:
    if quote.status == "superseded":
        raise Conflict(
            "A newer quote replaced this one; place the order with the latest "
            "quote_token, or quote again.",
            field="quote_token",
            code="quote_superseded",
        )
    if quote.status != "open":
        raise Conflict(
            "That quote was already used for an order.", field="quote_token", code="quote_used"
        )
    if quote.expires_at <= ctx.now:
        raise Conflict(
            "The quote expired; quote the order again.", field="quote_token", code="quote_expired"
        )


def buyer_of(quote: Quote) -> QuoteBuyer | None:
    raw = quote.payload.get("buyer")
    return QuoteBuyer.model_validate(raw) if raw else None
