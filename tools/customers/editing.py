"""Creating and changing a customer (a customer may change only some of their own fields)."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.phone import display_phone
from core.tax_code import normalise_tax_code
from storage import customers as stored
from storage.models import (
    Customer,
    CustomerAddress,
    CustomerPhone,
)
from tools.context import ToolContext
from tools.customer_links import (
    claim_phone,
    drop_claim,
    split_taken,
    unconfirmed_phones,
)
from tools.customers.records import (
    _address_rows,
    _check_identities_free,
    _check_phones_free,
    _clean_email,
    _clean_phones,
    _customer_out,
    _ensure_one_default,
    _identity_rows,
    _numbered,
    _own_or_named,
    _search_text,
)
from tools.customers.schemas import (
    CreateCustomerIn,
    CustomerOut,
    UpdateCustomerIn,
)
from tools.registry import CUSTOMER, SALES, tool


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
    ctx.tx.add(c)
    await ctx.tx.flush()
    ctx.tx.add_all([CustomerPhone(customer_id=c.id, phone=p) for p, _ in phones])
    for a in addresses:
        a.customer_id = c.id
    ctx.tx.add_all(addresses)
    ctx.tx.add_all(_identity_rows(ctx, c.id, inp.identities))
    await ctx.tx.flush()
    await _ensure_one_default(ctx, c.id)
    return await _customer_out(ctx, c)


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
    _refuse_staff_fields(ctx, inp)
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
    own_phones = await _own_phones(ctx, c.id, remove_phones)
    own_addresses = await _own_addresses(ctx, c.id, inp, new_addresses)

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
            await ctx.tx.delete(own_phones[phone])
        else:
            await drop_claim(ctx, c.id, phone)
    for phone in claimed:
        await claim_phone(ctx, c.id, phone)
    ctx.tx.add_all(
        [CustomerPhone(customer_id=c.id, phone=p) for p, _ in add_phones if p not in own_phones]
    )
    for aid in inp.remove_address_ids:
        await ctx.tx.delete(own_addresses[aid])
    makes_default = inp.default_address_id is not None or any(a.is_default for a in new_addresses)
    if makes_default:
        for a in own_addresses.values():
            a.is_default = a.id == inp.default_address_id
    for a in new_addresses:
        a.customer_id = c.id
    ctx.tx.add_all(new_addresses)
    ctx.tx.add_all(_identity_rows(ctx, c.id, inp.add_identities))
    await ctx.tx.flush()
    await _ensure_one_default(ctx, c.id)
    return await _customer_out(ctx, c)


def _refuse_staff_fields(ctx: ToolContext, inp: UpdateCustomerIn) -> None:
    """A customer changing a field only staff may change is refused, naming the field."""
    if ctx.actor.is_customer:
        asked = {f for f in inp.model_fields_set if getattr(inp, f) not in (None, [])}
        blocked = sorted(asked - _CUSTOMER_MAY_CHANGE - {"customer_id"})
        if blocked:
            raise PermissionDenied(
                f"Customers cannot change {blocked[0]}; please ask the shop.",
                field=blocked[0],
                code="not_allowed",
            )


async def _own_phones(
    ctx: ToolContext, customer_id: int, remove_phones: list[tuple[str, str]]
) -> dict[str, CustomerPhone]:
    """The customer's phones; a phone to remove must be one of them (or an unconfirmed one)."""
    own_phones = {p.phone: p for p in await stored.phone_rows_of(ctx.tx, customer_id)}
    own_claims = set((await unconfirmed_phones(ctx, [customer_id]))[customer_id])
    for phone, field in remove_phones:
        if phone not in own_phones and phone not in own_claims:
            raise NotFound(
                f"{display_phone(phone)} is not one of this customer's phones.",
                field=field,
                code="unknown_phone",
            )
    return own_phones


async def _own_addresses(
    ctx: ToolContext,
    customer_id: int,
    inp: UpdateCustomerIn,
    new_addresses: list[CustomerAddress],
) -> dict[int, CustomerAddress]:
    """The customer's addresses; the ones to remove and the new default must be among them."""
    own_addresses = {a.id: a for a in await stored.addresses_of(ctx.tx, customer_id)}
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
    return own_addresses
