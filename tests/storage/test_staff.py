"""storage.staff: credentials with aware datetimes and real booleans on both databases; a
link is used once."""

from __future__ import annotations

from datetime import timedelta

from storage import staff
from storage.database import Database
from tests.conftest import SYSTEM, Caller
from tools.staff import hash_key


async def test_a_session_holder_has_an_aware_expiry_and_a_bool_active(
    shop: Caller, db: Database
) -> None:
    await shop("add_staff", SYSTEM, name="Lan", role="sales")
    key = await shop("create_api_key", SYSTEM, staff_name="Lan")
    opened = await shop("open_staff_session", SYSTEM, api_key=key["api_key"])
    async with db.transaction(write=False) as tx:
        holder = await staff.session_holder(tx, hash_key(opened["session_secret"]))
        by_key = await staff.key_holder(tx, hash_key(key["api_key"]))
        now = tx.now
    assert holder is not None
    assert by_key is not None
    assert holder.active is True
    assert by_key.active is True
    assert holder.expires_at is not None
    assert holder.expires_at.tzinfo is not None
    assert now < holder.expires_at <= now + timedelta(hours=13)
    assert holder.revoked_at is None
    assert holder.csrf == opened["csrf"]
    assert (by_key.name, by_key.role) == ("Lan", "sales")


async def test_a_link_is_used_once_and_cut_off_counts_what_it_closed(
    shop: Caller, db: Database
) -> None:
    lan = await shop("add_staff", SYSTEM, name="Lan", role="sales")
    link = await shop("create_staff_link", SYSTEM, staff_name="Lan", purpose="page_login")
    await shop("create_api_key", SYSTEM, staff_name="Lan")
    async with db.transaction() as tx:
        secret = hash_key(link["link_secret"])
        assert await staff.use_link(tx, secret, "telegram_invite") is None  # other purpose
        assert await staff.use_link(tx, secret, "page_login") == lan["id"]
        assert await staff.use_link(tx, secret, "page_login") is None
        cut = await staff.cut_off(tx, lan["id"], tx.now)
        assert (cut.keys_revoked, cut.sessions_closed) == (1, 0)
        assert (await staff.cut_off(tx, lan["id"], tx.now)).keys_revoked == 0
