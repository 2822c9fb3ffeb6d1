"""Staff members and how they get in: API keys, platform identities, one-time links, page
sessions. Secrets arrive here already hashed (tools/staff.py hashes them); nothing in this
module sees a key or a link in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, func, select, update

from storage.database import Tx
from storage.models import ApiKey, StaffIdentity, StaffLink, StaffMember, StaffSession

_New = TypeVar("_New", StaffMember, ApiKey, StaffIdentity, StaffLink, StaffSession)


@dataclass(frozen=True, slots=True)
class Credential:
    """The staff member behind a key or a session, with what decides whether it still lets
    them in (the caller refuses all failures alike)."""

    staff_id: int
    name: str
    role: str
    active: bool
    revoked_at: datetime | None
    expires_at: datetime | None = None  # API keys do not expire
    csrf: str = ""  # page sessions only


@dataclass(frozen=True, slots=True)
class AccessCut:
    keys_revoked: int
    sessions_closed: int


async def add(tx: Tx, row: _New) -> _New:
    """Stores a new staff row (member, key, identity, link, session), flushed so it has its id
    and a unique-constraint failure surfaces here."""
    tx.session.add(row)
    await tx.session.flush()
    return row


async def member(tx: Tx, staff_id: int) -> StaffMember | None:
    return await tx.session.get(StaffMember, staff_id)


async def member_named(tx: Tx, name: str) -> StaffMember | None:
    """The member with this name, case ignored (names are stored with single spaces)."""
    return await tx.session.scalar(
        select(StaffMember).where(func.lower(StaffMember.name) == name.lower())
    )


async def name_taken(tx: Tx, name: str) -> bool:
    n = await tx.session.scalar(
        select(func.count()).where(func.lower(StaffMember.name) == name.lower())
    )
    return bool(n)


async def members(tx: Tx, *, include_inactive: bool) -> list[StaffMember]:
    q = select(StaffMember).order_by(StaffMember.id)
    if not include_inactive:
        q = q.where(StaffMember.active.is_(True))
    return list((await tx.session.execute(q)).scalars())


async def api_keys(tx: Tx) -> list[ApiKey]:
    """Every key, revoked ones too, oldest first."""
    return list((await tx.session.execute(select(ApiKey).order_by(ApiKey.id))).scalars())


async def keys_matching(
    tx: Tx, *, key_id: int | None = None, prefix: str | None = None
) -> list[ApiKey]:
    """The key with this id, or the keys with this prefix (several when prefixes collide)."""
    q = select(ApiKey)
    q = q.where(ApiKey.id == key_id) if key_id is not None else q.where(ApiKey.prefix == prefix)
    return list((await tx.session.execute(q)).scalars())


# A credential's member columns, in Credential's order.
_HOLDER = (StaffMember.id, StaffMember.name, StaffMember.role, StaffMember.active)


async def key_holder(tx: Tx, key_hash: str) -> Credential | None:
    """Who holds the key with this hash, whatever the key's or the member's state."""
    row = (
        await tx.session.execute(
            select(*_HOLDER, ApiKey.revoked_at)
            .join(ApiKey, ApiKey.staff_id == StaffMember.id)
            .where(ApiKey.key_hash == key_hash)
        )
    ).first()
    return None if row is None else Credential(*row)


async def session_holder(tx: Tx, secret_hash: str) -> Credential | None:
    """Who holds the page session with this cookie hash, with its expiry and CSRF token."""
    row = (
        await tx.session.execute(
            select(*_HOLDER, StaffSession.revoked_at, StaffSession.expires_at, StaffSession.csrf)
            .join(StaffSession, StaffSession.staff_id == StaffMember.id)
            .where(StaffSession.secret_hash == secret_hash)
        )
    ).first()
    return None if row is None else Credential(*row)


async def identity_owner(tx: Tx, kind: str, external_id: str) -> int | None:
    """The staff member this platform account is linked to, if any (active or not)."""
    return await tx.session.scalar(
        select(StaffIdentity.staff_id).where(
            StaffIdentity.kind == kind, StaffIdentity.external_id == external_id
        )
    )


async def active_member_of_identity(tx: Tx, kind: str, external_id: str) -> StaffMember | None:
    """The active member this platform account is linked to: anyone else is nobody."""
    return await tx.session.scalar(
        select(StaffMember)
        .join(StaffIdentity, StaffIdentity.staff_id == StaffMember.id)
        .where(
            StaffIdentity.kind == kind,
            StaffIdentity.external_id == external_id,
            StaffMember.active.is_(True),
        )
    )


async def cut_off(tx: Tx, staff_id: int, at: datetime) -> AccessCut:
    """Revokes the member's keys, closes their page sessions and unlinks their platform
    accounts, in this transaction."""
    keys = await tx.session.execute(
        update(ApiKey)
        .where(ApiKey.staff_id == staff_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    sessions = await tx.session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    await tx.session.execute(delete(StaffIdentity).where(StaffIdentity.staff_id == staff_id))
    await tx.session.flush()
    return AccessCut(
        keys_revoked=keys.rowcount or 0,  # type: ignore[attr-defined]
        sessions_closed=sessions.rowcount or 0,  # type: ignore[attr-defined]
    )


async def use_link(tx: Tx, secret_hash: str, purpose: str) -> int | None:
    """Marks an unused, unexpired link used and returns its member's id; None otherwise. The
    UPDATE is conditional, so of two redemptions of one link only one gets an id."""
    return (
        await tx.session.execute(
            update(StaffLink)
            .where(
                StaffLink.secret_hash == secret_hash,
                StaffLink.purpose == purpose,
                StaffLink.used_at.is_(None),
                StaffLink.expires_at > tx.now,
            )
            .values(used_at=tx.now)
            .returning(StaffLink.staff_id)
        )
    ).scalar_one_or_none()


async def close_session(tx: Tx, secret_hash: str) -> bool:
    """Revokes the open page session with this cookie hash; False when there is none."""
    done = await tx.session.execute(
        update(StaffSession)
        .where(StaffSession.secret_hash == secret_hash, StaffSession.revoked_at.is_(None))
        .values(revoked_at=tx.now)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]
