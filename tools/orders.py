"""Orders: quote, place, create, read, edit, confirm, cancel and move through the state machine.

Stock follows the order: placing reserves (warehouse chosen by core.allocation), cancelling
releases, shipping consumes, an undelivered parcel that comes back restocks. Placing an order
is the hot path of the whole system, so its writes use the compiled fast path (storage.fastsql).
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Boolean, Integer, String, bindparam, false, func, insert, select, update

from core.allocation import Need
from core.cards import CardField, CardKind, CardLine, CardTotals
from core.errors import (
    Conflict,
    IllegalTransition,
    InsufficientStock,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from core.money import (
    MAX_AMOUNT,
    OrderTotals,
    PricedLine,
    balance,
    format_vnd,
    order_totals,
)
from core.order_search import ByNumber, ByPhone, OrderSearch, read_order_search
from core.order_status import (
    CUSTOMER_CANCELLABLE,
    EDITABLE,
    OrderStatus,
    check_transition,
    consumes_stock,
    restocks,
)
from core.phone import normalise_phone
from core.roles import Role
from core.text import fold
from storage.base import UTCDateTime
from storage.fastsql import Sql
from storage.models import (
    Customer,
    CustomerAddress,
    CustomerPhone,
    Order,
    OrderEvent,
    OrderLine,
    Quote,
    order_number,
    parse_order_number,
)
from tools.context import ToolContext
from tools.customer_links import claim_phone
from tools.events import order_event
from tools.holds import hold_quote, plan_quote
from tools.idempotency import Idempotent
from tools.order_models import (
    AddressIn,
    Channel,
    LineIn,
    LineOut,
    OrderEventOut,
    OrderOut,
    PaymentMethod,
    PricedLineIn,
    PurchaseSuggestion,
    ShippingPayer,
)
from tools.pending import Prepared
from tools.registry import ACCOUNTING, CUSTOMER, SALES, STAFF, role_allowed, tool
from tools.reservations import (
    VariantRow,
    change_status,
    check_positive_unique,
    consume_lines,
    drop_quote_holds,
    order_lines,
    plan_for,
    release_lines,
    reserve_lines,
    restock_lines,
    shortage_error,
    variants_by_sku,
)
from tools.stock_ops import Move, apply_moves, lock_levels

# The largest id a database row can have (64-bit integer keys).
MAX_ID = 2**63 - 1
_p = bindparam
INSERT_ORDER = Sql(
    insert(Order)
    .values(
        channel=_p("channel", type_=String),
        external_id=_p("external_id", type_=String),
        customer_id=_p("customer_id", type_=Integer),
        status=_p("status", type_=String),
        buyer_name=_p("buyer_name", type_=String),
        buyer_search=_p("buyer_search", type_=String),
        buyer_phone=_p("buyer_phone", type_=String),
        address_line=_p("address_line", type_=String),
        ward=_p("ward", type_=String),
        district=_p("district", type_=String),
        province=_p("province", type_=String),
        subtotal=_p("subtotal", type_=Integer),
        discount=_p("discount", type_=Integer),
        vat_total=_p("vat_total", type_=Integer),
        shipping_fee=_p("shipping_fee", type_=Integer),
        shipping_auto=_p("shipping_auto", type_=Boolean),
        shipping_payer=_p("shipping_payer", type_=String),
        total=_p("total", type_=Integer),
        cod_amount=_p("cod_amount", type_=Integer),
        payment_method=_p("payment_method", type_=String),
        payment_status=_p("payment_status", type_=String),
        paid_amount=0,
        note=_p("note", type_=String),
        created_at=_p("created_at", type_=UTCDateTime),
        updated_at=_p("created_at", type_=UTCDateTime),
    )
    .returning(Order.id)
)
_LINE_COLUMNS = {
    "order_id": Integer,
    "variant_id": Integer,
    "sku": String,
    "name": String,
    "quantity": Integer,
    "unit_price": Integer,
    "vat_rate": Integer,
    "unit_cost": Integer,
    "discount": Integer,
    "vat_amount": Integer,
    "line_total": Integer,
    "warehouse_id": Integer,
    "reserved": Integer,
}


@functools.cache
def _insert_lines_sql(count: int) -> Sql:
    """All of an order's lines in one multi-row INSERT; ids come back keyed by SKU (unique
    within an order), since RETURNING does not promise row order."""
    rows: list[dict[str, Any]] = [
        {col: _p(f"{col}_{i}", type_=t) for col, t in _LINE_COLUMNS.items()} for i in range(count)
    ]
    return Sql(insert(OrderLine).values(rows).returning(OrderLine.id, OrderLine.sku))


SELECT_BY_EXTERNAL = Sql(
    select(Order.id).where(
        Order.channel == _p("channel", type_=String),
        Order.external_id == _p("external_id", type_=String),
    )
)
_cid = _p("customer_id", type_=Integer)
# What the shop already knows of this buyer, in one statement (the common case writes nothing).
KNOWN_BUYER = Sql(
    select(
        select(Customer.name).where(Customer.id == _cid).scalar_subquery(),
        select(CustomerPhone.customer_id)
        .where(CustomerPhone.phone == _p("phone", type_=String))
        .scalar_subquery(),
        select(func.count())
        .select_from(CustomerAddress)
        .where(
            CustomerAddress.customer_id == _cid,
            CustomerAddress.line == _p("line", type_=String),
            CustomerAddress.ward == _p("ward", type_=String),
            CustomerAddress.district == _p("district", type_=String),
            CustomerAddress.province == _p("province", type_=String),
        )
        .scalar_subquery(),
    )
)
INSERT_PHONE = Sql(
    insert(CustomerPhone).values(
        customer_id=_p("customer_id", type_=Integer), phone=_p("phone", type_=String)
    )
)
FILL_NAME = Sql(
    update(Customer)
    .where(Customer.id == _p("customer_id", type_=Integer), Customer.name == "")
    .values(name=_p("name", type_=String), search_text=_p("folded", type_=String))
)
INSERT_ADDRESS = Sql(
    insert(CustomerAddress).values(
        customer_id=_p("customer_id", type_=Integer),
        recipient=_p("recipient", type_=String),
        phone=_p("phone", type_=String),
        line=_p("line", type_=String),
        ward=_p("ward", type_=String),
        district=_p("district", type_=String),
        province=_p("province", type_=String),
        is_default=_p("is_default", type_=Boolean),
    )
)


# ---------------------------------------------------------------------------------------------
# Building and writing an order


@dataclass(frozen=True, slots=True)
class Item:
    variant: VariantRow
    quantity: int
    unit_price: int


@dataclass
class Draft:
    channel: str
    external_id: str | None
    customer_id: int | None
    buyer_name: str
    buyer_phone: str | None
    address: AddressIn | None
    items: list[Item]
    discount: int
    shipping_fee: int | None  # None: the shop's flat rule
    shipping_payer: str
    payment_method: str
    note: str
    backorder: bool  # True: short lines wait for stock; False: refuse the whole order
    quote_id: int = 0
    # Whether the fee follows the shop's rule when the lines change (default: no fee given).
    shipping_auto: bool | None = None


async def _items(ctx: ToolContext, lines: list[Any]) -> list[Item]:
    merged = check_positive_unique(lines)
    overrides = {
        ln.sku.strip(): ln.unit_price for ln in lines if getattr(ln, "unit_price", None) is not None
    }
    variants = await variants_by_sku(ctx, list(merged))
    return [
        Item(variants[sku], qty, overrides.get(sku, variants[sku].sale_price))
        for sku, qty in merged.items()
    ]


def _totals(
    ctx: ToolContext, items: list[Item], discount: int, shipping_fee: int | None, payer: str
) -> tuple[OrderTotals, int]:
    priced = [PricedLine(it.unit_price, it.quantity, it.variant.vat_rate) for it in items]
    return _priced_totals(ctx, priced, discount, shipping_fee, payer)


def _priced_totals(
    ctx: ToolContext,
    priced: list[PricedLine],
    discount: int,
    shipping_fee: int | None,
    payer: str,
) -> tuple[OrderTotals, int]:
    """The order's amounts and the parcel's shipping fee: ``shipping_fee`` as given, or (None)
    the shop's rule applied to the goods as the buyer pays for them (VAT in, discount off).
    The buyer's total includes the fee unless the seller pays it."""
    if discount > sum(p.unit_price * p.quantity for p in priced):
        raise InvalidInput("The discount is larger than the goods total.", field="discount")
    goods = order_totals(
        priced, discount=discount, prices_include_vat=ctx.config.prices_include_vat
    )
    fee = ctx.config.shipping.fee_for(goods.total) if shipping_fee is None else shipping_fee
    buyer = 0 if payer == "seller" else fee
    return _storable(replace(goods, shipping_fee=buyer, total=goods.total + buyer)), fee


def _storable(totals: OrderTotals) -> OrderTotals:
    """An order's amounts must fit its columns; a larger one is refused, not a crash."""
    if max(totals.subtotal, totals.total) > MAX_AMOUNT:
        raise InvalidInput(
            f"The order comes to more than {format_vnd(MAX_AMOUNT)}, more than one order can "
            "hold; split it into several orders.",
            field="lines",
            code="amount_too_large",
        )
    return totals


async def write_order(ctx: ToolContext, d: Draft) -> OrderOut:
    """Reserves and writes a new order in the caller's transaction."""
    sql = await ctx.sql()
    if d.external_id and await sql.fetch(
        SELECT_BY_EXTERNAL, {"channel": d.channel, "external_id": d.external_id}
    ):
        raise Conflict(
            f"An order with external id {d.external_id} already exists on {d.channel}.",
            field="external_id",
            code="duplicate_external_id",
        )
    needs = [Need(i, it.variant.id, it.quantity) for i, it in enumerate(d.items)]
    alloc = await plan_for(ctx, needs, quote_id=d.quote_id)
    if alloc.plan.unserved and not d.backorder:
        raise shortage_error(alloc, {it.variant.id: it.variant.sku for it in d.items})
    totals, fee = _totals(ctx, d.items, d.discount, d.shipping_fee, d.shipping_payer)
    status = OrderStatus.AWAITING_STOCK if alloc.plan.unserved else OrderStatus.NEW
    cod = totals.total if d.payment_method == "cod" else 0
    addr = d.address
    order_id = (
        await sql.fetch(
            INSERT_ORDER,
            {
                "channel": d.channel,
                "external_id": d.external_id,
                "customer_id": d.customer_id,
                "status": status.value,
                "buyer_name": d.buyer_name,
                "buyer_search": fold(d.buyer_name),
                "buyer_phone": d.buyer_phone,
                "address_line": addr.line if addr else "",
                "ward": addr.ward if addr else "",
                "district": addr.district if addr else "",
                "province": addr.province if addr else "",
                "subtotal": totals.subtotal,
                "discount": totals.discount,
                "vat_total": totals.vat_total,
                "shipping_fee": fee,
                "shipping_auto": d.shipping_fee is None
                if d.shipping_auto is None
                else d.shipping_auto,
                "shipping_payer": d.shipping_payer,
                "total": totals.total,
                "cod_amount": cod,
                "payment_method": d.payment_method,
                "payment_status": "unpaid",
                "note": d.note,
                "created_at": ctx.now,
            },
        )
    )[0][0]
    params: dict[str, Any] = {}
    moves: list[Move] = []
    for i, (it, amounts) in enumerate(zip(d.items, totals.lines, strict=True)):
        wh = alloc.plan.assigned.get(i)
        row = {
            "order_id": order_id,
            "variant_id": it.variant.id,
            "sku": it.variant.sku,
            "name": it.variant.name,
            "quantity": it.quantity,
            "unit_price": it.unit_price,
            "vat_rate": it.variant.vat_rate,
            "unit_cost": it.variant.cost_price,
            "discount": amounts.discount,
            "vat_amount": amounts.vat,
            "line_total": amounts.gross,
            "warehouse_id": wh,
            "reserved": it.quantity if wh is not None else 0,
        }
        params.update({f"{k}_{i}": v for k, v in row.items()})
        if wh is not None:
            moves.append(
                Move(
                    it.variant.id,
                    wh,
                    d_reserved=it.quantity,
                    reason="reservation",
                    ref_type="order",
                    ref_id=order_id,
                )
            )
    ids = {
        sku: line_id for line_id, sku in await sql.fetch(_insert_lines_sql(len(d.items)), params)
    }
    lines_out = [
        LineOut(
            id=ids[it.variant.sku],
            variant_id=it.variant.id,
            sku=it.variant.sku,
            name=it.variant.name,
            quantity=it.quantity,
            unit_price=it.unit_price,
            vat_rate=it.variant.vat_rate,
            discount=amounts.discount,
            vat_amount=amounts.vat,
            line_total=amounts.gross,
            warehouse_id=alloc.plan.assigned.get(i),
            reserved=it.quantity if i in alloc.plan.assigned else 0,
        )
        for i, (it, amounts) in enumerate(zip(d.items, totals.lines, strict=True))
    ]
    await apply_moves(ctx, moves)
    if d.quote_id:
        await drop_quote_holds(ctx, d.quote_id)
    suggestions = _suggestions(alloc, d.items)
    await order_event(
        ctx,
        order_id,
        "created",
        to_status=status.value,
        extra={
            "channel": d.channel,
            "total": totals.total,
            "awaiting": [s.sku for s in suggestions],
        },
    )
    return OrderOut(
        id=order_id,
        number=order_number(order_id),
        status=status.value,
        channel=d.channel,
        external_id=d.external_id,
        customer_id=d.customer_id,
        buyer_name=d.buyer_name,
        buyer_phone=d.buyer_phone,
        address=addr,
        lines=lines_out,
        subtotal=totals.subtotal,
        discount=totals.discount,
        vat_total=totals.vat_total,
        shipping_fee=fee,
        shipping_payer=d.shipping_payer,
        total=totals.total,
        cod_amount=cod,
        payment_method=d.payment_method,
        payment_status="unpaid",
        amount_due=totals.total,
        note=d.note,
        created_at=ctx.now,
        purchase_suggestions=suggestions,
    )


def _suggestions(alloc: Any, items: list[Item]) -> list[PurchaseSuggestion]:
    by_variant = {it.variant.id: it for it in items}
    out = []
    for need in alloc.plan.unserved:
        best = max(
            (lvl.available for (v, _), lvl in alloc.levels.items() if v == need.variant_id),
            default=0,
        )
        out.append(
            PurchaseSuggestion(
                variant_id=need.variant_id,
                sku=by_variant[need.variant_id].variant.sku,
                missing=need.quantity - best,
            )
        )
    return out


async def _remember_buyer(
    ctx: ToolContext, customer_id: int, name: str, phone: str | None, address: AddressIn | None
) -> None:
    """A customer's name, phone and address are kept for next time. A phone that belongs to
    another customer is not taken over: it is kept as this customer's unconfirmed phone, which
    links the two records until staff merge them (tools/customer_links.py)."""
    sql = await ctx.sql()
    addr = address or AddressIn(line="-")
    known_name, phone_owner, address_known = (
        await sql.fetch(
            KNOWN_BUYER,
            {
                "customer_id": customer_id,
                "phone": phone or "",
                "line": addr.line,
                "ward": addr.ward,
                "district": addr.district,
                "province": addr.province,
            },
        )
    )[0]
    if name and not known_name:
        await sql.execute(
            FILL_NAME, {"customer_id": customer_id, "name": name, "folded": fold(name)}
        )
    if phone and phone_owner is None:
        await sql.execute(INSERT_PHONE, {"customer_id": customer_id, "phone": phone})
    elif phone and phone_owner != customer_id:
        await claim_phone(ctx, customer_id, phone)  # kept unconfirmed, linked to its owner
    if address is not None and not address_known:
        await sql.execute(
            INSERT_ADDRESS,
            {
                "customer_id": customer_id,
                "line": address.line,
                "ward": address.ward,
                "district": address.district,
                "province": address.province,
                "recipient": name,
                "phone": phone,
                "is_default": False,
            },
        )


# ---------------------------------------------------------------------------------------------
# Quote and place (the customer's path)


class QuoteIn(BaseModel):
    lines: list[LineIn] = Field(min_length=1, max_length=50)
    payment_method: PaymentMethod = "cod"
    address: AddressIn | None = Field(default=None, description="Delivery address, if known")
    buyer_name: str | None = Field(default=None, min_length=1, max_length=200)
    buyer_phone: str | None = Field(default=None, min_length=6, max_length=20)
    note: str = Field(default="", max_length=1000, description="The customer's note")


class QuoteBuyer(BaseModel):
    """Who the quoted order is for. A quote with a buyer is what a customer confirms: placing
    it uses exactly these details, whatever the caller adds later."""

    name: str
    phone: str
    address: AddressIn


class QuoteLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: int
    vat_rate: int
    vat_amount: int
    line_total: int
    available: bool


class ShortLine(BaseModel):
    sku: str
    requested: int
    available: int


class QuoteOut(BaseModel):
    quote_token: str
    expires_at: datetime
    lines: list[QuoteLineOut]
    subtotal: int
    discount: int
    vat_total: int
    shipping_fee: int
    total: int
    cod_amount: int
    prices_include_vat: bool
    all_available: bool
    short: list[ShortLine]
    payment_method: PaymentMethod = "cod"
    buyer: QuoteBuyer | None = None
    note: str = ""


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
    items = await _items(ctx, inp.lines)
    needs = [Need(i, it.variant.id, it.quantity) for i, it in enumerate(items)]
    alloc = await plan_quote(ctx, needs)
    totals, _fee = _totals(ctx, items, 0, None, "buyer")
    expires = ctx.now + timedelta(minutes=ctx.config.hold_minutes)
    token = secrets.token_urlsafe(12)
    payload = {
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
    short = []
    unserved = {n.line_key for n in alloc.plan.unserved}
    for n in alloc.plan.unserved:
        total = sum(lvl.available for (v, _), lvl in alloc.levels.items() if v == n.variant_id)
        short.append(
            ShortLine(sku=items[n.line_key].variant.sku, requested=n.quantity, available=total)
        )
    out = QuoteOut(
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
    # What a confirmation card shows is the quote itself, kept with it.
    payload["quoted"] = out.model_dump(mode="json")
    if ctx.customer_id() is not None:
        await _supersede_quotes(ctx, ctx.customer_id())
    quote = Quote(
        token=token,
        customer_id=ctx.customer_id(),
        payload=payload,
        status="open",
        expires_at=expires,
        created_at=ctx.now,
    )
    ctx.session.add(quote)
    await ctx.session.flush()
    await hold_quote(ctx, quote.id, alloc, expires)
    return out


async def _supersede_quotes(ctx: ToolContext, customer_id: int | None) -> None:
    """A customer's new quote replaces their earlier ones, so their holds never stack up."""
    old = (
        (
            await ctx.session.execute(
                select(Quote.id).where(Quote.customer_id == customer_id, Quote.status == "open")
            )
        )
        .scalars()
        .all()
    )
    for qid in old:
        await drop_quote_holds(ctx, qid)
    if old:
        await ctx.session.execute(
            update(Quote).where(Quote.id.in_(old)).values(status="superseded")
        )


class PlaceOrderIn(BaseModel):
    quote_token: str | None = Field(default=None, description="Token from quote_order (preferred)")
    lines: list[LineIn] | None = Field(
        default=None, max_length=50, description="Only when there is no quote"
    )
    buyer_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Not needed with a quote_token"
    )
    buyer_phone: str | None = Field(default=None, min_length=6, max_length=20)
    address: AddressIn | None = None
    payment_method: PaymentMethod | None = None
    note: str | None = Field(default=None, max_length=1000)
    channel: Channel = "web"
    idempotency_key: str | None = Field(
        default=None,
        max_length=100,
        description="Same key, same order: a retried call returns the order already placed",
    )

    @model_validator(mode="after")
    def _quote_or_lines(self) -> PlaceOrderIn:
        if not self.quote_token and not self.lines:
            raise ValueError("give quote_token or lines")
        return self

    def given_buyer(self) -> dict[str, Any]:
        """The buyer details this call names (None: not given)."""
        return {
            "buyer_name": self.buyer_name,
            "buyer_phone": self.buyer_phone,
            "address": self.address,
        }


async def _placed_with_key(
    ctx: ToolContext, channel: str, external_id: str | None
) -> OrderOut | None:
    """The order an earlier call with the same idempotency key placed, if any."""
    if not external_id:
        return None
    existing = await (await ctx.sql()).fetch(
        SELECT_BY_EXTERNAL, {"channel": channel, "external_id": external_id}
    )
    if not existing:
        return None
    return await order_out(ctx, await load_order(ctx, existing[0][0]))


def _card_lines(out: QuoteOut | OrderOut) -> list[CardLine]:
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


def _card_totals(out: QuoteOut | OrderOut, prices_include_vat: bool) -> CardTotals:
    return CardTotals(
        subtotal=out.subtotal,
        discount=out.discount,
        vat_total=out.vat_total,
        shipping_fee=out.shipping_fee,
        total=out.total,
        cod_amount=out.cod_amount,
        prices_include_vat=prices_include_vat,
    )


def _address_text(address: AddressIn | None) -> str:
    if address is None:
        return ""
    return ", ".join(
        p for p in (address.line, address.ward, address.district, address.province) if p
    )


async def _quote_for_card(ctx: ToolContext, inp: PlaceOrderIn) -> QuoteOut:
    """The quote the card shows: the given one when it already names the buyer and nothing in
    the call changes it, else a new quote (same lines) with the buyer, payment and note."""
    quote = await _load_quote(ctx, inp.quote_token) if inp.quote_token else None
    if quote is not None:
        _check_open(quote, ctx)
        base = _buyer_of(quote)
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
    if ctx.actor.is_customer and payment not in CUSTOMER_PAYMENTS:
        raise InvalidInput(
            f"Pay cash on delivery (cod) or by bank transfer (bank_transfer), not {payment}.",
            field="payment_method",
        )
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
        CardField(key="address", value=_address_text(out.buyer.address)),
        CardField(key="payment_method", value=out.payment_method),
    ]
    if out.note:
        fields.append(CardField(key="note", value=out.note, customer_written=ctx.actor.is_customer))
    return Prepared(
        args=PlaceOrderIn(**args),
        kind=CardKind.PLACE_ORDER,
        lines=_card_lines(out),
        totals=_card_totals(out, out.prices_include_vat),
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
    if ctx.actor.is_customer and payment not in (None, *CUSTOMER_PAYMENTS):
        raise InvalidInput(
            f"Pay cash on delivery (cod) or by bank transfer (bank_transfer), not {payment}.",
            field="payment_method",
        )
    note = inp.note
    if inp.quote_token:
        # Locked: two calls placing the same quote at once queue up, and the second sees it used.
        quote = await _load_quote(ctx, inp.quote_token, lock=True)
        # The same call may have placed it while this one waited for the quote's lock.
        if quote.status != "open" and (
            placed := await _placed_with_key(ctx, inp.channel, external_id)
        ):
            return placed
        _check_open(quote, ctx)
        buyer = _buyer_of(quote)
        if buyer is not None:
            _refuse_other_buyer(inp, buyer, quote)
            name, phone, address = buyer.name, buyer.phone, buyer.address
            note = quote.payload.get("note", "")
            payment = quote.payload.get("payment_method", "cod")
        else:
            name, phone, address = _given_buyer(inp)
        lines = [PricedLineIn(**ln) for ln in quote.payload["lines"]]
        items = await _items(ctx, lines)
        shipping_fee: int | None = quote.payload["shipping_fee"]
        payment = payment or quote.payload.get("payment_method", "cod")
        quote.status = "used"
        quote_id = quote.id
    else:
        assert inp.lines is not None
        name, phone, address = _given_buyer(inp)
        items = await _items(ctx, inp.lines)
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


async def _load_quote(ctx: ToolContext, token: str, *, lock: bool = False) -> Quote:
    """The caller's quote by its token; someone else's is as unknown as a missing one."""
    stmt = select(Quote).where(Quote.token == token)
    quote = (
        await ctx.session.execute(stmt.with_for_update() if lock else stmt)
    ).scalar_one_or_none()
    if quote is None or (ctx.actor.is_customer and quote.customer_id != ctx.customer_id()):
        raise NotFound("That quote does not exist.", field="quote_token", code="unknown_quote")
    return quote


def _check_open(quote: Quote, ctx: ToolContext) -> None:
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


def _buyer_of(quote: Quote) -> QuoteBuyer | None:
    raw = quote.payload.get("buyer")
    return QuoteBuyer.model_validate(raw) if raw else None


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


# ---------------------------------------------------------------------------------------------
# Staff: create, read, list, edit


class CreateOrderIn(BaseModel):
    channel: Channel = "manual"
    external_id: str | None = Field(
        default=None, max_length=128, description="The marketplace's order id; unique per channel"
    )
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    buyer_name: str = Field(default="", max_length=200)
    buyer_phone: str | None = None
    address: AddressIn | None = None
    lines: list[PricedLineIn] = Field(min_length=1, max_length=200)
    discount: int = Field(default=0, ge=0)
    shipping_fee: int | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, description="Omit for the shop's flat rate"
    )
    shipping_payer: ShippingPayer = "buyer"
    payment_method: PaymentMethod = "cod"
    note: str = Field(default="", max_length=1000)
    backorder: bool = Field(default=True, description="Accept lines without stock (awaiting_stock)")


@tool(
    name="create_order",
    description="""Create an order for a customer (phone orders, marketplace imports, manual
    entry). Reserves stock; lines without stock put the order in awaiting_stock with a purchase
    suggestion unless backorder is false.""",
    roles=SALES,
)
async def create_order(ctx: ToolContext, inp: CreateOrderIn) -> OrderOut:
    phone = normalise_phone(inp.buyer_phone, field="buyer_phone") if inp.buyer_phone else None
    if inp.customer_id is not None and await ctx.session.get(Customer, inp.customer_id) is None:
        raise NotFound(
            f"Customer {inp.customer_id} does not exist.",
            field="customer_id",
            code="unknown_customer",
        )
    items = await _items(ctx, inp.lines)
    return await write_order(
        ctx,
        Draft(
            channel=inp.channel,
            external_id=inp.external_id,
            customer_id=inp.customer_id,
            buyer_name=inp.buyer_name.strip(),
            buyer_phone=phone,
            address=inp.address,
            items=items,
            discount=inp.discount,
            shipping_fee=inp.shipping_fee,
            shipping_payer=inp.shipping_payer,
            payment_method=inp.payment_method,
            note=inp.note,
            backorder=inp.backorder,
        ),
    )


async def load_order(ctx: ToolContext, order_id: int, *, lock: bool = False) -> Order:
    """Reads an order; ``lock`` takes its row lock first, so changes to one order queue up and
    the lock order is always order row, then stock rows (no deadlocks between order tools)."""
    order = await ctx.session.get(Order, order_id, populate_existing=True, with_for_update=lock)
    if order is None or (ctx.actor.is_customer and order.customer_id != ctx.customer_id()):
        # Customers are told the same thing for other people's orders as for missing ones.
        raise NotFound(
            f"Order {order_number(order_id)} was not found.", field="order_id", code="unknown_order"
        )
    return order


async def order_out(ctx: ToolContext, order: Order, *, events: bool = False) -> OrderOut:
    lines = await order_lines(ctx, order.id)
    event_rows = None
    if events:
        event_rows = [
            OrderEventOut(
                kind=e.kind,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=e.actor,
                note=e.note,
                created_at=e.created_at,
            )
            for e in (
                await ctx.session.execute(
                    select(OrderEvent)
                    .where(OrderEvent.order_id == order.id)
                    .order_by(OrderEvent.id)
                )
            ).scalars()
        ]
    due, back = balance(
        order.total, order.paid_amount, cancelled=order.status == OrderStatus.CANCELLED
    )
    suggestions = [
        PurchaseSuggestion(variant_id=ln.variant_id, sku=ln.sku, missing=ln.quantity - ln.reserved)
        for ln in lines
        if ln.reserved < ln.quantity and order.status == OrderStatus.AWAITING_STOCK
    ]
    return OrderOut(
        id=order.id,
        number=order.number,
        status=order.status,
        channel=order.channel,
        external_id=order.external_id,
        customer_id=order.customer_id,
        buyer_name=order.buyer_name,
        buyer_phone=order.buyer_phone,
        address=AddressIn(
            line=order.address_line,
            ward=order.ward,
            district=order.district,
            province=order.province,
        )
        if order.address_line
        else None,
        lines=[LineOut.model_validate(ln) for ln in lines],
        subtotal=order.subtotal,
        discount=order.discount,
        vat_total=order.vat_total,
        shipping_fee=order.shipping_fee,
        shipping_payer=order.shipping_payer,
        total=order.total,
        cod_amount=order.cod_amount,
        payment_method=order.payment_method,
        payment_status=order.payment_status,
        paid_amount=order.paid_amount,
        amount_due=due,
        refund_due=back,
        note=order.note,
        created_at=order.created_at,
        purchase_suggestions=suggestions,
        events=event_rows,
    )


class OrderRef(BaseModel):
    order_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Numeric id")
    number: str | None = Field(default=None, description="Order number such as DH000123")

    @model_validator(mode="after")
    def _one(self) -> OrderRef:
        if self.order_id is None and not self.number:
            raise ValueError("give order_id or number")
        return self

    def resolve(self) -> int:
        if self.order_id is not None:
            return self.order_id
        parsed = parse_order_number(self.number or "")
        if parsed is None or parsed > MAX_ID:
            raise InvalidInput(f"'{self.number}' is not an order number.", field="number")
        return parsed


@tool(
    name="get_order",
    description="""Show one order: status, lines, totals, payment and its history. Customers
    can only see their own orders.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_order(ctx: ToolContext, inp: OrderRef) -> OrderOut:
    return await order_out(ctx, await load_order(ctx, inp.resolve()), events=True)


class ListOrdersIn(BaseModel):
    status: OrderStatus | None = None
    channel: Channel | None = None
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Staff only")
    search: str | None = Field(
        default=None,
        description="An order number (DH000012, dh12, #12, or up to 6 digits: 12), a phone "
        "(7 or more digits as typed: 0912 345 678, +84912345678, 84912345678; part of one "
        "matches its start or its last digits) or part of the buyer's name (accents optional)",
    )
    date_from: datetime | None = None
    date_to: datetime | None = None
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=MAX_ID)


class OrderSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    status: str
    channel: str
    buyer_name: str
    total: int
    created_at: datetime


class ListOrdersOut(BaseModel):
    orders: list[OrderSummary]
    total_count: int


def _search_condition(search: OrderSearch) -> Any:
    """The rule is core.order_search's; names are compared folded ("hanh" finds "Hạnh")."""
    if isinstance(search, ByNumber):
        return Order.id == search.order_id if search.order_id <= MAX_ID else false()
    if isinstance(search, ByPhone):
        if search.exact is not None:
            return Order.buyer_phone == search.exact
        return Order.buyer_phone.like(search.like or "")
    return Order.buyer_search.contains(search.folded, autoescape=True)


def _aware(at: datetime, tz: ZoneInfo) -> datetime:
    """A date and time given without a timezone is the shop's local time."""
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


@tool(
    name="list_orders",
    description="""List orders, newest first, filtered by status, channel, customer, dates or
    `search`: DH000012, dh12, #12 or a bare number of up to 6 digits is an order number; 7 or
    more digits as a phone is typed (0912 345 678, +84912345678) is the buyer's phone (a part
    of one matches its start or last digits); anything else is part of the buyer's name.
    Customers only ever see their own orders.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def list_orders(ctx: ToolContext, inp: ListOrdersIn) -> ListOrdersOut:
    conds: list[Any] = []
    if ctx.actor.is_customer:
        conds.append(Order.customer_id == ctx.customer_id())
    elif inp.customer_id is not None:
        conds.append(Order.customer_id == inp.customer_id)
    if inp.status:
        conds.append(Order.status == inp.status.value)
    if inp.channel:
        conds.append(Order.channel == inp.channel)
    shop_tz = ZoneInfo(ctx.config.timezone)
    if inp.date_from:
        conds.append(Order.created_at >= _aware(inp.date_from, shop_tz))
    if inp.date_to:
        conds.append(Order.created_at <= _aware(inp.date_to, shop_tz))
    if inp.search:
        conds.append(_search_condition(read_order_search(inp.search)))
    base = select(Order).where(*conds)
    count = await ctx.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (
        (
            await ctx.session.execute(
                base.order_by(Order.id.desc()).limit(inp.limit).offset(inp.offset)
            )
        )
        .scalars()
        .all()
    )
    summaries = [OrderSummary.model_validate(o) for o in rows]
    return ListOrdersOut(orders=summaries, total_count=count or 0)


class UpdateOrderIn(OrderRef):
    lines: list[PricedLineIn] | None = Field(
        default=None, description="The complete new list of lines (add, remove, change quantities)"
    )
    buyer_name: str | None = Field(default=None, max_length=200)
    buyer_phone: str | None = None
    address: AddressIn | None = None
    discount: int | None = Field(default=None, ge=0)
    shipping_fee: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    shipping_payer: ShippingPayer | None = None
    payment_method: PaymentMethod | None = None
    note: str | None = Field(default=None, max_length=1000)


@tool(
    name="update_order",
    description="""Edit an order that is still new, confirmed or awaiting stock: replace its
    lines (add/remove products, change quantities), buyer, address, discount, shipping or note.
    Reservations follow the new lines; prices of lines kept are not re-priced.""",
    roles=SALES,
)
async def update_order(ctx: ToolContext, inp: UpdateOrderIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    status = OrderStatus(order.status)
    if status not in EDITABLE:
        raise Conflict(
            f"Order {order.number} is {status} and can no longer be edited.",
            field="order_id",
            code="not_editable",
        )
    changed: list[str] = []
    if inp.buyer_name is not None:
        order.buyer_name = inp.buyer_name.strip()
        order.buyer_search = fold(order.buyer_name)
        changed.append("buyer_name")
    if inp.buyer_phone is not None:
        order.buyer_phone = normalise_phone(inp.buyer_phone, field="buyer_phone")
        changed.append("buyer_phone")
    if inp.address is not None:
        order.address_line, order.ward = inp.address.line, inp.address.ward
        order.district, order.province = inp.address.district, inp.address.province
        changed.append("address")
    if inp.note is not None:
        order.note = inp.note
        changed.append("note")
    if inp.payment_method is not None:
        order.payment_method = inp.payment_method
        changed.append("payment_method")
    if inp.shipping_payer is not None:
        order.shipping_payer = inp.shipping_payer
        changed.append("shipping_payer")
    lines = await order_lines(ctx, order.id)
    if inp.lines is not None:
        keep_price = {ln.sku: ln.unit_price for ln in lines}
        repriced = [
            PricedLineIn(
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price
                if ln.unit_price is not None
                else keep_price.get(ln.sku.strip()),
            )
            for ln in inp.lines
        ]
        items = await _items(ctx, repriced)
        # Lock old and new variants together, in the global order, before releasing anything:
        # releasing first and locking the new ones later would take locks out of order.
        await lock_levels(ctx, [ln.variant_id for ln in lines] + [it.variant.id for it in items])
        await release_lines(ctx, order.id, lines, note="order edited")
        for ln in lines:
            await ctx.session.delete(ln)
        await ctx.session.flush()
        lines = [
            OrderLine(
                order_id=order.id,
                variant_id=it.variant.id,
                sku=it.variant.sku,
                name=it.variant.name,
                quantity=it.quantity,
                unit_price=it.unit_price,
                vat_rate=it.variant.vat_rate,
                unit_cost=it.variant.cost_price,
                reserved=0,
            )
            for it in items
        ]
        ctx.session.add_all(lines)
        await ctx.session.flush()
        unserved = await reserve_lines(ctx, order.id, lines)
        changed.append("lines")
        if unserved and status is not OrderStatus.AWAITING_STOCK:
            await change_status(
                ctx, order, OrderStatus.AWAITING_STOCK, note="edited lines lack stock"
            )
        elif not unserved and status is OrderStatus.AWAITING_STOCK:
            await change_status(ctx, order, OrderStatus.CONFIRMED, note="edited lines all in stock")
    if inp.discount is not None:
        order.discount = inp.discount
        changed.append("discount")
    if inp.shipping_fee is not None:
        order.shipping_fee, order.shipping_auto = inp.shipping_fee, False
        changed.append("shipping_fee")
    await _reprice(ctx, order, lines)
    order.updated_at = ctx.now
    await ctx.session.flush()
    await order_event(ctx, order.id, "edited", note=", ".join(changed))
    return await order_out(ctx, order)


async def _reprice(ctx: ToolContext, order: Order, lines: list[OrderLine]) -> None:
    priced = [PricedLine(ln.unit_price, ln.quantity, ln.vat_rate) for ln in lines]
    totals, order.shipping_fee = _priced_totals(
        ctx,
        priced,
        order.discount,
        None if order.shipping_auto else order.shipping_fee,
        order.shipping_payer,
    )
    for ln, a in zip(lines, totals.lines, strict=True):
        ln.discount, ln.vat_amount, ln.line_total = a.discount, a.vat, a.gross
    order.subtotal, order.discount, order.vat_total = (
        totals.subtotal,
        totals.discount,
        totals.vat_total,
    )
    order.total = totals.total
    settle(order)


def settle(order: Order, *, collect: bool = True) -> None:
    """After the total or the money received changed: once money came in the status says paid
    or partly paid, and (``collect``) the carrier of a cash-on-delivery order collects only
    what is still owed. Money the carrier itself handed over leaves its figure as it was."""
    owed = max(0, order.total - order.paid_amount)
    if collect:
        order.cod_amount = owed if order.payment_method == "cod" else 0
    if order.paid_amount:
        order.payment_status = "paid" if owed == 0 else "partially_paid"


# ---------------------------------------------------------------------------------------------
# Status changes


class ConfirmOrderIn(OrderRef):
    note: str = ""


async def _confirm(ctx: ToolContext, order: Order, note: str) -> None:
    lines = await order_lines(ctx, order.id)
    unserved = await reserve_lines(ctx, order.id, lines)
    current = OrderStatus(order.status)
    if unserved:
        if current is OrderStatus.AWAITING_STOCK:
            needs = [Need(i, ln.variant_id, ln.quantity) for i, ln in enumerate(unserved)]
            raise shortage_error(
                await plan_for(ctx, needs), {ln.variant_id: ln.sku for ln in unserved}
            )
        await change_status(
            ctx, order, OrderStatus.AWAITING_STOCK, note=note or "waiting for stock"
        )
    else:
        await change_status(ctx, order, OrderStatus.CONFIRMED, note=note)


@tool(
    name="confirm_order",
    description="""Confirm a new order (or one awaiting stock once stock is there). Reserves any
    line not yet reserved; if stock is still missing the order waits in awaiting_stock.""",
    roles=SALES,
)
async def confirm_order(ctx: ToolContext, inp: ConfirmOrderIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    current = OrderStatus(order.status)
    if current in (OrderStatus.NEW, OrderStatus.AWAITING_STOCK):
        await _confirm(ctx, order, inp.note)
    elif current is not OrderStatus.CONFIRMED:  # confirming twice changes nothing
        # Confirm must never undo work done since (packing -> confirmed is an "unpack").
        raise IllegalTransition(
            f"Order {order.number} is already {current}; there is nothing to confirm.",
            field="status",
            details={"from": current.value, "to": OrderStatus.CONFIRMED.value},
        )
    return await order_out(ctx, order)


# How a customer ordering in chat may pay; card, e-wallet and marketplace payments are recorded
# by staff and integrations.
CUSTOMER_PAYMENTS = ("cod", "bank_transfer")


# Who may cancel an order, by cancel_order or by set_order_status(cancelled).
CANCELLERS = SALES | CUSTOMER


class CancelOrderIn(OrderRef):
    reason: str = Field(default="", max_length=500)


async def _cancel(ctx: ToolContext, order: Order, reason: str) -> None:
    current = OrderStatus(order.status)
    if ctx.actor.is_customer and current not in CUSTOMER_CANCELLABLE:
        raise Conflict(
            f"Order {order.number} is already {current}; please ask the shop to cancel it.",
            field="order_id",
            code="too_late_to_cancel",
        )
    lines = await order_lines(ctx, order.id)
    await change_status(ctx, order, OrderStatus.CANCELLED, note=reason)
    await release_lines(ctx, order.id, lines, note=reason)


async def _cancel_order_card(ctx: ToolContext, inp: CancelOrderIn) -> Prepared:
    """cancel_order's card: which order, what is in it, its total. An order that can no longer
    be cancelled by this person gets no card: the refusal comes now, not after their yes."""
    order = await load_order(ctx, inp.resolve())
    current = OrderStatus(order.status)
    if ctx.actor.is_customer and current not in CUSTOMER_CANCELLABLE:
        raise Conflict(
            f"Order {order.number} is already {current}; please ask the shop to cancel it.",
            field="order_id",
            code="too_late_to_cancel",
        )
    check_transition(current, OrderStatus.CANCELLED)
    out = await order_out(ctx, order)
    fields = [
        CardField(key="order", value=out.number),
        CardField(key="status", value=out.status),
    ]
    if inp.reason:
        fields.append(
            CardField(key="reason", value=inp.reason, customer_written=ctx.actor.is_customer)
        )
    return Prepared(
        args=CancelOrderIn(order_id=order.id, reason=inp.reason),
        kind=CardKind.CANCEL_ORDER,
        lines=_card_lines(out),
        totals=_card_totals(out, ctx.config.prices_include_vat),
        fields=fields,
    )


@tool(
    name="cancel_order",
    description="""Cancel an order that has not shipped yet and release its stock. Customers
    can cancel their own orders until packing starts.""",
    roles=CANCELLERS,
    confirm=_cancel_order_card,
)
async def cancel_order(ctx: ToolContext, inp: CancelOrderIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    await _cancel(ctx, order, inp.reason)
    return await order_out(ctx, order)


class SetStatusIn(OrderRef):
    status: OrderStatus
    note: str = Field(default="", max_length=500)


@tool(
    name="set_order_status",
    description="""Move an order along: confirmed -> packing -> ready_to_ship -> shipping ->
    delivered -> completed, or delivery_failed / returned / cancelled. Illegal moves are refused.
    Shipping takes the goods out of stock; a failed delivery that comes back is restocked.""",
    roles=SALES | {Role.WAREHOUSE},
)
async def set_order_status(ctx: ToolContext, inp: SetStatusIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    current, target = OrderStatus(order.status), inp.status
    if target is OrderStatus.CANCELLED:
        if not role_allowed(ctx.actor.role, CANCELLERS):
            # Cancelling is cancel_order's decision (sales); this tool must not widen it.
            raise PermissionDenied(
                f"A {ctx.actor.role.value} may not cancel orders.",
                details={"tool": "cancel_order", "role": ctx.actor.role.value},
            )
        await _cancel(ctx, order, inp.note)
    elif target is OrderStatus.CONFIRMED and current in (
        OrderStatus.NEW,
        OrderStatus.AWAITING_STOCK,
    ):
        await _confirm(ctx, order, inp.note)
    else:
        from core.order_status import check_transition

        check_transition(current, target)
        if target is OrderStatus.RETURNED and not restocks(current, target):
            # Delivered goods come back through a return (request, receive, refund), which
            # restocks what arrives; setting the status here would skip all of that.
            raise IllegalTransition(
                f"Order {order.number} was delivered: record what comes back with a return "
                "(create_return) instead.",
                field="status",
                details={"from": current.value, "to": target.value},
            )
        lines = await order_lines(ctx, order.id)
        if consumes_stock(current, target):
            await consume_lines(ctx, order.id, lines)
        elif restocks(current, target):
            await restock_lines(ctx, order.id, lines)
        elif target is OrderStatus.AWAITING_STOCK:
            raise Conflict(
                "Orders wait for stock by themselves; confirm or edit the order instead.",
                field="status",
                code="illegal_transition",
            )
        if target is OrderStatus.DELIVERED and order.payment_method == "cod":
            order.payment_status, order.paid_amount = "paid", order.total
        await change_status(ctx, order, target, note=inp.note)
    return await order_out(ctx, order)


__all__ = [
    "Draft",
    "Item",
    "OrderOut",
    "cancel_order",
    "confirm_order",
    "create_order",
    "get_order",
    "list_orders",
    "place_order",
    "quote_order",
    "set_order_status",
    "update_order",
    "write_order",
]


class RecordPaymentIn(OrderRef, Idempotent):
    amount: int = Field(gt=0, description="Đồng received")
    method: PaymentMethod = "bank_transfer"
    reference: str = Field(default="", max_length=200, description="Bank transfer reference")


@tool(
    name="record_payment",
    description="""Record money received for an order (a bank transfer, cash at the counter, a
    marketplace settlement). The order becomes paid once payments reach its total; a payment
    beyond what is still owed is refused.""",
    roles=ACCOUNTING | SALES,
)
async def record_payment(ctx: ToolContext, inp: RecordPaymentIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(f"Order {order.number} is cancelled.", field="order_id", code="cancelled")
    owed = order.total - order.paid_amount
    if inp.amount > owed:
        raise InvalidInput(
            f"Only {owed} đồng is still owed on {order.number}.",
            field="amount",
            code="overpayment",
            details={"owed": owed},
        )
    order.paid_amount += inp.amount
    settle(order, collect=inp.method != "cod")  # paid ahead: less for the carrier to collect
    order.updated_at = ctx.now
    await ctx.session.flush()
    note = f"{inp.amount} đồng by {inp.method}" + (f" ({inp.reference})" if inp.reference else "")
    await order_event(
        ctx,
        order.id,
        "payment",
        note=note,
        extra={"amount": inp.amount, "paid": order.paid_amount, "status": order.payment_status},
    )
    return await order_out(ctx, order)
