"""Customers and what hangs off them: phones, unconfirmed phone claims, addresses, channel
identities, the merge chain, the search, a merge's moves, and the buyer remembered with an order.

Functions take the transaction and typed values and return ORM entities (the customer tools
change them: unit of work) or plain values. The rules (which phone is whose, what a merge
keeps) are tools.customers' and tools.customer_links'; this module only reads and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql, dialect_insert, per_dialect
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

# A merge chain longer than this is a cycle or corruption, not a history of merges.
MAX_MERGE_HOPS = 50

# ---------------------------------------------------------------------------------------------
# One customer and the merge chain


async def customer(tx: Tx, customer_id: int) -> Customer | None:
    return await tx.session.get(Customer, customer_id)


_EXISTS = Sql(select(Customer.id).where(Customer.id == bindparam("id", type_=Integer)))


async def exists(tx: Tx, customer_id: int) -> bool:
    """Whether the customer is on file (merged ones too): one indexed read on the fast path,
    for staff creating an order, without loading the customer."""
    return bool(await (await tx.raw()).fetch(_EXISTS, {"id": customer_id}))


async def add_customer(tx: Tx, c: Customer) -> Customer:
    """Writes a new customer; its id is known on return."""
    tx.session.add(c)
    await tx.session.flush()
    return c


async def survivor_id(tx: Tx, customer_id: int) -> int | None:
    """The customer that now holds this one's data (itself unless merged); None if unknown."""
    current: int | None = customer_id
    for _ in range(MAX_MERGE_HOPS):
        if current is None:
            return None
        step = (
            await tx.session.execute(
                select(Customer.id, Customer.merged_into_id).where(Customer.id == current)
            )
        ).first()
        if step is None:
            return None
        if step[1] is None:
            return int(step[0])
        current = step[1]
    raise RuntimeError(f"customer {customer_id}: merge chain too long or cyclic")


async def order_counts(tx: Tx, ids: Sequence[int]) -> dict[int, int]:
    """How many orders each of these customers has (customers without any are left out)."""
    if not ids:
        return {}
    rows = await tx.session.execute(
        select(Order.customer_id, func.count())
        .where(Order.customer_id.in_(list(ids)))
        .group_by(Order.customer_id)
    )
    return {int(cid): int(n) for cid, n in rows if cid is not None}


# ---------------------------------------------------------------------------------------------
# Phones, addresses, identities


async def phone_owner(tx: Tx, phone: str) -> int | None:
    """The customer owning this phone (E.164), if any."""
    found: int | None = await tx.session.scalar(
        select(CustomerPhone.customer_id).where(CustomerPhone.phone == phone)
    )
    return found


async def phone_owners(tx: Tx, phones: Sequence[str]) -> dict[str, int]:
    """Owner per phone, for those of ``phones`` someone owns."""
    if not phones:
        return {}
    rows = await tx.session.execute(
        select(CustomerPhone.phone, CustomerPhone.customer_id).where(
            CustomerPhone.phone.in_(list(phones))
        )
    )
    return {phone: int(cid) for phone, cid in rows}


async def _values_by_customer(
    tx: Tx, model: Any, column: Any, ids: Sequence[int]
) -> dict[int, list[str]]:
    """``column`` of ``model``'s rows per customer, in the order they were added (every id is a
    key): one query for a whole page of customers."""
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = await tx.session.execute(
            select(model.customer_id, column)
            .where(model.customer_id.in_(list(ids)))
            .order_by(model.id)
        )
        for cid, value in rows:
            out[cid].append(value)
    return out


async def phones_of(tx: Tx, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each customer's phones in the order they were added (every id is a key)."""
    return await _values_by_customer(tx, CustomerPhone, CustomerPhone.phone, ids)


async def phone_rows_of(tx: Tx, customer_id: int) -> list[CustomerPhone]:
    """The customer's phone rows, for removing some."""
    rows = await tx.session.scalars(
        select(CustomerPhone).where(CustomerPhone.customer_id == customer_id)
    )
    return list(rows)


async def addresses_of(
    tx: Tx, customer_id: int, *, default_first: bool = False
) -> list[CustomerAddress]:
    """The customer's addresses in the order they were added (the default first if asked)."""
    order: list[Any] = [CustomerAddress.id]
    if default_first:
        order.insert(0, CustomerAddress.is_default.desc())
    rows = await tx.session.scalars(
        select(CustomerAddress).where(CustomerAddress.customer_id == customer_id).order_by(*order)
    )
    return list(rows)


async def identities_of(tx: Tx, customer_id: int) -> list[CustomerIdentity]:
    rows = await tx.session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(CustomerIdentity.id)
    )
    return list(rows)


async def channels_of(tx: Tx, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each customer's channels, once each, in the order the accounts were added (every id is
    a key)."""
    found = await _values_by_customer(tx, CustomerIdentity, CustomerIdentity.channel, ids)
    return {cid: list(dict.fromkeys(channels)) for cid, channels in found.items()}


_KNOWN_IDENTITY = Sql(
    select(Customer.id)
    .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
    .where(
        CustomerIdentity.channel == bindparam("channel", type_=String),
        CustomerIdentity.external_id == bindparam("ext", type_=String),
        Customer.merged_into_id.is_(None),
    )
)


async def unmerged_identity_owner(tx: Tx, channel: str, external_id: str) -> int | None:
    """The customer of a channel account when it was never merged away.

    Every inbound message asks this; the usual answer (a known, unmerged account) is one
    statement on the compiled fast path, without an ORM session."""
    rows = await (await tx.raw()).fetch(_KNOWN_IDENTITY, {"channel": channel, "ext": external_id})
    return int(rows[0][0]) if rows else None


_IDENTITY_OWNER = Sql(
    select(CustomerIdentity.customer_id).where(
        CustomerIdentity.channel == bindparam("channel", type_=String),
        CustomerIdentity.external_id == bindparam("ext", type_=String),
    )
)


async def identity_owner(tx: Tx, channel: str, external_id: str) -> int | None:
    """The customer the channel account was registered to (merged or not)."""
    rows = await (await tx.raw()).fetch(_IDENTITY_OWNER, {"channel": channel, "ext": external_id})
    return int(rows[0][0]) if rows else None


# A first message from an unknown account makes its customer: on the fast path, as every new
# chat does it (half the turns of a busy launch day), without an ORM session.
_NEW_CUSTOMER = Sql(
    insert(Customer)
    .values(
        name=bindparam("name", type_=String),
        language="vi",
        note="",
        search_text=bindparam("search", type_=String),
        created_at=bindparam("at", type_=UTCDateTime),
    )
    .returning(Customer.id)
)
_FORGET_CUSTOMER = Sql(delete(Customer).where(Customer.id == bindparam("id", type_=Integer)))


def _register_identity(dialect_insert: Any) -> Sql:
    return Sql(
        dialect_insert(CustomerIdentity)
        .values(
            customer_id=bindparam("customer", type_=Integer),
            channel=bindparam("channel", type_=String),
            external_id=bindparam("ext", type_=String),
            display_name=bindparam("name", type_=String),
            created_at=bindparam("at", type_=UTCDateTime),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(CustomerIdentity.id)
    )


_REGISTER_IDENTITY = per_dialect(_register_identity)


async def new_customer(tx: Tx, name: str, search_text: str, at: datetime) -> int:
    """Writes a customer known only by a name (a chat's first message); returns its id."""
    rows = await (await tx.raw()).fetch(
        _NEW_CUSTOMER, {"name": name, "search": search_text, "at": at}
    )
    return int(rows[0][0])


async def forget_new_customer(tx: Tx, customer_id: int) -> None:
    """Deletes a customer written in this transaction that turned out not to be needed."""
    await (await tx.raw()).execute(_FORGET_CUSTOMER, {"id": customer_id})


async def register_identity(
    tx: Tx, customer_id: int, channel: str, external_id: str, display_name: str, at: datetime
) -> bool:
    """Registers the channel account to this customer unless someone has it already (then
    False, and nothing is written: two first messages racing end with one owner)."""
    params = {
        "customer": customer_id,
        "channel": channel,
        "ext": external_id,
        "name": display_name,
        "at": at,
    }
    return bool(await (await tx.raw()).fetch(_REGISTER_IDENTITY[tx.dialect], params))


async def make_first_address_default(tx: Tx, customer_id: int) -> None:
    """A customer with addresses has exactly one default: the first, unless one was chosen."""
    rows = await addresses_of(tx, customer_id)
    if rows and not any(a.is_default for a in rows):
        rows[0].is_default = True


# ---------------------------------------------------------------------------------------------
# Unconfirmed phones (claims) and the links they make


async def claim_phone(tx: Tx, customer_id: int, phone: str, at: datetime) -> None:
    """Keeps ``phone`` (E.164) on this customer as unconfirmed, once."""
    await tx.session.execute(
        dialect_insert(tx.dialect)(CustomerPhoneClaim)
        .values(customer_id=customer_id, phone=phone, created_at=at)
        .on_conflict_do_nothing(index_elements=["customer_id", "phone"])
    )


async def drop_claim(tx: Tx, customer_id: int, phone: str) -> None:
    await tx.session.execute(
        delete(CustomerPhoneClaim).where(
            CustomerPhoneClaim.customer_id == customer_id, CustomerPhoneClaim.phone == phone
        )
    )


async def claimed_phones(tx: Tx, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each customer's claimed phones, oldest first (every id is a key)."""
    return await _values_by_customer(tx, CustomerPhoneClaim, CustomerPhoneClaim.phone, ids)


async def claim_pairs(tx: Tx, ids: Sequence[int]) -> list[tuple[int, int]]:
    """(one of ``ids``, another customer) for every phone one claims and the other owns, in
    either direction."""
    if not ids:
        return []
    wanted = list(ids)
    owner = CustomerPhone.customer_id
    claimant = CustomerPhoneClaim.customer_id
    on_phone = CustomerPhone.phone == CustomerPhoneClaim.phone
    claimed = await tx.session.execute(
        select(claimant, owner).join(CustomerPhone, on_phone).where(claimant.in_(wanted))
    )
    pairs = [(int(a), int(b)) for a, b in claimed]
    owned = await tx.session.execute(
        select(owner, claimant).join(CustomerPhoneClaim, on_phone).where(owner.in_(wanted))
    )
    pairs += [(int(a), int(b)) for a, b in owned]
    return pairs


async def move_claims(tx: Tx, source_id: int, target_id: int) -> int:
    """On a merge (after the phones moved): the source's claims go to the target, except
    phones the target now owns or already claims. Returns how many the source had."""
    s = tx.session
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


# ---------------------------------------------------------------------------------------------
# Finding customers


@dataclass(frozen=True, slots=True)
class ById:
    """Exactly this customer (0: nobody)."""

    customer_id: int


@dataclass(frozen=True, slots=True)
class ByEmail:
    """Part of the email, lower case."""

    part: str


@dataclass(frozen=True, slots=True)
class ByPhoneOrTax:
    """A phone owned or claimed: exactly (E.164) or by a LIKE pattern; or the tax code."""

    phone: str | None = None
    phone_like: str | None = None
    tax_code: str | None = None


@dataclass(frozen=True, slots=True)
class ByName:
    """All of the folded ``words`` in the search text, or ``raw`` (lower case) in the name as
    stored: rows written without search_text are still found when typed as stored."""

    raw: str
    words: tuple[str, ...]


CustomerMatch = ById | ByEmail | ByPhoneOrTax | ByName


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone_or_tax(m: ByPhoneOrTax) -> ColumnElement[bool]:
    # Owners and claimants (unconfirmed phones) alike: staff see both records side by side.
    filters: list[ColumnElement[bool]] = []
    for model in (CustomerPhone, CustomerPhoneClaim):
        match = model.phone == m.phone if m.phone is not None else model.phone.like(m.phone_like)
        filters.append(Customer.id.in_(select(model.customer_id).where(match)))
    if m.tax_code is not None:
        filters.append(Customer.tax_code == m.tax_code)
    return or_(*filters)


def _match(m: CustomerMatch) -> ColumnElement[bool]:
    if isinstance(m, ById):
        return Customer.id == m.customer_id
    if isinstance(m, ByEmail):
        return func.lower(Customer.email).like(f"%{_escape(m.part)}%", escape="\\")
    if isinstance(m, ByPhoneOrTax):
        return _phone_or_tax(m)
    by_raw = func.lower(Customer.name).like(f"%{_escape(m.raw)}%", escape="\\")
    by_folded = [Customer.search_text.like(f"%{w}%") for w in m.words]
    return or_(by_raw, and_(*by_folded)) if by_folded else by_raw


async def find_customers(tx: Tx, match: CustomerMatch, *, limit: int) -> list[Customer]:
    """Unmerged customers matching, by name then id."""
    rows = await tx.session.scalars(
        select(Customer)
        .where(Customer.merged_into_id.is_(None), _match(match))
        .order_by(Customer.name, Customer.id)
        .limit(limit)
    )
    return list(rows)


# ---------------------------------------------------------------------------------------------
# Merging

# What a merge moves from the source to the target, by the name it is counted under.
_MOVED_ON_MERGE: tuple[tuple[str, Any], ...] = (
    ("phones", CustomerPhone),
    ("addresses", CustomerAddress),
    ("identities", CustomerIdentity),
    ("orders", Order),
    ("quotes", Quote),
    ("conversations", Conversation),
)


async def move_to(tx: Tx, source_id: int, target_id: int) -> dict[str, int]:
    """Moves the source's phones, addresses, channel accounts, orders, quotes and conversations
    to the target, and points customers merged into the source at the target; returns how
    many of each moved. The target keeps its default address if it has one. Claims are
    move_claims'."""
    s = tx.session
    moved: dict[str, int] = {}
    for name, model in _MOVED_ON_MERGE:
        col = model.customer_id
        moved[name] = int(
            await s.scalar(select(func.count()).select_from(model).where(col == source_id)) or 0
        )
    target_has_default = bool(
        await s.scalar(
            select(func.count()).where(
                CustomerAddress.customer_id == target_id, CustomerAddress.is_default.is_(True)
            )
        )
    )
    if target_has_default:
        await s.execute(
            update(CustomerAddress)
            .where(CustomerAddress.customer_id == source_id)
            .values(is_default=False)
        )
    for _, model in _MOVED_ON_MERGE:
        await s.execute(
            update(model).where(model.customer_id == source_id).values(customer_id=target_id)
        )
    await s.execute(
        update(Customer)
        .where(Customer.merged_into_id == source_id)
        .values(merged_into_id=target_id)
    )
    return moved


async def reread_after_merge(tx: Tx, customer_id: int) -> Customer:
    """The customer read again once a merge's changes are written: the bulk UPDATEs of move_to
    bypass the identity map, so everything loaded before is expired and read afresh."""
    await tx.session.flush()
    tx.session.expire_all()
    return await tx.session.get_one(Customer, customer_id)


__all__ = [
    "MAX_MERGE_HOPS",
    "ByEmail",
    "ById",
    "ByName",
    "ByPhoneOrTax",
    "CustomerMatch",
    "add_customer",
    "addresses_of",
    "channels_of",
    "claim_pairs",
    "claim_phone",
    "claimed_phones",
    "customer",
    "drop_claim",
    "find_customers",
    "forget_new_customer",
    "identities_of",
    "identity_owner",
    "make_first_address_default",
    "move_claims",
    "move_to",
    "new_customer",
    "order_counts",
    "phone_owner",
    "phone_owners",
    "phone_rows_of",
    "phones_of",
    "register_identity",
    "reread_after_merge",
    "survivor_id",
    "unmerged_identity_owner",
]


_p = bindparam

# ---------------------------------------------------------------------------------------------
# The buyer, remembered with an order (the order hot path: compiled statements, one read in
# the common case)


class KnownBuyer(NamedTuple):
    """What the shop already knows of a buyer placing an order."""

    name: str | None  # the customer's name ("" when never given)
    phone_owner: int | None  # the customer the phone belongs to, if anyone's
    address_known: bool  # whether the customer already has this address


_cid = _p("customer_id", type_=Integer)
# In one statement: the common case (a returning buyer) writes nothing after it.
_KNOWN_BUYER = Sql(
    select(
        select(Customer.name).where(Customer.id == _cid).scalar_subquery(),
        select(CustomerPhone.customer_id)
        .where(CustomerPhone.phone == _p("phone", type_=String))
        .scalar_subquery(),
        select(func.count())
        .select_from(CustomerAddress)
        .where(
            CustomerAddress.customer_id == _cid,
            CustomerAddress.line == _p("line", type_=String),
            CustomerAddress.ward == _p("ward", type_=String),
            CustomerAddress.district == _p("district", type_=String),
            CustomerAddress.province == _p("province", type_=String),
        )
        .scalar_subquery(),
    )
)


async def known_buyer(
    tx: Tx, customer_id: int, phone: str, *, line: str, ward: str, district: str, province: str
) -> KnownBuyer:
    """The customer's name, who owns ``phone`` and whether the address is on file."""
    params = {
        "customer_id": customer_id,
        "phone": phone,
        "line": line,
        "ward": ward,
        "district": district,
        "province": province,
    }
    name, owner, addresses = (await (await tx.raw()).fetch(_KNOWN_BUYER, params))[0]
    return KnownBuyer(name, owner, bool(addresses))


_FILL_NAME = Sql(
    update(Customer)
    .where(Customer.id == _p("customer_id", type_=Integer), Customer.name == "")
    .values(name=_p("name", type_=String), search_text=_p("folded", type_=String))
)


async def fill_name(tx: Tx, customer_id: int, name: str, folded: str) -> None:
    """Names the customer (``folded``: the name as searched), unless it has a name already."""
    await (await tx.raw()).execute(
        _FILL_NAME, {"customer_id": customer_id, "name": name, "folded": folded}
    )


_INSERT_PHONE = Sql(
    insert(CustomerPhone).values(
        customer_id=_p("customer_id", type_=Integer), phone=_p("phone", type_=String)
    )
)


async def add_phone(tx: Tx, customer_id: int, phone: str) -> None:
    """Gives the customer a phone nobody has yet."""
    await (await tx.raw()).execute(_INSERT_PHONE, {"customer_id": customer_id, "phone": phone})


_INSERT_ADDRESS = Sql(
    insert(CustomerAddress).values(
        customer_id=_p("customer_id", type_=Integer),
        recipient=_p("recipient", type_=String),
        phone=_p("phone", type_=String),
        line=_p("line", type_=String),
        ward=_p("ward", type_=String),
        district=_p("district", type_=String),
        province=_p("province", type_=String),
        is_default=_p("is_default", type_=Boolean),
    )
)


async def add_address(
    tx: Tx,
    customer_id: int,
    *,
    recipient: str,
    phone: str | None,
    line: str,
    ward: str,
    district: str,
    province: str,
) -> None:
    """Keeps a delivery address on the customer (not their default)."""
    await (await tx.raw()).execute(
        _INSERT_ADDRESS,
        {
            "customer_id": customer_id,
            "recipient": recipient,
            "phone": phone,
            "line": line,
            "ward": ward,
            "district": district,
            "province": province,
            "is_default": False,
        },
    )
