"""An order's history: one row per change (created, status, edited, payment, returns...),
written on the fast path since every order change, the hot path's included, writes one."""

from __future__ import annotations

from sqlalchemy import Integer, String, bindparam, insert

from storage.base import UTCDateTime
from storage.database import Tx
from storage.fastsql import Sql
from storage.models import OrderEvent

_INSERT_ORDER_EVENT = Sql(
    insert(OrderEvent).values(
        order_id=bindparam("order_id", type_=Integer),
        kind=bindparam("kind", type_=String),
        from_status=bindparam("from_status", type_=String),
        to_status=bindparam("to_status", type_=String),
        actor=bindparam("actor", type_=String),
        note=bindparam("note", type_=String),
        created_at=bindparam("created_at", type_=UTCDateTime),
    )
)


async def add_order_event(
    tx: Tx,
    order_id: int,
    kind: str,
    *,
    from_status: str | None,
    to_status: str | None,
    actor: str,
    note: str,
) -> None:
    """Writes one history row, at ``tx.now``."""
    await (await tx.raw()).execute(
        _INSERT_ORDER_EVENT,
        {
            "order_id": order_id,
            "kind": kind,
            "from_status": from_status,
            "to_status": to_status,
            "actor": actor,
            "note": note,
            "created_at": tx.now,
        },
    )
