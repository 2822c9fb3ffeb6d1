from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, get_args

import pytest
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor
from storage.database import Database
from storage.models import (
    Customer,
    CustomerAddress,
    CustomerIdentity,
    CustomerPhone,
    Order,
    Quote,
)
from storage.models.orders import CHANNELS
from tests.conftest import Caller
from tests.factories import ACCOUNTANT, KEEPER, SALES, count_rows, in_tx
from tools.context import ToolContext
from tools.customers import Channel, customer_for_identity

CUSTOMER_TABLES = (Customer, CustomerPhone, CustomerAddress, CustomerIdentity)

AN: dict[str, Any] = {
    "name": "Nguyễn Văn An",
    "phones": ["0912 345 678", "+84 (90) 312-3456", "84912345678"],
    "email": "An.Nguyen@Gmail.com",
    "company_name": "Công ty TNHH An Phát",
    "tax_code": "0300588569",
    "note": "Khách quen, hay đổi size",
    "addresses": [
        {
            "line": "25 Lê Lợi",
            "ward": "Phường Bến Nghé",
            "district": "Quận 1",
            "province": "TP. Hồ Chí Minh",
            "phone": "0912345678",
        },
        {
            "line": "10 Hai Bà Trưng",
            "district": "Quận 3",
            "province": "TP. Hồ Chí Minh",
            "is_default": True,
        },
    ],
    "identities": [{"channel": "zalo", "external_id": "z-100", "display_name": "An Nguyễn"}],
}


async def make_customer(shop: Caller, **overrides: Any) -> dict[str, Any]:
    return await shop("create_customer", SALES, **{**AN, **overrides})


# ---------------------------------------------------------------------------- create_customer


async def test_create_customer_normalises_everything(shop: Caller) -> None:
    out = await make_customer(shop)
    assert out["phones"] == ["+84912345678", "+84903123456"]  # duplicates in other formats dropped
    assert out["email"] == "an.nguyen@gmail.com"
    assert out["tax_code"] == "0300588569"
    assert out["note"] == "Khách quen, hay đổi size"
    default, other = out["addresses"]
    assert default["line"] == "10 Hai Bà Trưng"
    assert default["is_default"] is True
    assert other["phone"] == "+84912345678"
    assert other["is_default"] is False
    assert out["identities"] == [
        {"channel": "zalo", "external_id": "z-100", "display_name": "An Nguyễn"}
    ]
    assert out["order_count"] == 0


async def test_first_address_becomes_default_and_shorthands_work(shop: Caller) -> None:
    out = await shop(
        "create_customer",
        name="Bình",
        phone="0987654321",
        address={"line": "1 Xuân Thủy", "province": "Hà Nội"},
        tax_code="0101248141-002",
    )
    assert out["phones"] == ["+84987654321"]
    assert [a["is_default"] for a in out["addresses"]] == [True]
    assert out["tax_code"] == "0101248141-002"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"phones": ["0912345678", "12345"]}, "phones.1", "invalid_phone"),
        ({"phone": "abc"}, "phone", "invalid_phone"),
        ({"tax_code": "0300588568"}, "tax_code", "invalid_tax_code"),
        ({"tax_code": "12345"}, "tax_code", "invalid_tax_code"),
        ({"email": "not-an-email"}, "email", "invalid_input"),
        ({"addresses": [{"line": "1 A", "phone": "999"}]}, "addresses.0.phone", "invalid_phone"),
        (
            {"identities": [{"channel": "myspace", "external_id": "1"}]},
            "identities.0.channel",
            "invalid_input",
        ),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    shop: Caller, db: Database, change: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        await make_customer(shop, **change)
    assert (err.value.field, err.value.code) == (field, code)
    assert set((await count_rows(db, *CUSTOMER_TABLES)).values()) == {0}


async def test_phone_of_another_customer_is_a_conflict(shop: Caller, db: Database) -> None:
    first = await make_customer(shop)
    before = await count_rows(db, *CUSTOMER_TABLES)
    with pytest.raises(Conflict) as err:
        await shop("create_customer", name="Người khác", phones=["0988000111", "+84-912-345-678"])
    assert (err.value.code, err.value.field) == ("phone_taken", "phones.1")
    assert err.value.details["customer_id"] == first["id"]
    assert await count_rows(db, *CUSTOMER_TABLES) == before


async def test_identity_of_another_customer_is_a_conflict(shop: Caller) -> None:
    first = await make_customer(shop)
    with pytest.raises(Conflict) as err:
        await shop(
            "create_customer", name="Khác", identities=[{"channel": "zalo", "external_id": "z-100"}]
        )
    assert (err.value.code, err.value.field) == ("identity_taken", "identities.0.external_id")
    assert err.value.details["customer_id"] == first["id"]
    # The same external id on another channel is someone else.
    other = await shop(
        "create_customer", name="Khác", identities=[{"channel": "telegram", "external_id": "z-100"}]
    )
    assert other["id"] != first["id"]


# ------------------------------------------------------------------------------ get_customer


async def test_staff_get_by_id_or_phone_in_any_format(shop: Caller) -> None:
    made = await make_customer(shop)
    assert (await shop("get_customer", ACCOUNTANT, customer_id=made["id"]))["id"] == made["id"]
    assert (await shop("get_customer", SALES, phone="+84 912 345 678"))["id"] == made["id"]
    with pytest.raises(NotFound):
        await shop("get_customer", phone="0977000000")
    with pytest.raises(NotFound):
        await shop("get_customer", customer_id=999)
    with pytest.raises(InvalidInput):
        await shop("get_customer")


async def test_customer_gets_only_their_own_record_without_notes(shop: Caller) -> None:
    an = await make_customer(shop)
    binh = await shop("create_customer", name="Bình", phones=["0987654321"], note="nợ 200k")
    me = Actor.customer(binh["id"])
    with pytest.raises(PermissionDenied) as named_another:  # a customer names no other one
        await shop("get_customer", me, customer_id=an["id"])
    assert named_another.value.field == "customer_id"
    out = await shop("get_customer", me, customer_id=binh["id"])
    assert out["id"] == binh["id"]
    assert out["note"] is None
    assert (await shop("get_customer", me, phone="0912345678"))["id"] == binh["id"]
    assert (await shop("get_customer", customer_id=binh["id"]))["note"] == "nợ 200k"


# ---------------------------------------------------------------------------- find_customers


async def names(shop: Caller, actor: Actor = SALES, **args: Any) -> list[str]:
    return [c["name"] for c in (await shop("find_customers", actor, **args))["customers"]]


async def test_find_by_phone_in_any_format_or_part(shop: Caller) -> None:
    await make_customer(shop)
    await shop("create_customer", name="Trần Bình", phones=["0987654321"])
    for q in ("0912345678", "+84 912 345 678", "84-912-345-678", "0903 123 456"):
        assert await names(shop, query=q) == ["Nguyễn Văn An"], q
    assert await names(shop, query="345678") == ["Nguyễn Văn An"]  # last digits
    assert await names(shop, query="0987") == ["Trần Bình"]  # prefix as typed
    assert await names(shop, query="0300588569") == ["Nguyễn Văn An"]  # tax code
    assert await names(shop, query="0911111111") == []


async def test_find_by_name_ignores_diacritics_and_case(shop: Caller) -> None:
    await make_customer(shop)
    await shop("create_customer", name="Nguyễn Thị Đào", phones=["0987654321"])
    await shop("create_customer", name="Lê Văn Anh")
    assert await names(shop, query="nguyen van an") == ["Nguyễn Văn An"]
    assert await names(shop, query="NGUYỄN") == ["Nguyễn Thị Đào", "Nguyễn Văn An"]
    assert await names(shop, query="dao") == ["Nguyễn Thị Đào"]
    assert await names(shop, query="van") == ["Lê Văn Anh", "Nguyễn Văn An"]
    assert await names(shop, query="an phat") == ["Nguyễn Văn An"]  # company name
    assert await names(shop, query="AN.NGUYEN@gmail.com") == ["Nguyễn Văn An"]
    assert await names(shop, query="nguyen", limit=1) == ["Nguyễn Thị Đào"]


async def test_find_by_channel_identity(shop: Caller) -> None:
    made = await make_customer(shop)
    out = await shop("find_customers", channel="zalo", external_id="z-100")
    [found] = out["customers"]
    assert (found["id"], found["channels"], found["phones"][0]) == (
        made["id"],
        ["zalo"],
        "+84912345678",
    )
    assert (await shop("find_customers", channel="zalo", external_id="nope"))["customers"] == []
    with pytest.raises(InvalidInput):
        await shop("find_customers", channel="zalo")
    with pytest.raises(InvalidInput):
        await shop("find_customers", query="  ")


# --------------------------------------------------------------------------- update_customer


async def test_staff_update_fields_phones_and_addresses(shop: Caller) -> None:
    made = await make_customer(shop)
    old_default, other = made["addresses"]
    out = await shop(
        "update_customer",
        SALES,
        customer_id=made["id"],
        name="Nguyễn Văn Ân",
        email="",
        company_name="Công ty Mới",
        tax_code="0101248141",
        add_phones=["0977 111 222"],
        remove_phones=["0903123456"],
        remove_address_ids=[old_default["id"]],
        add_addresses=[{"line": "5 Pasteur", "province": "TP. Hồ Chí Minh"}],
        add_identities=[{"channel": "messenger", "external_id": "psid-9"}],
    )
    assert out["name"] == "Nguyễn Văn Ân"
    assert (out["email"], out["company_name"], out["tax_code"]) == (
        None,
        "Công ty Mới",
        "0101248141",
    )
    assert out["phones"] == ["+84912345678", "+84977111222"]
    assert [(a["line"], a["is_default"]) for a in out["addresses"]] == [
        ("25 Lê Lợi", True),
        ("5 Pasteur", False),
    ]  # the default moved to a remaining address
    assert {i["channel"] for i in out["identities"]} == {"zalo", "messenger"}
    assert await names(shop, query="cong ty moi") == ["Nguyễn Văn Ân"]
    new = next(a for a in out["addresses"] if a["line"] == "5 Pasteur")
    out = await shop("update_customer", customer_id=made["id"], default_address_id=new["id"])
    assert out["addresses"][0]["id"] == new["id"]
    assert [a["is_default"] for a in out["addresses"]] == [True, False]
    assert other["id"] in {a["id"] for a in out["addresses"]}


async def test_update_refusals_change_nothing(shop: Caller) -> None:
    made = await make_customer(shop)
    other = await shop("create_customer", name="Bình", phones=["0987654321"])
    with pytest.raises(Conflict) as err:
        await shop("update_customer", customer_id=made["id"], name="X", add_phones=["0987 654 321"])
    assert (err.value.code, err.value.details["customer_id"]) == ("phone_taken", other["id"])
    with pytest.raises(NotFound) as err2:
        await shop("update_customer", customer_id=made["id"], remove_address_ids=[999])
    assert err2.value.field == "remove_address_ids.0"
    with pytest.raises(NotFound):
        await shop("update_customer", customer_id=made["id"], remove_phones=["0987654321"])
    with pytest.raises(InvalidInput):
        await shop("update_customer", customer_id=made["id"], tax_code="123")
    assert (await shop("get_customer", customer_id=made["id"]))["name"] == "Nguyễn Văn An"


async def test_customer_updates_own_name_phone_and_address_only(shop: Caller) -> None:
    an = await make_customer(shop)
    binh = await shop("create_customer", name="Bình", phones=["0987654321"])
    me = Actor.customer(binh["id"])
    with pytest.raises(PermissionDenied) as other:  # naming someone else is refused, not ignored
        await shop("update_customer", me, customer_id=an["id"], name="Bình Trần")
    assert other.value.field == "customer_id"
    out = await shop(
        "update_customer",
        me,
        name="Bình Trần",
        add_phones=["0977 000 111"],
        add_addresses=[{"line": "1 Trần Phú", "province": "Đà Nẵng"}],
    )
    assert out["id"] == binh["id"]
    assert out["phones"] == ["+84987654321", "+84977000111"]
    assert out["addresses"][0]["is_default"] is True
    assert (await shop("get_customer", customer_id=an["id"]))["name"] == "Nguyễn Văn An"
    for field, value in (
        ("note", "vip"),
        ("email", "x@y.vn"),
        ("tax_code", "0300588569"),
        ("add_identities", [{"channel": "web", "external_id": "s1"}]),
    ):
        with pytest.raises(PermissionDenied) as err:
            await shop("update_customer", me, **{field: value})
        assert err.value.field == field
    # Explicit empty values of other fields are not a change.
    assert (await shop("update_customer", me, email=None, add_identities=[], name="B"))[
        "name"
    ] == "B"
    # Another customer's number is kept unconfirmed: not refused, so nobody learns whether a
    # number is a customer's, and the owner keeps it (docs/customers.md).
    claimed = await shop("update_customer", me, add_phones=["0912345678"])
    assert "+84912345678" not in claimed["phones"]
    assert claimed["unconfirmed_phones"] == ["+84912345678"]
    assert "+84912345678" in (await shop("get_customer", customer_id=an["id"]))["phones"]
    with pytest.raises(NotFound):
        await shop("update_customer", me, remove_address_ids=[an["addresses"][0]["id"]])


# ---------------------------------------------------------------------------- merge_customers


async def add_order_and_quote(db: Database, customer_id: int) -> None:
    async def run(ctx: ToolContext) -> None:
        ctx.tx.session.add(
            Order(channel="zalo", customer_id=customer_id, created_at=ctx.now, updated_at=ctx.now)
        )
        ctx.tx.session.add(
            Quote(
                token=f"q{customer_id}",
                customer_id=customer_id,
                payload={},
                expires_at=ctx.now + timedelta(minutes=15),
                created_at=ctx.now,
            )
        )

    await in_tx(db, run)


async def test_merge_moves_everything_to_the_target(shop: Caller, db: Database) -> None:
    target = await shop(
        "create_customer",
        name="An (điện thoại)",
        phones=["0987654321"],
        addresses=[{"line": "1 Trần Phú", "province": "Đà Nẵng"}],
    )
    source = await make_customer(shop)
    older = await shop("create_customer", name="An cũ", phones=["0977000111"])
    await shop("merge_customers", source_id=older["id"], target_id=source["id"])
    await add_order_and_quote(db, source["id"])
    await add_order_and_quote(db, target["id"])

    out = await shop("merge_customers", SALES, source_id=source["id"], target_id=target["id"])
    assert out["moved"] == {
        "phones": 3,
        "addresses": 2,
        "identities": 1,
        "orders": 1,
        "quotes": 1,
        "conversations": 0,
        "unconfirmed_phones": 0,
    }
    merged = out["customer"]
    assert merged["id"] == target["id"]
    assert merged["name"] == "An (điện thoại)"  # the target's own fields win
    assert merged["email"] == "an.nguyen@gmail.com"  # empty ones are filled from the source
    assert merged["tax_code"] == "0300588569"
    assert set(merged["phones"]) == {"+84987654321", "+84912345678", "+84903123456", "+84977000111"}
    assert len(merged["addresses"]) == 3
    assert [a["is_default"] for a in merged["addresses"]] == [True, False, False]
    assert merged["addresses"][0]["line"] == "1 Trần Phú"
    assert merged["identities"][0]["external_id"] == "z-100"
    assert merged["order_count"] == 2

    async def state(ctx: ToolContext) -> dict[str, Any]:
        s = ctx.tx.session
        return {
            "merged_into": dict(
                (await s.execute(select(Customer.id, Customer.merged_into_id))).all()
            ),
            "quotes": sorted((await s.execute(select(Quote.customer_id))).scalars()),
        }

    got = await in_tx(db, state)
    assert got["merged_into"][source["id"]] == target["id"]
    assert got["merged_into"][older["id"]] == target["id"]  # re-pointed, no chains
    assert got["quotes"] == [target["id"], target["id"]]
    # Every lookup now lands on the target.
    assert (await shop("get_customer", customer_id=source["id"]))["id"] == target["id"]
    assert (await shop("get_customer", phone="0912345678"))["id"] == target["id"]
    assert [c["id"] for c in (await shop("find_customers", query="an"))["customers"]] == [
        target["id"]
    ]
    found = await in_tx(db, lambda ctx: customer_for_identity(ctx, "zalo", "z-100"))
    assert found == target["id"]


async def test_merge_refusals(shop: Caller, db: Database) -> None:
    a = await make_customer(shop)
    b = await shop("create_customer", name="Bình", phones=["0987654321"])
    with pytest.raises(InvalidInput) as err:
        await shop("merge_customers", source_id=a["id"], target_id=a["id"])
    assert err.value.code == "same_customer"
    with pytest.raises(NotFound) as err2:
        await shop("merge_customers", source_id=a["id"], target_id=999)
    assert err2.value.field == "target_id"
    await shop("merge_customers", source_id=b["id"], target_id=a["id"])
    before = await count_rows(db, *CUSTOMER_TABLES)
    with pytest.raises(Conflict) as err3:
        await shop("merge_customers", source_id=b["id"], target_id=a["id"])
    assert err3.value.code == "customer_merged"
    with pytest.raises(Conflict):
        await shop("update_customer", customer_id=b["id"], name="X")
    assert await count_rows(db, *CUSTOMER_TABLES) == before


# ---------------------------------------------------------------------- customer_for_identity


async def test_customer_for_identity_creates_once(shop: Caller, db: Database) -> None:
    first = await in_tx(
        db, lambda ctx: customer_for_identity(ctx, "telegram", " 42 ", "  Phạm   Thị  Hoa ")
    )
    again = await in_tx(db, lambda ctx: customer_for_identity(ctx, "telegram", "42"))
    assert first == again
    other = await in_tx(db, lambda ctx: customer_for_identity(ctx, "messenger", "42"))
    assert other != first
    got = await shop("get_customer", customer_id=first)
    assert got["name"] == "Phạm Thị Hoa"
    assert got["identities"] == [
        {"channel": "telegram", "external_id": "42", "display_name": "Phạm Thị Hoa"}
    ]
    assert await names(shop, query="pham thi hoa") == ["Phạm Thị Hoa"]
    # The customer it returns can use the customer tools as themselves.
    assert (await shop("get_customer", Actor.customer(first)))["id"] == first


async def test_customer_for_identity_validates(db: Database) -> None:
    with pytest.raises(InvalidInput) as err:
        await in_tx(db, lambda ctx: customer_for_identity(ctx, "myspace", "1"))
    assert err.value.field == "channel"
    with pytest.raises(InvalidInput) as err:
        await in_tx(db, lambda ctx: customer_for_identity(ctx, "zalo", "  "))
    assert err.value.field == "external_id"


async def test_concurrent_first_contacts_make_one_customer(shop: Caller, db: Database) -> None:
    results = await asyncio.gather(
        *[
            in_tx(db, lambda ctx: customer_for_identity(ctx, "zalo", "same-person", "Lan"))
            for _ in range(4)
        ]
    )
    assert len(set(results)) == 1
    counts = await count_rows(db, Customer, CustomerIdentity)
    assert counts == {"customers": 1, "customer_identities": 1}


# ------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("actor", [KEEPER, ACCOUNTANT, Actor.customer(1)])
async def test_only_sales_roles_create_and_merge(shop: Caller, actor: Actor) -> None:
    with pytest.raises(PermissionDenied):
        await shop("create_customer", actor, name="X")
    with pytest.raises(PermissionDenied):
        await shop("merge_customers", actor, source_id=1, target_id=2)


async def test_customers_cannot_search_customers(shop: Caller) -> None:
    made = await make_customer(shop)
    with pytest.raises(PermissionDenied):
        await shop("find_customers", Actor.customer(made["id"]), query="an")
    with pytest.raises(PermissionDenied):
        await shop("update_customer", KEEPER, customer_id=made["id"], name="X")


def test_channel_list_matches_the_orders_table() -> None:
    assert set(get_args(Channel)) == set(CHANNELS)
