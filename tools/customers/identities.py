"""The channel helper: the customer behind a channel identity, made on first contact."""

from __future__ import annotations

from sqlalchemy import String, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import InvalidInput
from storage.fastsql import Sql
from storage.models import (
    Customer,
    CustomerIdentity,
)
from tools.context import ToolContext
from tools.customers.records import (
    _search_text,
    survivor_id,
)
from tools.customers.schemas import (
    CHANNELS,
)

KNOWN_IDENTITY = Sql(
    select(Customer.id)
    .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
    .where(
        CustomerIdentity.channel == bindparam("channel", type_=String),
        CustomerIdentity.external_id == bindparam("ext", type_=String),
        Customer.merged_into_id.is_(None),
    )
)


async def customer_for_identity(
    ctx: ToolContext, channel: str, external_id: str, display_name: str = ""
) -> int:
    """The customer behind a channel account, created on first contact (not a tool).

    Channels call this for every inbound message, before acting as ``Actor.customer(id)``.
    It follows merges, and two first messages racing on PostgreSQL end with one customer:
    the identity insert does nothing on conflict, and the loser removes its fresh row.
    """
    ext = external_id.strip()
    if channel not in CHANNELS:
        raise InvalidInput(f"Unknown channel '{channel}'.", field="channel", code="invalid_channel")
    if not ext or len(ext) > 128:
        raise InvalidInput("A channel account id is 1 to 128 characters.", field="external_id")
    # Every inbound message asks this; the usual answer (a known, unmerged account) is one
    # statement on the fast path, without an ORM session.
    known = await (await ctx.sql()).fetch(KNOWN_IDENTITY, {"channel": channel, "ext": ext})
    if known:
        return int(known[0][0])
    name = " ".join(display_name.split())[:200]
    found = await _identity_owner(ctx, channel, ext)
    if found is not None:
        return found
    c = Customer(name=name, note="", created_at=ctx.now)
    c.search_text = _search_text(c)
    ctx.session.add(c)
    await ctx.session.flush()
    dialect_insert = postgresql.insert if ctx.tx.dialect == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(CustomerIdentity)
        .values(
            customer_id=c.id,
            channel=channel,
            external_id=ext,
            display_name=name,
            created_at=ctx.now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(CustomerIdentity.id)
    )
    if (await ctx.session.execute(stmt)).scalar_one_or_none() is not None:
        return c.id
    # Another transaction registered this account first: use its customer.
    await ctx.session.delete(c)
    await ctx.session.flush()
    winner = await _identity_owner(ctx, channel, ext)
    if winner is None:  # pragma: no cover - the conflicting row is committed by now
        raise RuntimeError("identity conflict without an owner")
    return winner


async def _identity_owner(ctx: ToolContext, channel: str, external_id: str) -> int | None:
    owner = await ctx.session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.channel == channel, CustomerIdentity.external_id == external_id
        )
    )
    return await survivor_id(ctx, owner) if owner is not None else None
