"""Showing returns: one, or a list of them (customers see only their own)."""

from __future__ import annotations

from storage import returns as store
from tools.context import ToolContext
from tools.registry import CUSTOMER, STAFF, tool
from tools.returns.records import load_order, load_return, return_out
from tools.returns.schemas import ListReturnsIn, ListReturnsOut, ReturnIdIn, ReturnOut


@tool(
    name="get_return",
    description="""Show a return: its order, lines (requested, good, damaged), where the goods
    went, the refund value and the refund; for a refund-only return (nothing came back), why.
    Customers see only returns of their own orders.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_return(ctx: ToolContext, inp: ReturnIdIn) -> ReturnOut:
    ret = await load_return(ctx, inp.return_id)
    order = await load_order(ctx, ret.order_id)
    return await return_out(ctx, ret, order)


@tool(
    name="list_returns",
    description="""List returns, newest first, by order, status (requested, received,
    refund_only, cancelled) or refund status (pending, refunded). received or refund_only (the
    buyer is refunded though nothing came back) with refund status pending are the refunds still
    to pay. Customers see only their own.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def list_returns(ctx: ToolContext, inp: ListReturnsIn) -> ListReturnsOut:
    found = await store.returns_listed(
        ctx.tx,
        customer_id=ctx.customer_id(),  # a customer sees only their own
        order_id=inp.order_id,
        status=inp.status,
        refund_status=inp.refund_status,
        limit=inp.limit,
    )
    return ListReturnsOut(returns=[await return_out(ctx, ret, order) for ret, order in found])
