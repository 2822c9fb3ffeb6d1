"""Customers: one record per person across channels, found by phone, name or channel identity.

A person who writes on Zalo, orders on Shopee and calls in is one customer: phones (E.164),
addresses and channel identities point at the customer row, and ``merge_customers`` joins
duplicates. A merged customer keeps ``merged_into_id`` and every lookup follows it.
Customers may read and edit only their own record, and never see staff notes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import String, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.channels import SALES_CHANNELS
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.phone import display_phone, normalise_phone
from core.tax_code import normalise_tax_code
from core.text import fold, tokens
from storage.fastsql import Sql
from storage.models import (
    Conversation,
    Customer,
    CustomerAddress,
    CustomerIdentity,
    CustomerPhone,
    CustomerPhoneClaim,
    Order,
    Quote,
)
from tools.context import ToolContext
from tools.customer_links import (
    claim_phone,
    drop_claim,
    linked_customers,
    move_claims,
    split_taken,
    unconfirmed_phones,
)
from tools.order_models import Channel
from tools.registry import CUSTOMER, SALES, STAFF, tool

CHANNELS: frozenset[str] = frozenset(SALES_CHANNELS)
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
PhoneText = Annotated[str, Field(min_length=1, max_length=30)]
_MAX_MERGE_HOPS = 50


# ------------------------------------------------------------------------------------- inputs


class AddressIn(BaseModel):
    line: str = Field(min_length=1, max_length=300, description="House number and street")
    ward: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=120)
    province: str = Field(default="", max_length=120, description="Province or city")
    recipient: str = Field(default="", max_length=200, description="Who receives the parcel")
    phone: str | None = Field(default=None, max_length=30, description="Recipient's phone")
    is_default: bool = False


class IdentityIn(BaseModel):
    channel: Channel
    external_id: str = Field(
        min_length=1, max_length=128, description="The customer's id on that channel"
    )
    display_name: str = Field(default="", max_length=200)


class CreateCustomerIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    phones: list[PhoneText] = Field(
        default_factory=list, max_length=5, description="Any format: 0912 345 678, +84 912 345 678"
    )
    phone: str | None = Field(
        default=None, max_length=30, description="Shorthand for a single phone (added to phones)"
    )
    email: Email | None = None
    company_name: str | None = Field(default=None, max_length=300)
    tax_code: str | None = Field(
        default=None,
        max_length=30,
        description="MST: 10 digits, or 10 digits-3 digits for a branch",
    )
    language: Literal["vi", "en"] = "vi"
    note: str = Field(default="", max_length=2000, description="Staff note, never shown to them")
    addresses: list[AddressIn] = Field(default_factory=list, max_length=10)
    address: AddressIn | None = Field(
        default=None, description="Shorthand for a single address (added)"
    )
    identities: list[IdentityIn] = Field(
        default_factory=list, max_length=10, description="Channel accounts (Zalo, Messenger...)"
    )


class GetCustomerIn(BaseModel):
    customer_id: int | None = Field(default=None, gt=0)
    phone: str | None = Field(default=None, max_length=30, description="Any format")


class FindCustomersIn(BaseModel):
    query: str = Field(
        default="",
        max_length=200,
        description="A phone (any format, or its last digits), part of the name (accents "
        "optional), an email or a tax code",
    )
    channel: Channel | None = Field(default=None, description="With external_id: by identity")
    external_id: str | None = Field(default=None, max_length=128)
    limit: int = Field(default=10, ge=1, le=50)


class UpdateCustomerIn(BaseModel):
    customer_id: int | None = Field(default=None, gt=0, description="Staff: the customer to change")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200, description="'' removes it")
    company_name: str | None = Field(default=None, max_length=300, description="'' removes it")
    tax_code: str | None = Field(default=None, max_length=30, description="'' removes it")
    language: Literal["vi", "en"] | None = None
    note: str | None = Field(default=None, max_length=2000)
    add_phones: list[PhoneText] = Field(default_factory=list, max_length=5)
    remove_phones: list[PhoneText] = Field(default_factory=list, max_length=5)
    add_addresses: list[AddressIn] = Field(default_factory=list, max_length=10)
    remove_address_ids: list[int] = Field(default_factory=list, max_length=10)
    default_address_id: int | None = Field(default=None, gt=0)
    add_identities: list[IdentityIn] = Field(default_factory=list, max_length=10)


class MergeCustomersIn(BaseModel):
    source_id: int = Field(gt=0, description="The duplicate: emptied and pointed to the target")
    target_id: int = Field(gt=0, description="The customer that stays")


# ------------------------------------------------------------------------------------ outputs


class AddressOut(BaseModel):
    id: int
    recipient: str
    phone: str | None
    line: str
    ward: str
    district: str
    province: str
    is_default: bool


class IdentityOut(BaseModel):
    channel: str
    external_id: str
    display_name: str


class CustomerOut(BaseModel):
    id: int
    name: str
    phones: list[str] = Field(description="E.164, e.g. +84912345678")
    email: str | None
    company_name: str | None
    tax_code: str | None
    language: str
    addresses: list[AddressOut]
    identities: list[IdentityOut]
    order_count: int
    created_at: datetime
    note: str | None = Field(default=None, description="Staff only")
    unconfirmed_phones: list[str] = Field(
        default_factory=list,
        description="Phones this customer gave that another customer already has (E.164)",
    )
    linked_customer_ids: list[int] | None = Field(
        default=None,
        description="Staff only: customers sharing a phone with this one, confirmed on one "
        "side and unconfirmed on the other; probably the same person (merge_customers)",
    )


class CustomerSummary(BaseModel):
    id: int
    name: str
    phones: list[str]
    email: str | None
    company_name: str | None
    channels: list[str]
    order_count: int
    unconfirmed_phones: list[str] = Field(default_factory=list)
    linked_customer_ids: list[int] = Field(default_factory=list)


class FindCustomersOut(BaseModel):
    customers: list[CustomerSummary]


class MergeCustomersOut(BaseModel):
    customer: CustomerOut
    moved: dict[str, int] = Field(description="Rows moved from the source, by kind")


# ------------------------------------------------------------------------------------- helpers


def _identity_rows(
    ctx: ToolContext, customer_id: int, items: Sequence[IdentityIn]
) -> list[CustomerIdentity]:
    return [
        CustomerIdentity(
            customer_id=customer_id,
            channel=i.channel,
            external_id=i.external_id.strip(),
            display_name=i.display_name.strip(),
            created_at=ctx.now,
        )
        for i in items
    ]


def _search_text(c: Customer) -> str:
    return fold(" ".join(x for x in (c.name, c.company_name or "", c.email or "") if x))


def _clean_phones(items: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(E.164, field) for each (raw phone, field), duplicates dropped; a bad one names its field."""
    out: dict[str, str] = {}
    for raw, field in items:
        out.setdefault(normalise_phone(raw, field=field), field)
    return list(out.items())


def _numbered(values: Sequence[str], field: str) -> list[tuple[str, str]]:
    return [(v, f"{field}.{i}") for i, v in enumerate(values)]


async def _check_phones_free(
    ctx: ToolContext, phones: Sequence[tuple[str, str]], owner_id: int | None
) -> None:
    if not phones:
        return
    owners = dict(
        (
            await ctx.session.execute(
                select(CustomerPhone.phone, CustomerPhone.customer_id).where(
                    CustomerPhone.phone.in_([p for p, _ in phones])
                )
            )
        ).all()
    )
    for phone, field in phones:
        other = owners.get(phone)
        if other is not None and other != owner_id:
            raise Conflict(
                f"{display_phone(phone)} already belongs to another customer"
                + (
                    "."
                    if ctx.actor.is_customer
                    else f" (#{other}); merge them if it is the same person."
                ),
                field=field,
                code="phone_taken",
                details={} if ctx.actor.is_customer else {"customer_id": other, "phone": phone},
            )


async def _check_identities_free(
    ctx: ToolContext, identities: Sequence[IdentityIn], owner_id: int | None, field: str
) -> None:
    seen: set[tuple[str, str]] = set()
    for i, ident in enumerate(identities):
        key = (ident.channel, ident.external_id.strip())
        if key in seen:
            raise InvalidInput(
                f"{ident.channel} {key[1]} is listed twice.", field=f"{field}.{i}.external_id"
            )
        seen.add(key)
        other = await ctx.session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.channel == key[0], CustomerIdentity.external_id == key[1]
            )
        )
        if other is not None and other != owner_id:
            raise Conflict(
                f"That {ident.channel} account already belongs to customer #{other}.",
                field=f"{field}.{i}.external_id",
                code="identity_taken",
                details={"customer_id": other, "channel": key[0], "external_id": key[1]},
            )


def _address_rows(addresses: Sequence[AddressIn], field: str) -> list[CustomerAddress]:
    if sum(a.is_default for a in addresses) > 1:
        raise InvalidInput("Only one address can be the default.", field=field)
    return [
        CustomerAddress(
            recipient=a.recipient.strip(),
            line=a.line.strip(),
            ward=a.ward.strip(),
            district=a.district.strip(),
            province=a.province.strip(),
            is_default=a.is_default,
            phone=normalise_phone(a.phone, field=f"{field}.{i}.phone") if a.phone else None,
        )
        for i, a in enumerate(addresses)
    ]


def _clean_email(raw: str | None, field: str = "email") -> str | None:
    text = (raw or "").strip().lower()
    if not text:
        return None
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise InvalidInput(f"'{raw}' is not an email address.", field=field, code="invalid_email")
    return text


async def survivor_id(ctx: ToolContext, customer_id: int) -> int | None:
    """The customer that now holds this one's data (itself unless merged); None if unknown."""
    current: int | None = customer_id
    for _ in range(_MAX_MERGE_HOPS):
        if current is None:
            return None
        nxt = (
            await ctx.session.execute(
                select(Customer.id, Customer.merged_into_id).where(Customer.id == current)
            )
        ).first()
        if nxt is None:
            return None
        if nxt[1] is None:
            return int(nxt[0])
        current = nxt[1]
    raise RuntimeError(f"customer {customer_id}: merge chain too long or cyclic")


async def _customer(ctx: ToolContext, customer_id: int, field: str = "customer_id") -> Customer:
    """The surviving customer for this id."""
    cid = await survivor_id(ctx, customer_id)
    found = await ctx.session.get(Customer, cid) if cid is not None else None
    if found is None:
        raise NotFound(
            f"Customer #{customer_id} does not exist.", field=field, code="unknown_customer"
        )
    return found


async def _own_or_named(ctx: ToolContext, customer_id: int | None) -> Customer:
    """A customer actor always gets their own record; staff must name one."""
    own = ctx.customer_id()
    if own is not None:
        return await _customer(ctx, own)
    if customer_id is None:
        raise InvalidInput("Give customer_id.", field="customer_id")
    return await _customer(ctx, customer_id)


async def _order_counts(ctx: ToolContext, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await ctx.session.execute(
        select(Order.customer_id, func.count())
        .where(Order.customer_id.in_(list(ids)))
        .group_by(Order.customer_id)
    )
    return {int(cid): int(n) for cid, n in rows if cid is not None}


async def _customer_out(ctx: ToolContext, c: Customer) -> CustomerOut:
    s = ctx.session
    phones = (
        (
            await s.execute(
                select(CustomerPhone.phone)
                .where(CustomerPhone.customer_id == c.id)
                .order_by(CustomerPhone.id)
            )
        )
        .scalars()
        .all()
    )
    addresses = (
        (
            await s.execute(
                select(CustomerAddress)
                .where(CustomerAddress.customer_id == c.id)
                .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)
            )
        )
        .scalars()
        .all()
    )
    identities = (
        (
            await s.execute(
                select(CustomerIdentity)
                .where(CustomerIdentity.customer_id == c.id)
                .order_by(CustomerIdentity.id)
            )
        )
        .scalars()
        .all()
    )
    return CustomerOut(
        id=c.id,
        name=c.name,
        phones=list(phones),
        email=c.email,
        company_name=c.company_name,
        tax_code=c.tax_code,
        language=c.language,
        addresses=[
            AddressOut(
                id=a.id,
                recipient=a.recipient,
                phone=a.phone,
                line=a.line,
                ward=a.ward,
                district=a.district,
                province=a.province,
                is_default=a.is_default,
            )
            for a in addresses
        ],
        identities=[
            IdentityOut(channel=i.channel, external_id=i.external_id, display_name=i.display_name)
            for i in identities
        ],
        order_count=(await _order_counts(ctx, [c.id])).get(c.id, 0),
        created_at=c.created_at,
        note=None if ctx.actor.is_customer else c.note,
        unconfirmed_phones=(await unconfirmed_phones(ctx, [c.id]))[c.id],
        linked_customer_ids=None
        if ctx.actor.is_customer
        else (await linked_customers(ctx, [c.id])).get(c.id, []),
    )


async def _ensure_one_default(ctx: ToolContext, customer_id: int) -> None:
    """A customer with addresses has exactly one default (the first, unless one was chosen)."""
    rows = (
        (
            await ctx.session.execute(
                select(CustomerAddress)
                .where(CustomerAddress.customer_id == customer_id)
                .order_by(CustomerAddress.id)
            )
        )
        .scalars()
        .all()
    )
    if rows and not any(a.is_default for a in rows):
        rows[0].is_default = True


# --------------------------------------------------------------------------------------- tools


@tool(
    name="create_customer",
    description="""Create a customer record with name, phones (any Vietnamese format), email,
    company and tax code (for VAT invoices), delivery addresses and channel accounts (Zalo,
    Messenger, Shopee...). Refused if a phone or channel account already belongs to another
    customer: then use that customer (find_customers) or merge_customers.""",
    roles=SALES,
)
async def create_customer(ctx: ToolContext, inp: CreateCustomerIn) -> CustomerOut:
    shorthand = [(inp.phone, "phone")] if inp.phone else []
    phones = _clean_phones(_numbered(inp.phones, "phones") + shorthand)
    tax_code = normalise_tax_code(inp.tax_code) if inp.tax_code else None
    addresses = _address_rows(
        [*inp.addresses, *([inp.address] if inp.address else [])], "addresses"
    )
    await _check_phones_free(ctx, phones, None)
    await _check_identities_free(ctx, inp.identities, None, "identities")
    c = Customer(
        name=inp.name.strip(),
        email=_clean_email(inp.email),
        company_name=(inp.company_name or "").strip() or None,
        tax_code=tax_code,
        language=inp.language,
        note=inp.note,
        created_at=ctx.now,
    )
    c.search_text = _search_text(c)
    ctx.session.add(c)
    await ctx.session.flush()
    ctx.session.add_all([CustomerPhone(customer_id=c.id, phone=p) for p, _ in phones])
    for a in addresses:
        a.customer_id = c.id
    ctx.session.add_all(addresses)
    ctx.session.add_all(_identity_rows(ctx, c.id, inp.identities))
    await ctx.session.flush()
    await _ensure_one_default(ctx, c.id)
    return await _customer_out(ctx, c)


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


_CUSTOMER_MAY_CHANGE = {
    "name",
    "add_phones",
    "remove_phones",
    "add_addresses",
    "remove_address_ids",
    "default_address_id",
}


@tool(
    name="update_customer",
    description="""Change a customer's name, email, company, tax code, language or note; add or
    remove phones and addresses, choose the default address, add channel accounts. Fields left
    out stay as they are. A customer may change their own name, phones and addresses only.""",
    roles=SALES | CUSTOMER,
)
async def update_customer(ctx: ToolContext, inp: UpdateCustomerIn) -> CustomerOut:
    if ctx.actor.is_customer:
        asked = {f for f in inp.model_fields_set if getattr(inp, f) not in (None, [])}
        blocked = sorted(asked - _CUSTOMER_MAY_CHANGE - {"customer_id"})
        if blocked:
            raise PermissionDenied(
                f"Customers cannot change {blocked[0]}; please ask the shop.",
                field=blocked[0],
                code="not_allowed",
            )
    c = await _own_or_named(ctx, inp.customer_id)
    if not ctx.actor.is_customer and inp.customer_id is not None and c.id != inp.customer_id:
        raise Conflict(
            f"Customer #{inp.customer_id} was merged into #{c.id}; update that one.",
            field="customer_id",
            code="customer_merged",
            details={"merged_into_id": c.id},
        )
    # Check everything first.
    add_phones = _clean_phones(_numbered(inp.add_phones, "add_phones"))
    remove_phones = _clean_phones(_numbered(inp.remove_phones, "remove_phones"))
    tax_code = c.tax_code
    if inp.tax_code is not None:
        tax_code = normalise_tax_code(inp.tax_code) if inp.tax_code.strip() else None
    email = _clean_email(inp.email) if inp.email is not None else c.email
    new_addresses = _address_rows(inp.add_addresses, "add_addresses")
    claimed: list[str] = []
    if ctx.actor.is_customer:  # another customer's phone is kept unconfirmed (docs/customers.md)
        add_phones, claimed = await split_taken(ctx, add_phones, c.id)
    await _check_phones_free(ctx, add_phones, c.id)
    await _check_identities_free(ctx, inp.add_identities, c.id, "add_identities")
    own_phones = {
        p.phone: p
        for p in (
            await ctx.session.execute(
                select(CustomerPhone).where(CustomerPhone.customer_id == c.id)
            )
        ).scalars()
    }
    own_claims = set((await unconfirmed_phones(ctx, [c.id]))[c.id])
    for phone, field in remove_phones:
        if phone not in own_phones and phone not in own_claims:
            raise NotFound(
                f"{display_phone(phone)} is not one of this customer's phones.",
                field=field,
                code="unknown_phone",
            )
    own_addresses = {
        a.id: a
        for a in (
            await ctx.session.execute(
                select(CustomerAddress).where(CustomerAddress.customer_id == c.id)
            )
        ).scalars()
    }
    for i, aid in enumerate(inp.remove_address_ids):
        if aid not in own_addresses:
            raise NotFound(
                f"Address {aid} is not one of this customer's addresses.",
                field=f"remove_address_ids.{i}",
                code="unknown_address",
            )
    if inp.default_address_id is not None and (
        inp.default_address_id not in own_addresses
        or inp.default_address_id in inp.remove_address_ids
    ):
        raise NotFound(
            f"Address {inp.default_address_id} is not one of this customer's addresses.",
            field="default_address_id",
            code="unknown_address",
        )
    if inp.default_address_id is not None and any(a.is_default for a in new_addresses):
        raise InvalidInput("Choose one default address.", field="default_address_id")

    if inp.name is not None:
        c.name = inp.name.strip()
    if inp.company_name is not None:
        c.company_name = inp.company_name.strip() or None
    if inp.language is not None:
        c.language = inp.language
    if inp.note is not None:
        c.note = inp.note
    c.email, c.tax_code = email, tax_code
    c.search_text = _search_text(c)
    for phone, _ in remove_phones:
        if phone in own_phones:
            await ctx.session.delete(own_phones[phone])
        else:
            await drop_claim(ctx, c.id, phone)
    for phone in claimed:
        await claim_phone(ctx, c.id, phone)
    ctx.session.add_all(
        [CustomerPhone(customer_id=c.id, phone=p) for p, _ in add_phones if p not in own_phones]
    )
    for aid in inp.remove_address_ids:
        await ctx.session.delete(own_addresses[aid])
    makes_default = inp.default_address_id is not None or any(a.is_default for a in new_addresses)
    if makes_default:
        for a in own_addresses.values():
            a.is_default = a.id == inp.default_address_id
    for a in new_addresses:
        a.customer_id = c.id
    ctx.session.add_all(new_addresses)
    ctx.session.add_all(_identity_rows(ctx, c.id, inp.add_identities))
    await ctx.session.flush()
    await _ensure_one_default(ctx, c.id)
    return await _customer_out(ctx, c)


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
    s = ctx.session
    moved: dict[str, int] = {}
    for name, model in _MOVED_ON_MERGE:
        col = model.customer_id
        moved[name] = int(
            await s.scalar(select(func.count()).select_from(model).where(col == source.id)) or 0
        )
    target_has_default = bool(
        await s.scalar(
            select(func.count()).where(
                CustomerAddress.customer_id == target.id, CustomerAddress.is_default.is_(True)
            )
        )
    )
    if target_has_default:
        await s.execute(
            update(CustomerAddress)
            .where(CustomerAddress.customer_id == source.id)
            .values(is_default=False)
        )
    for _, model in _MOVED_ON_MERGE:
        await s.execute(
            update(model).where(model.customer_id == source.id).values(customer_id=target.id)
        )
    moved["unconfirmed_phones"] = await move_claims(ctx, source.id, target.id)
    # Customers merged earlier into the source now point straight at the target.
    await s.execute(
        update(Customer)
        .where(Customer.merged_into_id == source.id)
        .values(merged_into_id=target.id)
    )
    target.name = target.name or source.name
    target.email = target.email or source.email
    target.company_name = target.company_name or source.company_name
    target.tax_code = target.tax_code or source.tax_code
    if source.note:
        target.note = f"{target.note}\n{source.note}".strip()
    target.search_text = _search_text(target)
    source.merged_into_id = target.id
    await s.flush()
    s.expire_all()
    target = await s.get_one(Customer, inp.target_id)
    ctx.emit(
        "customer.merged",
        f"customer:{target.id}",
        {"source_id": inp.source_id, "target_id": target.id, "moved": moved},
    )
    return MergeCustomersOut(customer=await _customer_out(ctx, target), moved=moved)


# What a merge moves from the source to the target, by the name it is counted under.
_MOVED_ON_MERGE: tuple[tuple[str, Any], ...] = (
    ("phones", CustomerPhone),
    ("addresses", CustomerAddress),
    ("identities", CustomerIdentity),
    ("orders", Order),
    ("quotes", Quote),
    ("conversations", Conversation),
)


async def _unmerged(ctx: ToolContext, customer_id: int, field: str) -> Customer:
    c = await ctx.session.get(Customer, customer_id)
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


# --------------------------------------------------------------------------- channel helper


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
