"""Staff and API keys: keys are shown once, stored hashed, never audited, and revocable."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, update

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from core.roles import Actor, Role
from storage.database import Database
from storage.models import ApiKey, AuditEntry, StaffMember
from tests.conftest import SYSTEM, Caller
from tools.staff import actor_for_api_key

MANAGER = Actor(role=Role.MANAGER, staff_id=2, name="manager")


async def test_add_and_list_staff(shop: Caller) -> None:
    lan = await shop("add_staff", SYSTEM, name="  Lan  ", role="sales")
    assert (lan["name"], lan["role"], lan["active"]) == ("Lan", "sales", True)
    await shop("add_staff", name="Bảo", role="warehouse")
    listed = await shop("list_staff", MANAGER)
    assert [(s["name"], s["role"], s["keys"]) for s in listed["staff"]] == [
        ("Lan", "sales", []),
        ("Bảo", "warehouse", []),
    ]


async def test_duplicate_name_is_refused_whatever_the_case(shop: Caller) -> None:
    await shop("add_staff", name="Lan", role="sales")
    with pytest.raises(Conflict) as err:
        await shop("add_staff", name="lan", role="owner")
    assert err.value.field == "name"


@pytest.mark.parametrize("role", ["customer", "system", "boss"])
async def test_only_staff_roles(shop: Caller, role: str) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("add_staff", name="X", role=role)
    assert err.value.field == "role"


async def test_only_the_owner_manages_staff_and_keys(shop: Caller) -> None:
    await shop("add_staff", name="Lan", role="sales")
    with pytest.raises(PermissionDenied):
        await shop("add_staff", MANAGER, name="Nam", role="owner")
    with pytest.raises(PermissionDenied):
        await shop("create_api_key", MANAGER, staff_name="Lan")
    with pytest.raises(PermissionDenied):
        await shop("list_staff", Actor(role=Role.SALES, staff_id=3))


async def test_key_is_returned_once_and_stored_hashed(shop: Caller, db: Database) -> None:
    await shop("add_staff", name="Lan", role="sales")
    made = await shop("create_api_key", staff_name="lan", label="laptop")
    key = made["api_key"]
    assert key.startswith("sb_")
    assert len(key) > 40
    assert made["prefix"] == key[: len(made["prefix"])]
    assert len(made["prefix"]) < 16
    assert made["role"] == "sales"

    listed = await shop("list_staff")
    assert key not in json.dumps(listed)
    assert listed["staff"][0]["keys"][0]["prefix"] == made["prefix"]

    async with db.transaction(write=False) as tx:
        row = (await tx.session.execute(select(ApiKey))).scalar_one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (row.prefix, row.label, row.key_hash)


async def test_keys_are_unique(shop: Caller) -> None:
    await shop("add_staff", name="Lan", role="sales")
    keys = {(await shop("create_api_key", staff_name="Lan"))["api_key"] for _ in range(3)}
    assert len(keys) == 3


async def test_key_never_reaches_the_audit_log(shop: Caller, db: Database) -> None:
    await shop("add_staff", name="Lan", role="sales")
    key = (await shop("create_api_key", staff_name="Lan"))["api_key"]
    async with db.transaction(write=False) as tx:
        rows = (await tx.session.execute(select(AuditEntry))).scalars().all()
    assert "create_api_key" in {r.tool for r in rows}
    dumped = json.dumps([[r.args, r.error] for r in rows])
    assert key not in dumped
    assert key[len("sb_") + 8 :] not in dumped


async def test_actor_for_key(shop: Caller, db: Database) -> None:
    lan = await shop("add_staff", name="Lan", role="warehouse")
    key = (await shop("create_api_key", staff_name="Lan"))["api_key"]
    actor = await actor_for_api_key(db, key)
    assert (actor.role, actor.staff_id, actor.name) == (Role.WAREHOUSE, lan["id"], "Lan")


@pytest.mark.parametrize("key", [None, "", "sb_", "sb_not-a-real-key", "Bearer x", "x" * 500])
async def test_unknown_keys_are_refused(shop: Caller, db: Database, key: str | None) -> None:
    await shop("add_staff", name="Lan", role="owner")
    await shop("create_api_key", staff_name="Lan")
    with pytest.raises(Unauthenticated):
        await actor_for_api_key(db, key)


async def test_revoked_key_is_refused_and_others_still_work(shop: Caller, db: Database) -> None:
    await shop("add_staff", name="Lan", role="sales")
    first = await shop("create_api_key", staff_name="Lan")
    second = await shop("create_api_key", staff_name="Lan")
    revoked = await shop("revoke_api_key", prefix=first["prefix"])
    assert revoked["key_id"] == first["key_id"]
    with pytest.raises(Unauthenticated):
        await actor_for_api_key(db, first["api_key"])
    assert (await actor_for_api_key(db, second["api_key"])).role is Role.SALES
    await shop("revoke_api_key", key_id=second["key_id"])
    with pytest.raises(Unauthenticated):
        await actor_for_api_key(db, second["api_key"])
    listed = await shop("list_staff")
    assert all(k["revoked_at"] for k in listed["staff"][0]["keys"])


async def test_revoke_needs_a_known_key(shop: Caller) -> None:
    with pytest.raises(InvalidInput):
        await shop("revoke_api_key")
    with pytest.raises(NotFound):
        await shop("revoke_api_key", key_id=999)


async def test_key_of_inactive_staff_is_refused(shop: Caller, db: Database) -> None:
    lan = await shop("add_staff", name="Lan", role="sales")
    key = (await shop("create_api_key", staff_name="Lan"))["api_key"]
    async with db.transaction() as tx:
        await tx.session.execute(
            update(StaffMember).where(StaffMember.id == lan["id"]).values(active=False)
        )
    with pytest.raises(Unauthenticated):
        await actor_for_api_key(db, key)
    with pytest.raises(Conflict):
        await shop("create_api_key", staff_name="Lan")


async def test_key_for_unknown_staff(shop: Caller) -> None:
    with pytest.raises(NotFound) as err:
        await shop("create_api_key", staff_name="Nobody")
    assert err.value.field == "staff_name"
