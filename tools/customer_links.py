"""Phones given by one customer that another customer already has (docs/customers.md).

A phone belongs to one customer. When a chat customer checks out with a phone that someone
else's record has, the shop cannot tell whether it is the same person on a new device or
someone typing another person's number, so the records are not merged on that word: the phone
is kept on the customer who gave it as *unconfirmed* (a claim), and the two records are
*linked*: staff see each in the other's ``linked_customer_ids`` and merge them with
merge_customers once they know. Not a tool: place_order and the customer tools call these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import CustomerPhone, CustomerPhoneClaim
from tools.context import ToolContext


async def claim_phone(ctx: ToolContext, customer_id: int, phone: str) -> None:
    """Keeps ``phone`` (E.164, owned by another customer) on this customer, once."""
    dialect_insert = postgresql.insert if ctx.tx.dialect == "postgresql" else sqlite.insert
    await ctx.session.execute(
        dialect_insert(CustomerPhoneClaim)
        .values(customer_id=customer_id, phone=phone, created_at=ctx.now)
        .on_conflict_do_nothing(index_elements=["customer_id", "phone"])
    )


async def unconfirmed_phones(ctx: ToolContext, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each customer's claimed phones, oldest first."""
    out: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = await ctx.session.execute(
            select(CustomerPhoneClaim.customer_id, CustomerPhoneClaim.phone)
            .where(CustomerPhoneClaim.customer_id.in_(list(ids)))
            .order_by(CustomerPhoneClaim.id)
        )
        for cid, phone in rows:
            out[cid].append(phone)
    return out


async def linked_customers(ctx: ToolContext, ids: Sequence[int]) -> dict[int, list[int]]:
    """For each customer: the owners of the phones it claims and the claimants of its phones."""
    out: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return {}
    wanted = list(ids)
    owner = CustomerPhone.customer_id
    claimant = CustomerPhoneClaim.customer_id
    pairs = select(claimant, owner).join(
        CustomerPhone, CustomerPhone.phone == CustomerPhoneClaim.phone
    )
    for who, other in await ctx.session.execute(pairs.where(claimant.in_(wanted))):
        out[who].add(other)
    for who, other in await ctx.session.execute(
        select(owner, claimant)
        .join(CustomerPhoneClaim, CustomerPhone.phone == CustomerPhoneClaim.phone)
        .where(owner.in_(wanted))
    ):
        out[who].add(other)
    return {cid: sorted(others - {cid}) for cid, others in out.items()}


async def move_claims(ctx: ToolContext, source_id: int, target_id: int) -> int:
    """On a merge (after the phones moved): the source's claims go to the target, except
    phones the target now owns or already claims. Returns how many the source had."""
    s = ctx.session
    claims = CustomerPhoneClaim
    count = int(await s.scalar(select(func.count()).where(claims.customer_id == source_id)) or 0)
    known = (
        select(CustomerPhone.phone)
        .where(CustomerPhone.customer_id == target_id)
        .union(select(claims.phone).where(claims.customer_id == target_id))
    )
    await s.execute(delete(claims).where(claims.customer_id == source_id, claims.phone.in_(known)))
    await s.execute(
        update(claims).where(claims.customer_id == source_id).values(customer_id=target_id)
    )
    owned = select(CustomerPhone.phone).where(CustomerPhone.customer_id == target_id)
    await s.execute(delete(claims).where(claims.customer_id == target_id, claims.phone.in_(owned)))
    return count


async def split_taken(
    ctx: ToolContext, phones: Sequence[tuple[str, str]], customer_id: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """(phone, field) pairs that are free or this customer's, and the phones others own."""
    if not phones:
        return [], []
    owners = dict(
        (
            await ctx.session.execute(
                select(CustomerPhone.phone, CustomerPhone.customer_id).where(
                    CustomerPhone.phone.in_([p for p, _ in phones])
                )
            )
        ).all()
    )
    free = [(p, f) for p, f in phones if owners.get(p) in (None, customer_id)]
    taken = [p for p, _ in phones if owners.get(p) not in (None, customer_id)]
    return free, taken


async def drop_claim(ctx: ToolContext, customer_id: int, phone: str) -> None:
    await ctx.session.execute(
        delete(CustomerPhoneClaim).where(
            CustomerPhoneClaim.customer_id == customer_id, CustomerPhoneClaim.phone == phone
        )
    )
