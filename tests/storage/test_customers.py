"""storage.customers: the merge chain, claims and the links they make, identity registration
racing, and the search, with the same typed values on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from storage import customers
from storage.database import Database
from storage.models import Customer, CustomerAddress, CustomerPhone


async def _customer(db: Database, name: str, phone: str | None = None) -> int:
    async with db.transaction() as tx:
        c = await customers.add_customer(
            tx, Customer(name=name, search_text=name.lower(), created_at=tx.now)
        )
        if phone:
            tx.session.add(CustomerPhone(customer_id=c.id, phone=phone))
        return c.id


async def test_survivor_follows_the_merge_chain(db: Database) -> None:
    a = await _customer(db, "a")
    b = await _customer(db, "b")
    c = await _customer(db, "c")
    async with db.transaction() as tx:
        (await customers.customer(tx, a)).merged_into_id = b  # type: ignore[union-attr]
        (await customers.customer(tx, b)).merged_into_id = c  # type: ignore[union-attr]
    async with db.transaction(write=False) as tx:
        assert await customers.survivor_id(tx, a) == c
        assert await customers.survivor_id(tx, c) == c
        assert await customers.survivor_id(tx, 999) is None


async def test_claims_link_claimant_and_owner_both_ways(db: Database) -> None:
    owner = await _customer(db, "owner", "+84912345678")
    claimant = await _customer(db, "claimant")
    async with db.transaction() as tx:
        await customers.claim_phone(tx, claimant, "+84912345678", tx.now)
        await customers.claim_phone(tx, claimant, "+84912345678", tx.now)  # once only
    async with db.transaction(write=False) as tx:
        assert await customers.claimed_phones(tx, [claimant, owner]) == {
            claimant: ["+84912345678"],
            owner: [],
        }
        pairs = await customers.claim_pairs(tx, [owner, claimant])
        assert sorted(pairs) == sorted([(claimant, owner), (owner, claimant)])
        assert await customers.phone_owners(tx, ["+84912345678", "+84900000000"]) == {
            "+84912345678": owner
        }


async def test_second_registration_of_an_identity_is_refused_without_writing(
    db: Database,
) -> None:
    first = await _customer(db, "first")
    second = await _customer(db, "second")
    async with db.transaction() as tx:
        assert await customers.register_identity(tx, first, "zalo", "z1", "Z", tx.now) is True
        assert await customers.register_identity(tx, second, "zalo", "z1", "Z", tx.now) is False
    async with db.transaction(write=False) as tx:
        assert await customers.identity_owner(tx, "zalo", "z1") == first
        assert await customers.unmerged_identity_owner(tx, "zalo", "z1") == first
        assert await customers.channels_of(tx, [first, second]) == {first: ["zalo"], second: []}


async def test_addresses_default_first_with_bool_flags(db: Database) -> None:
    cid = await _customer(db, "addr")
    async with db.transaction() as tx:
        for line, default in (("1 A", False), ("2 B", True)):
            tx.session.add(CustomerAddress(customer_id=cid, line=line, is_default=default))
    async with db.transaction(write=False) as tx:
        rows = await customers.addresses_of(tx, cid, default_first=True)
    assert [a.line for a in rows] == ["2 B", "1 A"]
    assert [a.is_default for a in rows] == [True, False]
    assert all(type(a.is_default) is bool for a in rows)


@pytest.mark.parametrize(
    ("match", "names"),
    [
        (customers.ByPhoneOrTax(phone="+84912345678"), ["Nguyễn An"]),
        (customers.ByPhoneOrTax(phone_like="%345678"), ["Nguyễn An"]),
        (customers.ByName(raw="nguyễn", words=("nguyen",)), ["Nguyễn An"]),
        (customers.ByName(raw="50%", words=()), []),  # % is a character, not a pattern
        (customers.ByEmail("nobody@"), []),
        (customers.ById(0), []),
    ],
)
async def test_find_customers_by_each_kind_of_query(
    db: Database, match: customers.CustomerMatch, names: list[str]
) -> None:
    async with db.transaction() as tx:
        c = await customers.add_customer(
            tx, Customer(name="Nguyễn An", search_text="nguyen an", created_at=tx.now)
        )
        tx.session.add(CustomerPhone(customer_id=c.id, phone="+84912345678"))
    async with db.transaction(write=False) as tx:
        found = await customers.find_customers(tx, match, limit=10)
    assert [c.name for c in found] == names
