"""Staff creating an order (phone orders, marketplace imports, manual entry)."""

from __future__ import annotations

from core.errors import NotFound
from core.phone import normalise_phone
from storage import customers
from tools.context import ToolContext
from tools.order_models import OrderOut
from tools.orders.schemas import CreateOrderIn
from tools.orders.writing import Draft, draft_items, write_order
from tools.registry import SALES, tool


@tool(
    name="create_order",
    description="""Create an order for a customer (phone orders, marketplace imports, manual
    entry). Reserves stock; lines without stock put the order in awaiting_stock with a purchase
    suggestion unless backorder is false.""",
    roles=SALES,
)
async def create_order(ctx: ToolContext, inp: CreateOrderIn) -> OrderOut:
    phone = normalise_phone(inp.buyer_phone, field="buyer_phone") if inp.buyer_phone else None
    if inp.customer_id is not None and not await customers.exists(ctx.tx, inp.customer_id):
        raise NotFound(
            f"Customer {inp.customer_id} does not exist.",
            field="customer_id",
            code="unknown_customer",
        )
    items = await draft_items(ctx, inp.lines)
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
