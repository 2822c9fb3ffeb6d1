"""How staff reach the desk: linked platform identities, one-time links, page sessions.

A Telegram user id linked to a staff member acts as them; anyone else is refused. One-time
links (a Telegram invite, a staff-page login) keep only the SHA-256 of their secret, expire,
and are used once: the UPDATE that marks one used is conditional, so two redemptions of one
link cannot both succeed. Page sessions keep the cookie's SHA-256 and a CSRF token.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from core.errors import Conflict, InvalidInput, Unauthenticated
from core.roles import Actor, Role
from storage import staff as store
from storage.database import Database
from storage.models import StaffLink, StaffMember, StaffSession
from tools.context import ToolContext
from tools.registry import tool
from tools.staff import (
    OWNER_ONLY,
    TELEGRAM,
    StaffRole,
    active_staff_by_name,
    hash_key,
    key_actor,
    link_telegram,
    member_actor,
    staff_by_name,
)

LinkPurpose = Literal["telegram_invite", "page_login"]
SESSION_HOURS = 12
SYSTEM_ONLY: frozenset[Role] = frozenset()  # only the surfaces themselves, as the system actor


class RemoveStaffIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class RemovedStaff(BaseModel):
    id: int
    name: str
    role: StaffRole
    keys_revoked: int
    sessions_closed: int


@tool(
    name="remove_staff",
    description="Remove a staff member: they are deactivated, their API keys revoked, their "
    "page sessions closed and their Telegram accounts unlinked. History keeps their name.",
    roles=OWNER_ONLY,
)
async def remove_staff(ctx: ToolContext, inp: RemoveStaffIn) -> RemovedStaff:
    member = await staff_by_name(ctx, inp.name, field="name")
    if member.id == ctx.actor.staff_id:
        raise Conflict("You cannot remove yourself.", field="name", code="cannot_remove_self")
    member.active = False
    cut = await store.cut_off(ctx.tx, member.id, ctx.now)
    return RemovedStaff(
        id=member.id,
        name=member.name,
        role=member.role,  # type: ignore[arg-type]
        keys_revoked=cut.keys_revoked,
        sessions_closed=cut.sessions_closed,
    )


class CreateLinkIn(BaseModel):
    staff_name: str = Field(min_length=1, max_length=200)
    purpose: LinkPurpose = Field(
        description="telegram_invite: opened in Telegram to link the account; page_login: "
        "opened in a browser to log in to the staff page"
    )
    valid_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)


class CreatedLink(BaseModel):
    staff_name: str
    purpose: LinkPurpose
    expires_at: datetime
    # Shown once: only its hash is stored.
    link_secret: str = Field(description="The one-time secret; it cannot be shown again")


@tool(
    name="create_staff_link",
    description="Make a one-time link for a staff member: a Telegram invite that links the "
    "Telegram account that opens it, or a login to the staff page. Used once, then expires.",
    roles=OWNER_ONLY,
)
async def create_staff_link(ctx: ToolContext, inp: CreateLinkIn) -> CreatedLink:
    member = await active_staff_by_name(ctx, inp.staff_name)
    secret = secrets.token_urlsafe(24)
    expires = ctx.now + timedelta(minutes=inp.valid_minutes)
    await store.add(
        ctx.tx,
        StaffLink(
            staff_id=member.id,
            purpose=inp.purpose,
            secret_hash=hash_key(secret),
            expires_at=expires,
            created_at=ctx.now,
        ),
    )
    return CreatedLink(
        staff_name=member.name, purpose=inp.purpose, expires_at=expires, link_secret=secret
    )


async def _use_link(ctx: ToolContext, secret: str, purpose: LinkPurpose) -> StaffMember:
    """Marks the link used, once: an unknown, used, expired or foreign link all look alike."""
    refused = Unauthenticated("This link is not valid (used, expired or unknown).", code="bad_link")
    used = await store.use_link(ctx.tx, hash_key(secret), purpose)
    member = await store.member(ctx.tx, used) if used is not None else None
    if member is None or not member.active:
        raise refused
    return member


class RedeemInviteIn(BaseModel):
    invite_secret: str = Field(min_length=8, max_length=100)
    telegram_user_id: int = Field(gt=0, description="Who opened the invite (from the platform)")


class StaffIdentityOut(BaseModel):
    staff_id: int
    name: str
    role: StaffRole


@tool(
    name="redeem_telegram_invite",
    description="Link the Telegram account that opened a staff invite to that staff member.",
    roles=SYSTEM_ONLY,
)
async def redeem_telegram_invite(ctx: ToolContext, inp: RedeemInviteIn) -> StaffIdentityOut:
    member = await _use_link(ctx, inp.invite_secret, "telegram_invite")
    await link_telegram(ctx, member.id, inp.telegram_user_id)
    return StaffIdentityOut(staff_id=member.id, name=member.name, role=member.role)  # type: ignore[arg-type]


class OpenSessionIn(BaseModel):
    api_key: str | None = Field(default=None, max_length=200)
    login_secret: str | None = Field(default=None, max_length=100)


class OpenedSession(BaseModel):
    staff_id: int
    name: str
    role: StaffRole
    expires_at: datetime
    session_secret: str = Field(description="For the session cookie; only its hash is kept")
    csrf: str


@tool(
    name="open_staff_session",
    description="Log in to the staff page with a staff API key or a one-time login link.",
    roles=SYSTEM_ONLY,
)
async def open_staff_session(ctx: ToolContext, inp: OpenSessionIn) -> OpenedSession:
    if bool(inp.api_key) == bool(inp.login_secret):
        raise InvalidInput("Give an API key or a login link.", field="api_key")
    if inp.api_key:
        actor = await key_actor(ctx.tx, inp.api_key)
        assert actor.staff_id is not None
        found = await store.member(ctx.tx, actor.staff_id)
        assert found is not None
        member = found
    else:
        member = await _use_link(ctx, inp.login_secret or "", "page_login")
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = ctx.now + timedelta(hours=SESSION_HOURS)
    await store.add(
        ctx.tx,
        StaffSession(
            staff_id=member.id,
            secret_hash=hash_key(secret),
            csrf=csrf,
            expires_at=expires,
            created_at=ctx.now,
        ),
    )
    return OpenedSession(
        staff_id=member.id,
        name=member.name,
        role=member.role,  # type: ignore[arg-type]
        expires_at=expires,
        session_secret=secret,
        csrf=csrf,
    )


class CloseSessionIn(BaseModel):
    session_secret: str = Field(min_length=1, max_length=100)


class ClosedSession(BaseModel):
    closed: bool


@tool(
    name="close_staff_session",
    description="Log out of the staff page.",
    roles=SYSTEM_ONLY,
)
async def close_staff_session(ctx: ToolContext, inp: CloseSessionIn) -> ClosedSession:
    return ClosedSession(closed=await store.close_session(ctx.tx, hash_key(inp.session_secret)))


async def actor_for_session(db: Database, secret: str | None) -> tuple[Actor, str]:
    """The staff actor behind a page session cookie, and the session's CSRF token."""
    refused = Unauthenticated("Please log in.", code="not_logged_in")
    if not secret or len(secret) > 100:
        raise refused
    async with db.transaction(write=False) as tx:
        holder = await store.session_holder(tx, hash_key(secret))
        now = tx.now
    if (
        holder is None
        or holder.revoked_at is not None
        or not holder.active
        or holder.expires_at is None
        or holder.expires_at <= now
    ):
        raise refused
    actor = member_actor(holder.staff_id, holder.name, holder.role)
    if actor is None:
        raise refused
    return actor, holder.csrf


async def actor_for_telegram(db: Database, telegram_user_id: int) -> Actor | None:
    """The active staff member a Telegram user is linked to, or None: anyone else is refused."""
    async with db.transaction(write=False) as tx:
        found = await store.active_member_of_identity(tx, TELEGRAM, str(telegram_user_id))
    return member_actor(found.id, found.name, found.role) if found is not None else None
