"""A customer's record: phones, identities and addresses checked and built, the merge
chain followed, and CustomerOut built in one place."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.errors import Conflict, InvalidInput, NotFound
from core.phone import display_phone, normalise_phone
from core.text import fold
from storage import customers as stored
from storage.models import (
    Customer,
    CustomerAddress,
    CustomerIdentity,
)
from tools.context import ToolContext
from tools.customer_links import (
    linked_customers,
    unconfirmed_phones,
)
from tools.customers.schemas import (
    AddressIn,
    AddressOut,
    CustomerOut,
    IdentityIn,
    IdentityOut,
)


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
    owners = await stored.phone_owners(ctx.tx, [p for p, _ in phones])
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
        other = await stored.identity_owner(ctx.tx, *key)
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
    return await stored.survivor_id(ctx.tx, customer_id)


async def _customer(ctx: ToolContext, customer_id: int, field: str = "customer_id") -> Customer:
    """The surviving customer for this id."""
    cid = await survivor_id(ctx, customer_id)
    found = await stored.customer(ctx.tx, cid) if cid is not None else None
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
    return await stored.order_counts(ctx.tx, ids)


async def _customer_out(ctx: ToolContext, c: Customer) -> CustomerOut:
    phones = (await stored.phones_of(ctx.tx, [c.id]))[c.id]
    addresses = await stored.addresses_of(ctx.tx, c.id, default_first=True)
    identities = await stored.identities_of(ctx.tx, c.id)
    return CustomerOut(
        id=c.id,
        name=c.name,
        phones=phones,
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
    await stored.make_first_address_default(ctx.tx, customer_id)
