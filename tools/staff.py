"""Staff members and their API keys: who may call the HTTP API, and as which role.

A key is shown once, when it is created; only its SHA-256 is stored (keys are 256-bit random, so
a fast hash is enough and lookup by hash needs no timing-safe comparison). The runner's audit log
keeps tool arguments, never results, so the plaintext key is never written anywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from core.roles import STAFF_ROLES, Actor, Role
from storage import staff as store
from storage.database import Database, Tx
from storage.models import ApiKey, StaffIdentity, StaffMember
from tools.context import ToolContext
from tools.registry import MANAGERS, tool

KEY_PREFIX = "sb_"
# How much of a key is kept in clear to tell keys apart in listings ("sb_" + 8 characters).
_SHOWN = len(KEY_PREFIX) + 8

StaffRole = Literal["owner", "manager", "sales", "warehouse", "accountant"]
OWNER_ONLY = frozenset({Role.OWNER})
TELEGRAM = "telegram"  # the kind of a staff member's Telegram identity


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyInfo(BaseModel):
    """A key as listings show it: never the key itself."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: StaffRole
    active: bool
    created_at: datetime


class AddStaffIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Unique name, e.g. 'Lan'")
    role: StaffRole = Field(description="What this person may do (the tool permission table)")
    telegram_user_id: int | None = Field(
        default=None, gt=0, description="Their Telegram user id, to use the staff bot"
    )


@tool(
    name="add_staff",
    description="Add a staff member with a role (owner, manager, sales, warehouse, accountant). "
    "Give them an API key with create_api_key.",
    roles=OWNER_ONLY,
)
async def add_staff(ctx: ToolContext, inp: AddStaffIn) -> StaffOut:
    name = " ".join(inp.name.split())
    if not name:
        raise InvalidInput("name: must not be blank", field="name")
    if await store.name_taken(ctx.tx, name):
        raise Conflict(
            f"There is already a staff member named {name}.", field="name", code="duplicate_name"
        )
    member = await store.add(
        ctx.tx, StaffMember(name=name, role=inp.role, active=True, created_at=ctx.now)
    )
    if inp.telegram_user_id is not None:
        await link_telegram(ctx, member.id, inp.telegram_user_id)
    return StaffOut.model_validate(member)


class ListStaffIn(BaseModel):
    include_inactive: bool = False


class StaffWithKeys(StaffOut):
    keys: list[ApiKeyInfo]


class ListStaffOut(BaseModel):
    staff: list[StaffWithKeys]


@tool(
    name="list_staff",
    description="List staff members with their roles and API keys (prefixes only, never keys).",
    roles=MANAGERS,
    write=False,
)
async def list_staff(ctx: ToolContext, inp: ListStaffIn) -> ListStaffOut:
    members = await store.members(ctx.tx, include_inactive=inp.include_inactive)
    keys = await store.api_keys(ctx.tx)
    by_staff: dict[int, list[ApiKeyInfo]] = {}
    for k in keys:
        by_staff.setdefault(k.staff_id, []).append(ApiKeyInfo.model_validate(k))
    return ListStaffOut(
        staff=[
            StaffWithKeys(**StaffOut.model_validate(m).model_dump(), keys=by_staff.get(m.id, []))
            for m in members
        ]
    )


class CreateApiKeyIn(BaseModel):
    staff_name: str = Field(min_length=1, max_length=200)
    label: str = Field(default="", max_length=100, description="What the key is for, e.g. 'laptop'")


class CreatedApiKey(BaseModel):
    staff_id: int
    staff_name: str
    role: StaffRole
    key_id: int
    prefix: str
    # Shown once: only its hash is stored.
    api_key: str = Field(description="The key itself; it cannot be shown again")


async def link_telegram(ctx: ToolContext, staff_id: int, telegram_user_id: int) -> None:
    """Links a Telegram account to a staff member (refused if another member has it)."""
    external = str(telegram_user_id)
    owner = await store.identity_owner(ctx.tx, TELEGRAM, external)
    if owner == staff_id:
        return
    if owner is not None:
        raise Conflict(
            "That Telegram account belongs to another staff member.",
            field="telegram_user_id",
            code="identity_taken",
        )
    await store.add(
        ctx.tx,
        StaffIdentity(staff_id=staff_id, kind=TELEGRAM, external_id=external, created_at=ctx.now),
    )


async def staff_by_name(ctx: ToolContext, name: str, *, field: str = "staff_name") -> StaffMember:
    member = await store.member_named(ctx.tx, " ".join(name.split()))
    if member is None:
        raise NotFound(
            f"There is no staff member named {name}.", field=field, code="staff_not_found"
        )
    return member


async def active_staff_by_name(ctx: ToolContext, name: str) -> StaffMember:
    member = await staff_by_name(ctx, name)
    if not member.active:
        raise Conflict(
            f"{member.name} is no longer active.", field="staff_name", code="staff_inactive"
        )
    return member


@tool(
    name="create_api_key",
    description="Create an API key for a staff member. The key is returned once and never again; "
    "calls made with it run with that staff member's role.",
    roles=OWNER_ONLY,
)
async def create_api_key(ctx: ToolContext, inp: CreateApiKeyIn) -> CreatedApiKey:
    member = await active_staff_by_name(ctx, inp.staff_name)
    key = new_key()
    row = await store.add(
        ctx.tx,
        ApiKey(
            staff_id=member.id,
            prefix=key[:_SHOWN],
            key_hash=hash_key(key),
            label=inp.label,
            created_at=ctx.now,
        ),
    )
    return CreatedApiKey(
        staff_id=member.id,
        staff_name=member.name,
        role=member.role,  # type: ignore[arg-type]
        key_id=row.id,
        prefix=row.prefix,
        api_key=key,
    )


class RevokeApiKeyIn(BaseModel):
    key_id: int | None = Field(default=None, description="The key's id (from list_staff)")
    prefix: str | None = Field(default=None, description="The key's prefix, e.g. sb_AbCd1234")


class RevokedApiKey(BaseModel):
    key_id: int
    prefix: str
    staff_id: int
    revoked_at: datetime


@tool(
    name="revoke_api_key",
    description="Revoke an API key by its id or prefix; calls with it are refused from then on.",
    roles=OWNER_ONLY,
)
async def revoke_api_key(ctx: ToolContext, inp: RevokeApiKeyIn) -> RevokedApiKey:
    if inp.key_id is None and not inp.prefix:
        raise InvalidInput("Give the key's id or its prefix.", field="key_id")
    found = (
        await store.keys_matching(ctx.tx, key_id=inp.key_id)
        if inp.key_id is not None
        else await store.keys_matching(ctx.tx, prefix=(inp.prefix or "").strip())
    )
    if not found:
        raise NotFound(
            "There is no such API key.",
            field="key_id" if inp.key_id else "prefix",
            code="api_key_not_found",
        )
    if len(found) > 1:
        raise Conflict(
            "Several keys share that prefix; revoke by key_id.",
            field="prefix",
            code="ambiguous_prefix",
        )
    row = found[0]
    if row.revoked_at is None:
        row.revoked_at = ctx.now
    assert row.revoked_at is not None
    return RevokedApiKey(
        key_id=row.id, prefix=row.prefix, staff_id=row.staff_id, revoked_at=row.revoked_at
    )


async def actor_for_api_key(db: Database, key: str | None) -> Actor:
    """The staff actor a bearer key stands for (HTTP auth). Unknown, revoked keys and keys of
    inactive staff all get the same answer, so a caller learns nothing about which it was."""
    async with db.transaction(write=False) as tx:
        return await key_actor(tx, key)


async def key_actor(tx: Tx, key: str | None) -> Actor:
    """``actor_for_api_key`` inside a transaction the caller already has."""
    refused = Unauthenticated("Missing or invalid API key.", code="invalid_api_key")
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        raise refused
    holder = await store.key_holder(tx, hash_key(key))
    if holder is None or holder.revoked_at is not None or not holder.active:
        raise refused
    actor = member_actor(holder.staff_id, holder.name, holder.role)
    if actor is None:
        raise refused
    return actor


def member_actor(staff_id: int, name: str, role: str) -> Actor | None:
    """The actor of a staff row; None if its role is not a staff role (never customer or
    system, whatever a row says)."""
    try:
        parsed = Role(role)
    except ValueError:
        return None
    if parsed not in STAFF_ROLES:
        return None
    return Actor(role=parsed, staff_id=staff_id, name=name)
