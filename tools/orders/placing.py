"""Placing the customer's order: from a quote (preferred) or lines, after the customer said
yes on the confirmation card; the buyer a quote names is the buyer of the order, and the
buyer's details are kept for next time."""

from __future__ import annotations

from typing import Any

from core.cards import CardField, CardKind
from core.errors import Conflict, InsufficientStock, InvalidInput
from core.phone import normalise_phone
from core.text import fold
from storage import customers, order_writes
from storage.models import Quote
from tools.context import ToolContext
from tools.customer_links import claim_phone
from tools.order_models import AddressIn, LineIn, OrderOut, PricedLineIn
from tools.orders.cards import address_text, card_lines, card_totals
from tools.orders.quoting import buyer_of, check_open, load_quote, quote_order
from tools.orders.reading import load_order, order_out
from tools.orders.schemas import PlaceOrderIn, QuoteBuyer, QuoteIn, QuoteOut
from tools.orders.writing import Draft, Item, draft_items, write_order
from tools.pending import Prepared
from tools.registry import CUSTOMER, STAFF, tool

# How a customer ordering in chat may pay; card, e-wallet and marketplace payments are recorded
# by staff and integrations.
CUSTOMER_PAYMENTS = ("cod", "bank_transfer")


def _refuse_payment(ctx: ToolContext, payment: str | None) -> None:
    if ctx.actor.is_customer and payment not in (None, *CUSTOMER_PAYMENTS):
        raise InvalidInput(
            f"Pay cash on delivery (cod) or by bank transfer (bank_transfer), not {payment}.",
            field="payment_method",
        )


async def _placed_with_key(
    ctx: ToolContext, channel: str, external_id: str | None
) -> OrderOut | None:
    """The order an earlier call with the same idempotency key placed, if any."""
    if not external_id:
        return None
    existing = await order_writes.order_id_by_external(ctx.tx, channel, external_id)
    if existing is None:
        return None
    return await order_out(ctx, await load_order(ctx, existing))


async def _quote_for_card(ctx: ToolContext, inp: PlaceOrderIn) -> QuoteOut:
    """The quote the card shows: the given one when it already names the buyer and nothing in
    the call changes it, else a new quote (same lines) with the buyer, payment and note."""
    quote = await load_quote(ctx, inp.quote_token) if inp.quote_token else None
    if quote is not None:
        check_open(quote, ctx)
        base = buyer_of(quote)
        quoted = quote.payload.get("quoted")
        if base is not None and quoted is not None:
            try:
                _refuse_other_buyer(inp, base, quote)
            except InvalidInput:
                pass  # the call changes something: quote again below
            else:
                return QuoteOut.model_validate(quoted)
        lines = [LineIn(sku=ln["sku"], quantity=ln["quantity"]) for ln in quote.payload["lines"]]
        payment = inp.payment_method or quote.payload.get("payment_method", "cod")
        note = inp.note if inp.note is not None else quote.payload.get("note", "")
    else:
        assert inp.lines is not None
        base = None
        lines = [LineIn(sku=ln.sku, quantity=ln.quantity) for ln in inp.lines]
        payment = inp.payment_method or "cod"
        note = inp.note or ""
    _refuse_payment(ctx, payment)
    return await quote_order.fn(
        ctx,
        QuoteIn(
            lines=lines,
            payment_method=payment,
            address=inp.address or (base.address if base else None),
            buyer_name=inp.buyer_name or (base.name if base else None),
            buyer_phone=inp.buyer_phone or (base.phone if base else None),
            note=note,
        ),
    )


async def _place_order_card(ctx: ToolContext, inp: PlaceOrderIn) -> Prepared:
    """place_order's confirmation card: the quote's lines and totals with the buyer it names.
    What runs on confirmation is that quote's token and nothing else, so the buyer, payment
    and note are exactly what the card showed."""
    out = await _quote_for_card(ctx, inp)
    if out.buyer is None:
        raise InvalidInput(
            "Ask the customer for their name, phone and delivery address first.",
            field="buyer_name",
            code="buyer_missing",
        )
    if not out.all_available:
        raise InsufficientStock(
            "Not enough stock for every line; offer what is available.",
            field="lines",
            details={"lines": [s.model_dump() for s in out.short]},
        )
    args: dict[str, Any] = {"quote_token": out.quote_token, "channel": inp.channel}
    if inp.idempotency_key:
        args["idempotency_key"] = inp.idempotency_key
    fields = [
        CardField(key="buyer_name", value=out.buyer.name),
        CardField(key="buyer_phone", value=out.buyer.phone),
        CardField(key="address", value=address_text(out.buyer.address)),
        CardField(key="payment_method", value=out.payment_method),
    ]
    if out.note:
        fields.append(CardField(key="note", value=out.note, customer_written=ctx.actor.is_customer))
    return Prepared(
        args=PlaceOrderIn(**args),
        kind=CardKind.PLACE_ORDER,
        lines=card_lines(out),
        totals=card_totals(out, out.prices_include_vat),
        fields=fields,
        expires_at=out.expires_at,
    )


async def _write_or_replay(ctx: ToolContext, d: Draft) -> OrderOut:
    """A concurrent call with the same key may commit its order between our look-up and our
    write (PostgreSQL, READ COMMITTED): its order is then this call's answer too."""
    try:
        return await write_order(ctx, d)
    except Conflict as exc:
        placed = await _placed_with_key(ctx, d.channel, d.external_id)
        if exc.code != "duplicate_external_id" or placed is None:
            raise
        return placed


@tool(
    name="place_order",
    description="""Place the customer's order after they explicitly confirmed the quote. Needs
    the quote_token (or lines), buyer name, phone and delivery address. Reserves the stock and
    returns the order number. Refused if stock ran out or the quote expired (quote again).""",
    roles=STAFF | CUSTOMER,
    confirm=_place_order_card,
)
async def place_order(ctx: ToolContext, inp: PlaceOrderIn) -> OrderOut:
    customer_id = ctx.customer_id()
    external_id = f"key:{inp.idempotency_key}" if inp.idempotency_key else None
    if placed := await _placed_with_key(ctx, inp.channel, external_id):
        return placed
    quote_id = 0
    payment = inp.payment_method
    _refuse_payment(ctx, payment)
    note = inp.note
    if inp.quote_token:
        # Locked: two calls placing the same quote at once queue up, and the second sees it used.
        quote = await load_quote(ctx, inp.quote_token, lock=True)
        # The same call may have placed it while this one waited for the quote's lock.
        if quote.status != "open" and (
            placed := await _placed_with_key(ctx, inp.channel, external_id)
        ):
            return placed
        check_open(quote, ctx)
        buyer = buyer_of(quote)
        if buyer is not None:
            _refuse_other_buyer(inp, buyer, quote)
            name, phone, address = buyer.name, buyer.phone, buyer.address
            note = quote.payload.get("note", "")
            payment = quote.payload.get("payment_method", "cod")
        else:
            name, phone, address = _given_buyer(inp)
        items = await _quoted_items(ctx, quote)
        shipping_fee: int | None = quote.payload["shipping_fee"]
        payment = payment or quote.payload.get("payment_method", "cod")
        quote.status = "used"
        quote_id = quote.id
    else:
        assert inp.lines is not None
        name, phone, address = _given_buyer(inp)
        items = await draft_items(ctx, inp.lines)
        shipping_fee = None
    order = await _write_or_replay(
        ctx,
        Draft(
            channel=inp.channel,
            external_id=external_id,
            customer_id=customer_id,
            buyer_name=name,
            buyer_phone=phone,
            address=address,
            items=items,
            discount=0,
            shipping_fee=shipping_fee,
            shipping_payer="buyer",
            shipping_auto=True,  # a quote's fee is the shop's rule, re-applied on edits
            payment_method=payment or "cod",
            note=note or "",
            backorder=False,
            quote_id=quote_id,
        ),
    )
    if customer_id is not None:
        await _remember_buyer(ctx, customer_id, name, phone, address)
    return order


async def _quoted_items(ctx: ToolContext, quote: Quote) -> list[Item]:
    """The quote's lines at the prices it quoted."""
    return await draft_items(ctx, [PricedLineIn(**ln) for ln in quote.payload["lines"]])


def _refuse_other_buyer(inp: PlaceOrderIn, buyer: QuoteBuyer, quote: Quote) -> None:
    """A quote with a buyer is what the customer confirmed: other details are refused, not
    quietly applied (the customer saw the quote's)."""
    stored: dict[str, Any] = {
        "buyer_name": buyer.name,
        "buyer_phone": buyer.phone,
        "address": buyer.address,
        "payment_method": quote.payload.get("payment_method", "cod"),
        "note": quote.payload.get("note", ""),
    }
    given: dict[str, Any] = {
        **inp.given_buyer(),
        "payment_method": inp.payment_method,
        "note": inp.note,
    }
    if given["buyer_name"] is not None:
        given["buyer_name"] = " ".join(given["buyer_name"].split())
    if given["buyer_phone"] is not None:
        given["buyer_phone"] = normalise_phone(given["buyer_phone"], field="buyer_phone")
    for field, value in given.items():
        if value is not None and value != stored[field]:
            raise InvalidInput(
                "The buyer's details, payment and note are part of the quote the customer "
                "confirmed; quote again to change them.",
                field=field,
                code="buyer_in_quote",
            )


def _given_buyer(inp: PlaceOrderIn) -> tuple[str, str, AddressIn]:
    for field, value in inp.given_buyer().items():
        if value is None:
            raise InvalidInput(
                "Give the buyer's name, phone and delivery address (or a quote that has them).",
                field=field,
                code="buyer_missing",
            )
    assert inp.buyer_name is not None
    assert inp.buyer_phone is not None
    assert inp.address
    return (
        inp.buyer_name.strip(),
        normalise_phone(inp.buyer_phone, field="buyer_phone"),
        inp.address,
    )


async def _remember_buyer(
    ctx: ToolContext, customer_id: int, name: str, phone: str | None, address: AddressIn | None
) -> None:
    """A customer's name, phone and address are kept for next time. A phone that belongs to
    another customer is not taken over: it is kept as this customer's unconfirmed phone, which
    links the two records until staff merge them (tools/customer_links.py)."""
    addr = address or AddressIn(line="-")
    known = await customers.known_buyer(
        ctx.tx,
        customer_id,
        phone or "",
        line=addr.line,
        ward=addr.ward,
        district=addr.district,
        province=addr.province,
    )
    if name and not known.name:
        await customers.fill_name(ctx.tx, customer_id, name, fold(name))
    if phone and known.phone_owner is None:
        await customers.add_phone(ctx.tx, customer_id, phone)
    elif phone and known.phone_owner != customer_id:
        await claim_phone(ctx, customer_id, phone)  # kept unconfirmed, linked to its owner
    if address is not None and not known.address_known:
        await customers.add_address(
            ctx.tx,
            customer_id,
            recipient=name,
            phone=phone,
            line=address.line,
            ward=address.ward,
            district=address.district,
            province=address.province,
        )
