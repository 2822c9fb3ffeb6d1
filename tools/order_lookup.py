"""lookup_order: an order by its number plus the phone it was placed with.

For a shopper on another device (a new browser is a new customer, who has no orders): the
order number and the phone prove enough to see the order's status, items and total, and
nothing more (no name, address or phone comes back). A wrong phone gets exactly the answer a
missing number gets, so the tool says nothing about which order numbers exist; both are one
query on number and phone together. Attempts are limited per caller, and failed attempts per
phone (someone guessing order numbers for a phone they know, from many sessions), in the
database (tools/rate_limits.py): restarts and other workers do not reset them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from core.errors import InvalidInput
from core.money import balance
from core.order_search import ByNumber, read_order_search
from core.phone import normalise_phone
from core.roles import Role
from storage import orders as stored
from storage.models import Order, order_number
from tools.context import ToolContext
from tools.rate_limits import add_hit, hits, too_many
from tools.registry import CUSTOMER, STAFF, tool

WINDOW = timedelta(hours=1)
BY_CALLER = "order_lookup"
FAILED_BY_PHONE = "order_lookup_phone"
NOT_FOUND = (
    "No order matches that order number and phone. The number is on the order confirmation "
    "(like DH000012); the phone is the one the order was placed with."
)


class LookupOrderIn(BaseModel):
    number: str = Field(
        min_length=1,
        max_length=30,
        description="The order number as on the confirmation: DH000012 (dh12, #12, 12 too)",
    )
    phone: str = Field(
        min_length=1, max_length=30, description="The phone the order was placed with, any format"
    )


class LookedUpItem(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int


class LookedUpOrder(BaseModel):
    number: str
    status: str = Field(description="new, confirmed, packing, shipping, delivered, cancelled...")
    created_at: datetime
    items: list[LookedUpItem]
    subtotal: int
    discount: int
    shipping_fee: int = Field(description="Charged to the buyer (0 when the shop pays it)")
    total: int
    payment_method: str
    payment_status: str
    amount_due: int = Field(description="Still to pay, in đồng")


class LookupOrderOut(BaseModel):
    found: bool
    order: LookedUpOrder | None = None
    message: str = Field(default="", description="Why nothing was found, for the shopper")


@tool(
    name="lookup_order",
    description="""Find an order by its number plus the phone it was placed with, e.g. for a
    shopper on another device whose order is not among their own. Shows status, items and
    total; nothing personal. A wrong phone and an unknown number get the same answer
    (found=false). Attempts are limited per hour; never guess numbers for the shopper.""",
    roles=STAFF | CUSTOMER,
)
async def lookup_order(ctx: ToolContext, inp: LookupOrderIn) -> LookupOrderOut:
    wanted = read_order_search(inp.number)
    if not isinstance(wanted, ByNumber):
        raise InvalidInput(
            f"'{inp.number}' is not an order number (like DH000012).",
            field="number",
            code="invalid_order_number",
        )
    phone = normalise_phone(inp.phone, field="phone")
    limit = ctx.config.order_lookup_per_hour
    if ctx.actor.role is not Role.SYSTEM:
        if await add_hit(ctx, BY_CALLER, ctx.actor.label, WINDOW) > limit:
            raise too_many(ctx, WINDOW, "order look-ups")
        if await hits(ctx, FAILED_BY_PHONE, phone, WINDOW) >= limit:
            raise too_many(ctx, WINDOW, "order look-ups")
    order = await stored.order_with_phone(ctx.tx, wanted.order_id, phone)
    if order is None:
        await add_hit(ctx, FAILED_BY_PHONE, phone, WINDOW)
        return LookupOrderOut(found=False, message=NOT_FOUND)
    return LookupOrderOut(found=True, order=await _looked_up(ctx, order))


async def _looked_up(ctx: ToolContext, order: Order) -> LookedUpOrder:
    lines = await stored.lines_of(ctx.tx, order.id)
    buyer_shipping = 0 if order.shipping_payer == "seller" else order.shipping_fee
    due, _ = balance(order.total, order.paid_amount, cancelled=order.status == "cancelled")
    return LookedUpOrder(
        number=order_number(order.id),
        status=order.status,
        created_at=order.created_at,
        items=[
            LookedUpItem(
                sku=ln.sku,
                name=ln.name,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                line_total=ln.line_total,
            )
            for ln in lines
        ],
        subtotal=order.subtotal,
        discount=order.discount,
        shipping_fee=buyer_shipping,
        total=order.total,
        payment_method=order.payment_method,
        payment_status=order.payment_status,
        amount_due=due,
    )
