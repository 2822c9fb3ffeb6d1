"""Pending actions (table ``pending_actions``): typed reads and the one-way status changes.

Every status change is a conditional UPDATE from ``pending``, so two decisions racing for one
card (a double tap, two devices, a retried delivery) cannot both win: the loser's UPDATE
changes no row and it reads what the winner decided.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update

from core.cards import ConfirmationCard
from storage.base import utcnow
from storage.database import Tx
from storage.fastsql import json_value
from storage.models import PendingAction


class PendingStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class PendingRow:
    id: int
    token: str
    tool: str
    args: dict[str, Any]
    card: dict[str, Any]
    actor: str
    conversation_id: int | None
    surface: str
    status: PendingStatus
    result: dict[str, Any] | None
    error_code: str | None
    created_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.status is PendingStatus.PENDING and self.expires_at > now


_COLUMNS = (
    PendingAction.id,
    PendingAction.token,
    PendingAction.tool,
    PendingAction.args,
    PendingAction.card,
    PendingAction.actor,
    PendingAction.conversation_id,
    PendingAction.surface,
    PendingAction.status,
    PendingAction.result,
    PendingAction.error_code,
    PendingAction.created_at,
    PendingAction.expires_at,
)


def _row(r: Any) -> PendingRow:
    return PendingRow(
        id=int(r.id),
        token=str(r.token),
        tool=str(r.tool),
        args=dict(json_value(r.args) or {}),
        card=dict(json_value(r.card) or {}),
        actor=str(r.actor),
        conversation_id=int(r.conversation_id) if r.conversation_id is not None else None,
        surface=str(r.surface or ""),
        status=PendingStatus(r.status),
        result=json_value(r.result),
        error_code=r.error_code,
        created_at=r.created_at,
        expires_at=r.expires_at,
    )


async def insert_pending(
    tx: Tx,
    *,
    token: str,
    tool: str,
    args: dict[str, Any],
    card: dict[str, Any],
    actor: str,
    conversation_id: int | None,
    surface: str,
    expires_at: datetime,
) -> None:
    await tx.session.execute(
        insert(PendingAction).values(
            token=token,
            tool=tool,
            args=args,
            card=card,
            actor=actor,
            conversation_id=conversation_id,
            surface=surface[:20],
            status=PendingStatus.PENDING.value,
            created_at=tx.now,
            expires_at=expires_at,
        )
    )


async def supersede_open(tx: Tx, *, actor: str, conversation_id: int | None) -> int:
    """A new card replaces the person's open cards in the same conversation: one question is
    open at a time, so a yes can only ever mean the latest card."""
    if conversation_id is None:
        return 0
    result = await tx.session.execute(
        update(PendingAction)
        .where(
            PendingAction.conversation_id == conversation_id,
            PendingAction.actor == actor,
            PendingAction.status == PendingStatus.PENDING.value,
        )
        .values(status=PendingStatus.SUPERSEDED.value, decided_at=tx.now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def get_pending(tx: Tx, token: str, *, lock: bool = False) -> PendingRow | None:
    stmt = select(*_COLUMNS).where(PendingAction.token == token)
    if lock:
        stmt = stmt.with_for_update()
    found = (await tx.session.execute(stmt)).first()
    return _row(found) if found is not None else None


async def open_card(tx: Tx, token: str) -> ConfirmationCard | None:
    """The card of a pending action that can still be confirmed (None: decided or expired)."""
    row = await get_pending(tx, token)
    if row is None or not row.live(tx.now):
        return None
    return ConfirmationCard.model_validate(row.card)


async def latest_open(
    tx: Tx, conversation_id: int, *, now: datetime | None = None
) -> PendingRow | None:
    """The conversation's open card (at most one is pending, see ``supersede_open``)."""
    at = now or utcnow()
    found = (
        await tx.session.execute(
            select(*_COLUMNS)
            .where(
                PendingAction.conversation_id == conversation_id,
                PendingAction.status == PendingStatus.PENDING.value,
                PendingAction.expires_at > at,
            )
            .order_by(PendingAction.id.desc())
            .limit(1)
        )
    ).first()
    return _row(found) if found is not None else None


async def settle(
    tx: Tx,
    token: str,
    status: PendingStatus,
    *,
    result: dict[str, Any] | None = None,
    error_code: str | None = None,
    only_live: bool = True,
) -> bool:
    """Moves a pending action out of ``pending``; False when it was no longer pending (another
    decision won) or, with ``only_live``, had expired."""
    conditions = [PendingAction.token == token, PendingAction.status == PendingStatus.PENDING.value]
    if only_live:
        conditions.append(PendingAction.expires_at > tx.now)
    changed = await tx.session.execute(
        update(PendingAction)
        .where(*conditions)
        .values(status=status.value, result=result, error_code=error_code, decided_at=tx.now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(changed, "rowcount", 0))


async def record_result(tx: Tx, token: str, result: dict[str, Any]) -> None:
    """The confirmed action's output, written in the action's own transaction (a repeated
    confirmation is answered with it)."""
    await tx.session.execute(
        update(PendingAction)
        .where(PendingAction.token == token)
        .values(result=result)
        .execution_options(synchronize_session=False)
    )
