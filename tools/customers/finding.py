"""Finding customers: one by id (or oneself), or by phone, name, tax code or identity."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from sqlalchemy import and_, func, or_, select

from core.errors import InvalidInput, NotFound
from core.phone import display_phone, normalise_phone
from core.tax_code import normalise_tax_code
from core.text import tokens
from storage.models import (
    Customer,
    CustomerIdentity,
    CustomerPhone,
    CustomerPhoneClaim,
)
from tools.context import ToolContext
from tools.customer_links import (
    linked_customers,
    unconfirmed_phones,
)
from tools.customers.records import (
    _customer,
    _customer_out,
    _order_counts,
    _own_or_named,
    survivor_id,
)
from tools.customers.schemas import (
    CustomerOut,
    CustomerSummary,
    FindCustomersIn,
    FindCustomersOut,
    GetCustomerIn,
)
from tools.registry import CUSTOMER, STAFF, tool


@tool(
    name="get_customer",
    description="""A customer's full record: phones, email, company and tax code, addresses
    (default first), channel accounts and number of orders. Staff give customer_id or a phone;
    a customer always gets their own record.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_customer(ctx: ToolContext, inp: GetCustomerIn) -> CustomerOut:
    if ctx.actor.is_customer:
        return await _customer_out(ctx, await _own_or_named(ctx, None))
    if (inp.customer_id is None) == (inp.phone is None):
        raise InvalidInput("Give either customer_id or phone.", field="customer_id")
    if inp.customer_id is not None:
        return await _customer_out(ctx, await _customer(ctx, inp.customer_id))
    phone = normalise_phone(inp.phone or "", field="phone")
    owner = await ctx.session.scalar(
        select(CustomerPhone.customer_id).where(CustomerPhone.phone == phone)
    )
    if owner is None:
        raise NotFound(
            f"No customer has the phone {display_phone(phone)}.",
            field="phone",
            code="unknown_customer",
        )
    return await _customer_out(ctx, await _customer(ctx, owner))


@tool(
    name="find_customers",
    description="""Look customers up by a phone in any format (or its last digits), part of
    the name with or without accents ("nguyen van an"), an email, a tax code, or a channel
    account (channel + external_id). Returns short records; use get_customer for details.""",
    roles=STAFF,
    write=False,
)
async def find_customers(ctx: ToolContext, inp: FindCustomersIn) -> FindCustomersOut:
    q = select(Customer).where(Customer.merged_into_id.is_(None))
    text = inp.query.strip()
    if inp.channel is not None or inp.external_id is not None:
        if inp.channel is None or not (inp.external_id or "").strip():
            raise InvalidInput("Give both channel and external_id.", field="external_id")
        owner = await ctx.session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.channel == inp.channel,
                CustomerIdentity.external_id == (inp.external_id or "").strip(),
            )
        )
        cid = await survivor_id(ctx, owner) if owner is not None else None
        q = q.where(Customer.id == (cid or 0))
    elif not text:
        raise InvalidInput(
            "Give a query (phone, name, email or tax code) or a channel account.", field="query"
        )
    elif "@" in text:
        q = q.where(func.lower(Customer.email).like(f"%{_escape(text.lower())}%", escape="\\"))
    elif re.fullmatch(r"[\d\s+().\-]+", text) and sum(ch.isdigit() for ch in text) >= 3:
        q = q.where(or_(*_phone_or_tax_filters(text)))
    else:
        words = tokens(text)
        by_folded = [Customer.search_text.like(f"%{w}%") for w in words]
        # Rows written without search_text (e.g. a name filled in by another tool) are still
        # found when the query is typed as stored.
        by_raw = func.lower(Customer.name).like(f"%{_escape(text.lower())}%", escape="\\")
        q = q.where(or_(by_raw, and_(*by_folded)) if by_folded else by_raw)
    found = (
        (await ctx.session.execute(q.order_by(Customer.name, Customer.id).limit(inp.limit)))
        .scalars()
        .all()
    )
    ids = [c.id for c in found]
    phones: dict[int, list[str]] = {i: [] for i in ids}
    channels: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for cid, phone in await ctx.session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.phone)
            .where(CustomerPhone.customer_id.in_(ids))
            .order_by(CustomerPhone.id)
        ):
            phones[cid].append(phone)
        for cid, channel in await ctx.session.execute(
            select(CustomerIdentity.customer_id, CustomerIdentity.channel)
            .where(CustomerIdentity.customer_id.in_(ids))
            .order_by(CustomerIdentity.id)
        ):
            if channel not in channels[cid]:
                channels[cid].append(channel)
    counts = await _order_counts(ctx, ids)
    claimed = await unconfirmed_phones(ctx, ids)
    links = await linked_customers(ctx, ids)
    return FindCustomersOut(
        customers=[
            CustomerSummary(
                id=c.id,
                name=c.name,
                phones=phones[c.id],
                email=c.email,
                company_name=c.company_name,
                channels=channels[c.id],
                order_count=counts.get(c.id, 0),
                unconfirmed_phones=claimed[c.id],
                linked_customer_ids=links.get(c.id, []),
            )
            for c in found
        ]
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone_or_tax_filters(text: str) -> list[Any]:
    """A full phone matches exactly; a partial one by its prefix (0912...) or its last digits;
    ten digits (or 10-3) may also be a tax code."""
    digits = re.sub(r"\D", "", text)
    filters: list[Any] = []
    # Owners and claimants (unconfirmed phones) alike: staff see both records side by side.
    for model in (CustomerPhone, CustomerPhoneClaim):
        try:
            e164 = normalise_phone(text)
            match = model.phone == e164
        except InvalidInput:
            if digits.startswith("0"):
                pattern = f"+84{digits[1:]}%"
            elif digits.startswith("84") or text.strip().startswith("+"):
                pattern = f"+{digits}%"
            else:
                pattern = f"%{digits}"
            match = model.phone.like(pattern)
        filters.append(Customer.id.in_(select(model.customer_id).where(match)))
    with contextlib.suppress(InvalidInput):
        filters.append(Customer.tax_code == normalise_tax_code(text))
    return filters
