"""The outbox and the order history, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, bindparam, func, insert

from storage.base import Json, UTCDateTime
from storage.fastsql import Sql
from storage.models import OrderEvent, OutboxEvent
from tools.context import ToolContext


def _insert_outbox(txid: Any) -> Sql:
    return Sql(
        insert(OutboxEvent).values(
            txid=txid,
            topic=bindparam("topic", type_=String),
            key=bindparam("key", type_=String),
            payload=bindparam("payload", type_=Json),
            created_at=bindparam("created_at", type_=UTCDateTime),
        )
    )


# The writer's transaction id orders events for readers on PostgreSQL (storage/outbox.py);
# SQLite's writers commit one at a time, in id order.
INSERT_OUTBOX = {
    "sqlite": _insert_outbox(0),
    "postgresql": _insert_outbox(func.txid_current()),
}
INSERT_ORDER_EVENT = Sql(
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


async def flush_events(ctx: ToolContext) -> None:
    """Writes the call's outbox rows; the runner calls it just before commit."""
    if not ctx.pending_events:
        return
    rows = [{**e, "created_at": ctx.now} for e in ctx.pending_events]
    ctx.pending_events.clear()
    await (await ctx.sql()).execute_many(INSERT_OUTBOX[ctx.tx.dialect], rows)


async def order_event(
    ctx: ToolContext,
    order_id: int,
    kind: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """History row plus an outbox event, so notifications and staff cards see every change."""
    await (await ctx.sql()).execute(
        INSERT_ORDER_EVENT,
        {
            "order_id": order_id,
            "kind": kind,
            "from_status": from_status,
            "to_status": to_status,
            "actor": ctx.actor.label,
            "note": note,
            "created_at": ctx.now,
        },
    )
    topic = (
        "order.created"
        if kind == "created"
        else ("order.status_changed" if kind == "status" else f"order.{kind}")
    )
    ctx.emit(
        topic,
        f"order:{order_id}",
        {
            "order_id": order_id,
            "from": from_status,
            "to": to_status,
            "actor": ctx.actor.label,
            "note": note,
            **(extra or {}),
        },
    )
