"""Operations announced but not set up yet: booking a shipment with a carrier, issuing an
e-invoice. They are tools already so the permission table (who may ship, who may invoice) is
the registry's, every surface shows them the same way, and a refused call is audited; until
the carrier and invoice integrations land they answer ``not_set_up`` and change nothing."""

from __future__ import annotations

from pydantic import BaseModel

from core.errors import Conflict
from tools.context import ToolContext
from tools.orders import OrderRef
from tools.pending import generic_card
from tools.registry import ACCOUNTING, SALES, WAREHOUSE, tool


class NotSetUpOut(BaseModel):
    done: bool = False


def _not_set_up(what: str) -> Conflict:
    return Conflict(f"{what} is not set up yet.", code="not_set_up", field=None)


@tool(
    name="book_shipment",
    description="Book a carrier pickup for an order that is ready to ship. Not set up yet.",
    roles=SALES | WAREHOUSE,
    confirm=generic_card("Đặt giao hàng / Book shipment"),
)
async def book_shipment(ctx: ToolContext, inp: OrderRef) -> NotSetUpOut:
    raise _not_set_up("Booking shipments")


@tool(
    name="issue_invoice",
    description="Issue the e-invoice (hóa đơn điện tử) of an order. Not set up yet.",
    roles=ACCOUNTING,
    confirm=generic_card("Xuất hoá đơn / Issue invoice"),
)
async def issue_invoice(ctx: ToolContext, inp: OrderRef) -> NotSetUpOut:
    raise _not_set_up("Issuing invoices")
