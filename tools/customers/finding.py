"""Finding customers: one by id (or oneself), or by phone, name, tax code or identity."""

from __future__ import annotations

import contextlib
import re

from core.errors import InvalidInput, NotFound
from core.phone import display_phone, normalise_phone
from core.tax_code import normalise_tax_code
from core.text import tokens
from storage import customers as stored
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
    owner = await stored.phone_owner(ctx.tx, phone)
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
    found = await stored.find_customers(ctx.tx, await _match(ctx, inp), limit=inp.limit)
    ids = [c.id for c in found]
    phones = await stored.phones_of(ctx.tx, ids)
    channels = await stored.channels_of(ctx.tx, ids)
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


async def _match(ctx: ToolContext, inp: FindCustomersIn) -> stored.CustomerMatch:
    """What the query is: a channel account, an email, a phone or tax code, or a name."""
    text = inp.query.strip()
    if inp.channel is not None or inp.external_id is not None:
        if inp.channel is None or not (inp.external_id or "").strip():
            raise InvalidInput("Give both channel and external_id.", field="external_id")
        owner = await stored.identity_owner(ctx.tx, inp.channel, (inp.external_id or "").strip())
        cid = await survivor_id(ctx, owner) if owner is not None else None
        return stored.ById(cid or 0)
    if not text:
        raise InvalidInput(
            "Give a query (phone, name, email or tax code) or a channel account.", field="query"
        )
    if "@" in text:
        return stored.ByEmail(text.lower())
    if re.fullmatch(r"[\d\s+().\-]+", text) and sum(ch.isdigit() for ch in text) >= 3:
        return _phone_or_tax(text)
    return stored.ByName(raw=text.lower(), words=tuple(tokens(text)))


def _phone_or_tax(text: str) -> stored.ByPhoneOrTax:
    """A full phone matches exactly; a partial one by its prefix (0912...) or its last digits;
    ten digits (or 10-3) may also be a tax code."""
    tax_code = phone = None
    with contextlib.suppress(InvalidInput):
        tax_code = normalise_tax_code(text)
    with contextlib.suppress(InvalidInput):
        phone = normalise_phone(text)
    if phone is not None:
        return stored.ByPhoneOrTax(phone=phone, tax_code=tax_code)
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0"):
        pattern = f"+84{digits[1:]}%"
    elif digits.startswith("84") or text.strip().startswith("+"):
        pattern = f"+{digits}%"
    else:
        pattern = f"%{digits}"
    return stored.ByPhoneOrTax(phone_like=pattern, tax_code=tax_code)
