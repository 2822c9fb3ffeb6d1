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

from storage import customers as stored
from tools.context import ToolContext


async def claim_phone(ctx: ToolContext, customer_id: int, phone: str) -> None:
    """Keeps ``phone`` (E.164, owned by another customer) on this customer, once."""
    await stored.claim_phone(ctx.tx, customer_id, phone, ctx.now)


async def unconfirmed_phones(ctx: ToolContext, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each customer's claimed phones, oldest first."""
    return await stored.claimed_phones(ctx.tx, ids)


async def linked_customers(ctx: ToolContext, ids: Sequence[int]) -> dict[int, list[int]]:
    """For each customer: the owners of the phones it claims and the claimants of its phones."""
    out: dict[int, set[int]] = defaultdict(set)
    for who, other in await stored.claim_pairs(ctx.tx, ids):
        out[who].add(other)
    return {cid: sorted(others - {cid}) for cid, others in out.items()}


async def move_claims(ctx: ToolContext, source_id: int, target_id: int) -> int:
    """On a merge (after the phones moved): the source's claims go to the target, except
    phones the target now owns or already claims. Returns how many the source had."""
    return await stored.move_claims(ctx.tx, source_id, target_id)


async def split_taken(
    ctx: ToolContext, phones: Sequence[tuple[str, str]], customer_id: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """(phone, field) pairs that are free or this customer's, and the phones others own."""
    if not phones:
        return [], []
    owners = await stored.phone_owners(ctx.tx, [p for p, _ in phones])
    free = [(p, f) for p, f in phones if owners.get(p) in (None, customer_id)]
    taken = [p for p, _ in phones if owners.get(p) not in (None, customer_id)]
    return free, taken


async def drop_claim(ctx: ToolContext, customer_id: int, phone: str) -> None:
    await stored.drop_claim(ctx.tx, customer_id, phone)
