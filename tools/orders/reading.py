"""Reading orders: one order (load_order, and OrderOut built from it in one place) and the
order list with its search."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from core.errors import NotFound
from core.money import balance
from core.order_search import read_order_search
from core.order_status import OrderStatus
from storage import orders as stored
from storage.models import Order, order_number
from tools.context import ToolContext
from tools.order_models import AddressIn, LineOut, OrderEventOut, OrderOut, PurchaseSuggestion
from tools.orders.schemas import ListOrdersIn, ListOrdersOut, OrderRef, OrderSummary
from tools.registry import CUSTOMER, STAFF, tool


async def load_order(ctx: ToolContext, order_id: int, *, lock: bool = False) -> Order:
    """Reads an order; ``lock`` takes its row lock first, so changes to one order queue up and
    the lock order is always order row, then stock rows (no deadlocks between order tools).
    Read as stored: the fast path may have written it earlier in this transaction."""
    order = await stored.order_as_stored(ctx.tx, order_id, lock=lock)
    if order is None or (ctx.actor.is_customer and order.customer_id != ctx.customer_id()):
        # Customers are told the same thing for other people's orders as for missing ones.
        raise NotFound(
            f"Order {order_number(order_id)} was not found.", field="order_id", code="unknown_order"
        )
    return order


class OrderFacts(Protocol):
    """What an OrderOut is made of: an order row read back (storage.models.Order) or one just
    written (tools.orders.writing.WrittenOrder, no ORM object needed for it)."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def customer_id(self) -> int | None: ...
    @property
    def buyer_name(self) -> str: ...
    @property
    def buyer_phone(self) -> str | None: ...
    @property
    def address_line(self) -> str: ...
    @property
    def ward(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def province(self) -> str: ...
    @property
    def subtotal(self) -> int: ...
    @property
    def discount(self) -> int: ...
    @property
    def vat_total(self) -> int: ...
    @property
    def shipping_fee(self) -> int: ...
    @property
    def shipping_payer(self) -> str: ...
    @property
    def total(self) -> int: ...
    @property
    def cod_amount(self) -> int: ...
    @property
    def payment_method(self) -> str: ...
    @property
    def payment_status(self) -> str: ...
    @property
    def paid_amount(self) -> int: ...
    @property
    def note(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


def order_view(
    order: OrderFacts,
    lines: list[LineOut],
    suggestions: list[PurchaseSuggestion],
    events: list[OrderEventOut] | None = None,
) -> OrderOut:
    """The one place an OrderOut is made: from an order row (read back, or just written) and
    its lines; what is due and what is to give back follow from its total and payments."""
    due, back = balance(
        order.total, order.paid_amount, cancelled=order.status == OrderStatus.CANCELLED
    )
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
        lines=lines,
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
        events=events,
    )


async def _events(ctx: ToolContext, order_id: int) -> list[OrderEventOut]:
    return [
        OrderEventOut(
            kind=e.kind,
            from_status=e.from_status,
            to_status=e.to_status,
            actor=e.actor,
            note=e.note,
            created_at=e.created_at,
        )
        for e in await stored.history_of(ctx.tx, order_id)
    ]


async def order_out(ctx: ToolContext, order: Order, *, events: bool = False) -> OrderOut:
    lines = await stored.lines_of(ctx.tx, order.id)
    event_rows = await _events(ctx, order.id) if events else None
    suggestions = [
        PurchaseSuggestion(variant_id=ln.variant_id, sku=ln.sku, missing=ln.quantity - ln.reserved)
        for ln in lines
        if ln.reserved < ln.quantity and order.status == OrderStatus.AWAITING_STOCK
    ]
    return order_view(order, [LineOut.model_validate(ln) for ln in lines], suggestions, event_rows)


@tool(
    name="get_order",
    description="""Show one order: status, lines, totals, payment and its history. Customers
    can only see their own orders.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_order(ctx: ToolContext, inp: OrderRef) -> OrderOut:
    return await order_out(ctx, await load_order(ctx, inp.resolve()), events=True)


def _aware(at: datetime, tz: ZoneInfo) -> datetime:
    """A date and time given without a timezone is the shop's local time."""
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


def _list_filter(ctx: ToolContext, inp: ListOrdersIn) -> stored.OrderFilter:
    """Customers only ever see their own orders, whatever customer_id they give."""
    shop_tz = ZoneInfo(ctx.config.timezone)
    return stored.OrderFilter(
        customer_id=ctx.customer_id() if ctx.actor.is_customer else inp.customer_id,
        status=inp.status.value if inp.status else None,
        channel=inp.channel or None,
        created_from=_aware(inp.date_from, shop_tz) if inp.date_from else None,
        created_to=_aware(inp.date_to, shop_tz) if inp.date_to else None,
        search=read_order_search(inp.search) if inp.search else None,
    )


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
    rows, count = await stored.find_orders(
        ctx.tx, _list_filter(ctx, inp), limit=inp.limit, offset=inp.offset
    )
    summaries = [OrderSummary.model_validate(o) for o in rows]
    return ListOrdersOut(orders=summaries, total_count=count)
