"""Staff identities, one-time links and page sessions: staff get in, anyone else does not."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.errors import Conflict, PermissionDenied, Unauthenticated
from core.roles import Role
from storage.database import Database
from storage.models import StaffLink
from tests.conftest import SYSTEM, Caller
from tests.tools.test_handoffs import staff
from tools.staff_access import actor_for_session, actor_for_telegram


async def test_a_linked_telegram_account_acts_as_its_staff_member(
    shop: Caller, db: Database
) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales", telegram_user_id=1001)
    actor = await actor_for_telegram(db, 1001)
    assert actor is not None
    assert (actor.role, actor.name) == (Role.SALES, "Lan")
    assert await actor_for_telegram(db, 2002) is None  # a stranger is nobody


async def test_one_telegram_account_is_one_person(shop: Caller) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales", telegram_user_id=1001)
    with pytest.raises(Conflict) as err:
        await shop("add_staff", SYSTEM, name="Minh", role="sales", telegram_user_id=1001)
    assert err.value.code == "identity_taken"


async def test_an_invite_links_the_account_that_opens_it_once(shop: Caller, db: Database) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="manager")
    link = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="telegram_invite")
    done = await shop(
        "redeem_telegram_invite", SYSTEM, invite_secret=link["link_secret"], telegram_user_id=55
    )
    assert done["name"] == "Lan"
    assert (await actor_for_telegram(db, 55)) is not None
    with pytest.raises(Unauthenticated):
        await shop(
            "redeem_telegram_invite", SYSTEM, invite_secret=link["link_secret"], telegram_user_id=66
        )
    assert await actor_for_telegram(db, 66) is None


async def test_an_expired_link_is_refused(shop: Caller, db: Database) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales")
    link = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="page_login")
    async with db.transaction() as tx:
        await tx.session.execute(update(StaffLink).values(expires_at=tx.now - timedelta(seconds=1)))
    with pytest.raises(Unauthenticated):
        await shop("open_staff_session", SYSTEM, login_secret=link["link_secret"])


async def test_a_login_link_used_twice_at_once_opens_one_session(shop: Caller) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales")
    link = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="page_login")
    results = await asyncio.gather(
        *(shop("open_staff_session", SYSTEM, login_secret=link["link_secret"]) for _ in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, dict) for r in results) == 1, results


async def test_a_session_is_the_staff_member_until_they_are_removed(
    shop: Caller, db: Database
) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="warehouse", telegram_user_id=9)
    key = await shop("create_api_key", SYSTEM, staff_name="Lan")
    opened = await shop("open_staff_session", SYSTEM, api_key=key["api_key"])
    actor, csrf = await actor_for_session(db, opened["session_secret"])
    assert (actor.role, actor.name, csrf) == (Role.WAREHOUSE, "Lan", opened["csrf"])
    removed = await shop("remove_staff", SYSTEM, name="Lan")
    assert (removed["keys_revoked"], removed["sessions_closed"]) == (1, 1)
    with pytest.raises(Unauthenticated):
        await actor_for_session(db, opened["session_secret"])
    assert await actor_for_telegram(db, 9) is None
    with pytest.raises(Unauthenticated):
        await shop("open_staff_session", SYSTEM, api_key=key["api_key"])


async def test_staff_cannot_open_sessions_or_links_for_others(shop: Caller) -> None:
    lan = await staff(shop, "Lan", "manager")
    with pytest.raises(PermissionDenied):
        await shop("create_staff_link", lan, staff_name="Lan", purpose="page_login")
    with pytest.raises(PermissionDenied):
        await shop("open_staff_session", lan, login_secret="whatever-secret")
