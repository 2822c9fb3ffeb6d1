"""The outbox and the order history, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from storage import order_events, outbox
from tools.context import ToolContext


async def flush_events(ctx: ToolContext) -> None:
    """Writes the call's outbox rows; the runner calls it just before commit, or writes them
    with the call's audit row (storage.audit.add_entry)."""
    if ctx.pending_events:
        await outbox.add_events(ctx.tx, ctx.take_events())


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
    await order_events.add_order_event(
        ctx.tx,
        order_id,
        kind,
        from_status=from_status,
        to_status=to_status,
        actor=ctx.actor.label,
        note=note,
    )
    emit_order_event(
        ctx, order_id, kind, from_status=from_status, to_status=to_status, note=note, extra=extra
    )


def emit_order_event(
    ctx: ToolContext,
    order_id: int,
    kind: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """The outbox event of an order change whose history row is written already (a new
    order's is written with it: storage.order_writes.insert_order)."""
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
