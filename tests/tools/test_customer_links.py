"""One phone in two chat sessions: the second customer keeps the phone, linked to the first.

Two web sessions are two customers (nothing tells the shop they are one person). When the
second checks out with a phone the first already has, the phone is kept on the second as
unconfirmed and the two records are linked for staff, who merge them (docs/customers.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.errors import Conflict
from core.roles import Actor
from storage.database import Database
from storage.models import Conversation
from tests.conftest import Caller
from tests.factories import SALES, in_tx, make_stocked_shop, place_quote
from tools.context import ToolContext
from tools.customers import customer_for_identity

PHONE = "+84912345678"


async def chat_customer(db: Database, session: str) -> Actor:
    cid = await in_tx(db, lambda ctx: customer_for_identity(ctx, "web", session))
    return Actor.customer(cid)


async def buy(shop: Caller, who: Actor, phone: str = "0912 345 678") -> dict[str, Any]:
    quote = await shop("quote_order", who, lines=[{"sku": "AT01-DEN-M", "quantity": 1}])
    return await place_quote(shop, who, quote, buyer_phone=phone)


@pytest.fixture
async def two_sessions(shop: Caller, db: Database) -> tuple[Actor, Actor]:
    await make_stocked_shop(shop)
    first, second = await chat_customer(db, "s" * 20), await chat_customer(db, "t" * 20)
    await buy(shop, first)
    await buy(shop, second, "+84 912 345 678")
    return first, second


async def test_the_second_session_keeps_the_phone_as_unconfirmed(
    shop: Caller, two_sessions: tuple[Actor, Actor]
) -> None:
    first, second = two_sessions
    mine = await shop("get_customer", second)
    assert mine["phones"] == []
    assert mine["unconfirmed_phones"] == [PHONE]
    assert mine["linked_customer_ids"] is None  # not shown to the customer
    theirs = await shop("get_customer", first)
    assert theirs["phones"] == [PHONE]
    assert theirs["unconfirmed_phones"] == []


async def test_staff_see_the_two_records_linked_and_find_both_by_the_phone(
    shop: Caller, two_sessions: tuple[Actor, Actor]
) -> None:
    first, second = two_sessions
    one, two = first.customer_id, second.customer_id
    assert (await shop("get_customer", SALES, customer_id=two))["linked_customer_ids"] == [one]
    assert (await shop("get_customer", SALES, customer_id=one))["linked_customer_ids"] == [two]
    found = (await shop("find_customers", SALES, query="0912345678"))["customers"]
    assert sorted(c["id"] for c in found) == sorted([one, two])
    by_id = {c["id"]: c for c in found}
    assert by_id[two]["unconfirmed_phones"] == [PHONE]
    assert by_id[two]["linked_customer_ids"] == [one]


async def test_merging_linked_customers_moves_everything_to_the_phones_owner(
    shop: Caller, db: Database, two_sessions: tuple[Actor, Actor]
) -> None:
    first, second = two_sessions
    one, two = first.customer_id, second.customer_id

    async def talk(ctx: ToolContext) -> None:
        ctx.tx.session.add(Conversation(channel="web", chat_id="t" * 20, customer_id=two))

    await in_tx(db, talk)
    out = await shop("merge_customers", SALES, source_id=two, target_id=one)
    assert out["moved"]["orders"] == 1
    assert out["moved"]["conversations"] == 1
    assert out["moved"]["unconfirmed_phones"] == 1
    merged = out["customer"]
    assert merged["phones"] == [PHONE]
    assert merged["unconfirmed_phones"] == []  # the owner's own phone is not a claim
    assert merged["linked_customer_ids"] == []
    assert merged["order_count"] == 2
    assert sorted(i["external_id"] for i in merged["identities"]) == ["s" * 20, "t" * 20]

    async def owner_of_chat(ctx: ToolContext) -> int | None:
        return await ctx.tx.session.scalar(
            select(Conversation.customer_id).where(Conversation.chat_id == "t" * 20)
        )

    assert await in_tx(db, owner_of_chat) == one
    # The second session is the first customer from now on.
    assert (await chat_customer(db, "t" * 20)).customer_id == one


async def test_the_same_customer_buying_again_adds_no_claim(
    shop: Caller, two_sessions: tuple[Actor, Actor]
) -> None:
    first, second = two_sessions
    await buy(shop, first)
    await buy(shop, second)
    assert (await shop("get_customer", first))["unconfirmed_phones"] == []
    assert (await shop("get_customer", second))["unconfirmed_phones"] == [PHONE]


async def test_a_customer_adding_anothers_phone_keeps_it_unconfirmed_without_an_oracle(
    shop: Caller, two_sessions: tuple[Actor, Actor]
) -> None:
    """Saying "that phone belongs to someone else" would tell a stranger who is a customer."""
    first, second = two_sessions
    out = await shop("update_customer", second, add_phones=["0912345678", "0987 654 321"])
    assert out["phones"] == ["+84987654321"]
    assert out["unconfirmed_phones"] == [PHONE]
    removed = await shop("update_customer", second, remove_phones=["+84 912 345 678"])
    assert removed["unconfirmed_phones"] == []
    assert (await shop("get_customer", first))["phones"] == [PHONE]  # the owner keeps it


async def test_staff_adding_a_taken_phone_are_told_to_merge(
    shop: Caller, two_sessions: tuple[Actor, Actor]
) -> None:
    first, second = two_sessions
    with pytest.raises(Conflict) as err:
        await shop("update_customer", SALES, customer_id=second.customer_id, add_phones=[PHONE])
    assert err.value.code == "phone_taken"
    assert err.value.details["customer_id"] == first.customer_id
