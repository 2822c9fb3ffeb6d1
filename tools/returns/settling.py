"""Refund only (chỉ hoàn tiền): recording that none of a return's goods come back while the
buyer is still refunded. The return becomes refund_only, its units count as returned, no stock
moves and the order keeps its status."""

from __future__ import annotations

from core.errors import InvalidInput
from core.return_status import ReturnStatus
from storage.models import Order, ReturnRequest
from storage.returns import ReturnLineRow
from tools.context import ToolContext
from tools.events import order_event
from tools.returns.receipts import receipt_lines
from tools.returns.records import return_out
from tools.returns.schemas import NO_GOODS_MARK, NoGoodsReason, ReceiveReturnIn, ReturnOut


async def settle_without_goods(
    ctx: ToolContext,
    inp: ReceiveReturnIn,
    ret: ReturnRequest,
    order: Order,
    by_id: dict[int, ReturnLineRow],
) -> ReturnOut:
    """Refund only: records that none of the return's goods come back; no stock moves."""
    reason, note = _checked_reason(inp)
    for i, ln, _rl, ol in receipt_lines(ret, by_id, inp.lines):
        if ln.good or ln.damaged:
            raise InvalidInput(
                f"nothing_came_back says no goods came back, but {ol.sku} has {ln.good} good "
                f"and {ln.damaged} damaged. Receive what arrived without nothing_came_back; "
                "units that will not come back go on a return of their own.",
                field=f"lines.{i}.good" if ln.good else f"lines.{i}.damaged",
                code="goods_came_back",
            )
    for row in by_id.values():
        row.line.good, row.line.damaged, row.line.warehouse_id = 0, 0, None
    ret.status = ReturnStatus.REFUND_ONLY.value
    ret.received_at = ctx.now
    ret.no_goods_reason = reason
    mark = f"{NO_GOODS_MARK} ({reason})" + (f": {note}" if note else "")
    ret.reason = f"{ret.reason}\n{mark}".strip()  # for people reading the return
    out = await return_out(ctx, ret, order)
    summary = ", ".join(f"{x.quantity} x {x.sku}" for x in out.lines)
    await order_event(
        ctx,
        order.id,
        "return",
        note=f"{ret.number}: nothing came back ({reason}); refund without goods for {summary}",
        extra={"return_id": ret.id, "nothing_came_back": True, "no_goods_reason": reason},
    )
    _emit_settled(ctx, ret, order, reason, out)
    return out


def _checked_reason(inp: ReceiveReturnIn) -> tuple[NoGoodsReason, str]:
    """Why nothing came back, and the note on one line (the reason's last line stays the mark);
    a settlement takes no warehouse."""
    reason = inp.no_goods_reason
    if reason is None:
        raise InvalidInput(
            "Say why nothing came back: no_goods_reason lost_in_transit, buyer_keeps_item, "
            "marketplace_ruling, or other with a note.",
            field="no_goods_reason",
            code="no_goods_reason_required",
        )
    note = " ".join(inp.note.split())
    if reason == "other" and not note:
        raise InvalidInput(
            "no_goods_reason other needs a note saying why nothing came back.",
            field="note",
            code="note_required",
        )
    if inp.warehouse_code:
        raise InvalidInput(
            "Nothing came back, so no warehouse takes anything; leave warehouse_code out.",
            field="warehouse_code",
            code="no_goods_no_warehouse",
        )
    return reason, note


def _emit_settled(
    ctx: ToolContext, ret: ReturnRequest, order: Order, reason: str, out: ReturnOut
) -> None:
    ctx.emit(
        "return.received",
        f"return:{ret.id}",
        {
            "return_id": ret.id,
            "order_id": order.id,
            "order_returned": False,
            "nothing_came_back": True,
            "no_goods_reason": reason,
            "lines": [
                {
                    "return_line_id": x.id,
                    "variant_id": x.variant_id,
                    "sku": x.sku,
                    "quantity": x.quantity,
                    "good": 0,
                    "damaged": 0,
                    "warehouse_code": None,
                }
                for x in out.lines
            ],
            "refund_value": out.refund_value,
            "actor": ctx.actor.label,
        },
    )
