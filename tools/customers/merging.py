"""Merging duplicate customers: everything of the source moves to the target, which the
source then points at."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound
from storage import customers as stored
from storage.models import Customer
from tools.context import ToolContext
from tools.customer_links import (
    move_claims,
)
from tools.customers.records import (
    _customer_out,
    _search_text,
)
from tools.customers.schemas import (
    MergeCustomersIn,
    MergeCustomersOut,
)
from tools.registry import SALES, tool


@tool(
    name="merge_customers",
    description="""Join two records of the same person (e.g. one from Zalo and one from a phone
    order, or two linked by a phone: linked_customer_ids): the source's phones, unconfirmed
    phones, addresses, channel accounts, orders, quotes and conversations move to the target,
    empty target fields are filled from the source, and the source points to the target from
    then on. Keep as target the record that owns the shared phone. Cannot be undone; check with
    get_customer first.""",
    roles=SALES,
)
async def merge_customers(ctx: ToolContext, inp: MergeCustomersIn) -> MergeCustomersOut:
    if inp.source_id == inp.target_id:
        raise InvalidInput(
            "A customer cannot be merged into itself.", field="source_id", code="same_customer"
        )
    source = await _unmerged(ctx, inp.source_id, "source_id")
    target = await _unmerged(ctx, inp.target_id, "target_id")
    moved = await stored.move_to(ctx.tx, source.id, target.id)
    moved["unconfirmed_phones"] = await move_claims(ctx, source.id, target.id)
    target.name = target.name or source.name
    target.email = target.email or source.email
    target.company_name = target.company_name or source.company_name
    target.tax_code = target.tax_code or source.tax_code
    if source.note:
        target.note = f"{target.note}\n{source.note}".strip()
    target.search_text = _search_text(target)
    source.merged_into_id = target.id
    target = await stored.reread_after_merge(ctx.tx, inp.target_id)
    ctx.emit(
        "customer.merged",
        f"customer:{target.id}",
        {"source_id": inp.source_id, "target_id": target.id, "moved": moved},
    )
    return MergeCustomersOut(customer=await _customer_out(ctx, target), moved=moved)


async def _unmerged(ctx: ToolContext, customer_id: int, field: str) -> Customer:
    c = await stored.customer(ctx.tx, customer_id)
    if c is None:
        raise NotFound(
            f"Customer #{customer_id} does not exist.", field=field, code="unknown_customer"
        )
    if c.merged_into_id is not None:
        raise Conflict(
            f"Customer #{customer_id} was already merged into #{c.merged_into_id}.",
            field=field,
            code="customer_merged",
            details={"merged_into_id": c.merged_into_id},
        )
    return c
