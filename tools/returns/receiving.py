"""Receiving a return: the goods that came back go into stock (damaged ones are written off
again), and an order whose goods all came back becomes returned."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Conflict, InvalidInput, NotFound
from core.order_status import TRANSITIONS, OrderStatus, check_transition
from core.return_status import ReturnStatus, ReturnStep
from storage import orders as orders_store
from storage import returns as store
from storage.models import Order, OrderLine, ReturnLine, ReturnRequest, StockWriteOff
from storage.returns import ReturnLineRow
from tools.context import ToolContext
from tools.events import order_event
from tools.pending import generic_card
from tools.registry import WAREHOUSE, tool
from tools.returns.receipts import nothing_received, receipt_lines
from tools.returns.records import check_step, lock_return, return_out
from tools.returns.schemas import ReceiveReturnIn, ReturnOut
from tools.returns.settling import settle_without_goods
from tools.stock_ops import Move, apply_moves


@dataclass(frozen=True, slots=True)
class _Back:
    """What came back of one return line, and where to (None: nothing came back)."""

    line: ReturnLine
    order_line: OrderLine
    good: int
    damaged: int
    warehouse_id: int | None


@tool(
    name="receive_return",
    description="""Record the goods of a return request as they arrive: per return line how
    many are good (back into stock, ledger return_restock) and how many damaged (restocked then
    written off, ledger return_restock + damaged, the write-off valued at the line's cost). Lines
    not listed count as nothing received; a line of which nothing came back needs no warehouse.
    Goods go to each line's original warehouse unless warehouse_code is given. When everything
    the order had has come back, the order becomes returned. A receipt with nothing at all is
    refused.
    Refund only (chỉ hoàn tiền): when the buyer is refunded but the goods will not come back
    (the parcel was lost on the way back, the item is not worth sending back and the buyer keeps
    it, or the marketplace ruled for the buyer), call with nothing_came_back true and
    no_goods_reason (lost_in_transit, buyer_keeps_item, marketplace_ruling, or other with a
    note), without lines or warehouse. The return becomes refund_only: all its requested units
    count as returned (no other return can claim them), nothing is restocked, no stock moves and
    the order keeps its status. If only some units arrived, receive those normally and open a
    separate return for the rest. If the buyer is neither sending goods nor being refunded, use
    cancel_return instead. Then accounting refunds with refund_return.""",
    roles=WAREHOUSE,
    confirm=generic_card("Nhận hàng trả về kho / Receive a return"),
)
async def receive_return(ctx: ToolContext, inp: ReceiveReturnIn) -> ReturnOut:
    ret, order = await lock_return(ctx, inp.return_id)
    check_step(
        ret,
        ReturnStep.SETTLE_WITHOUT_GOODS if inp.nothing_came_back else ReturnStep.RECEIVE,
    )
    by_id = {row.line.id: row for row in await store.lines_of(ctx.tx, ret.id)}
    if inp.nothing_came_back:
        return await settle_without_goods(ctx, inp, ret, order, by_id)
    if inp.no_goods_reason is not None:
        raise InvalidInput(
            "no_goods_reason goes with nothing_came_back true (a refund without goods); leave it "
            "out when goods arrived.",
            field="no_goods_reason",
            code="no_goods_reason_without_nothing_came_back",
        )
    if not inp.lines:
        raise nothing_received(ret)
    plan = await _plan(ctx, inp, ret, by_id)
    await _restock(ctx, ret, plan)
    became_returned = await _returned_if_all_back(ctx, ret, order)
    out = await return_out(ctx, ret, order)
    ctx.emit(
        "return.received",
        f"return:{ret.id}",
        {
            "return_id": ret.id,
            "order_id": order.id,
            "order_returned": became_returned,
            "nothing_came_back": False,
            "lines": [
                {
                    "return_line_id": x.id,
                    "variant_id": x.variant_id,
                    "sku": x.sku,
                    "good": x.good,
                    "damaged": x.damaged,
                    "warehouse_code": x.warehouse_code,
                }
                for x in out.lines
            ],
            "refund_value": out.refund_value,
            "actor": ctx.actor.label,
        },
    )
    return out


async def _plan(
    ctx: ToolContext, inp: ReceiveReturnIn, ret: ReturnRequest, by_id: dict[int, ReturnLineRow]
) -> list[_Back]:
    """What came back per listed line and the (active) warehouse taking it; refuses more than
    was requested and a receipt with nothing at all."""
    warehouses = await store.warehouses_by_id(ctx.tx)
    forced_id: int | None = None
    if inp.warehouse_code:
        code = inp.warehouse_code.strip().upper()
        forced_id = next((w.id for w in warehouses.values() if w.code == code), None)
        if forced_id is None:
            raise NotFound(
                f"Warehouse {inp.warehouse_code} does not exist.",
                field="warehouse_code",
                code="unknown_warehouse",
            )
    plan: list[_Back] = []
    for i, ln, rl, ol in receipt_lines(ret, by_id, inp.lines):
        if ln.good + ln.damaged > rl.quantity:
            raise InvalidInput(
                f"{ol.sku}: {ln.good} good + {ln.damaged} damaged is more than the "
                f"{rl.quantity} requested for return.",
                field=f"lines.{i}.good",
                code="return_exceeds_requested",
            )
        if ln.good + ln.damaged == 0:  # nothing came back: no warehouse is involved
            plan.append(_Back(rl, ol, 0, 0, None))
            continue
        wid = forced_id if forced_id is not None else ol.warehouse_id
        if wid is None:
            raise InvalidInput(
                f"{ol.sku} has no original warehouse; give warehouse_code.", field="warehouse_code"
            )
        wh = warehouses.get(wid)
        if wh is None or not wh.active:
            raise Conflict(
                f"Warehouse {wh.code if wh else wid} is inactive; give warehouse_code.",
                field="warehouse_code",
                code="warehouse_inactive",
            )
        plan.append(_Back(rl, ol, ln.good, ln.damaged, wid))
    if sum(b.good + b.damaged for b in plan) == 0:  # an all-zero receipt is a mistake, not a
        raise nothing_received(ret)  # refund without goods (that needs nothing_came_back)
    return plan


async def _restock(ctx: ToolContext, ret: ReturnRequest, plan: list[_Back]) -> None:
    """Records what came back on the lines, puts it in stock and writes off the damaged."""
    moves: list[Move] = []
    write_offs: list[StockWriteOff] = []
    for b in plan:
        b.line.good, b.line.damaged, b.line.warehouse_id = b.good, b.damaged, b.warehouse_id
        if b.warehouse_id is None:  # nothing of this line came back
            continue
        variant_id = b.order_line.variant_id
        if b.good + b.damaged:
            moves.append(
                Move(
                    variant_id,
                    b.warehouse_id,
                    d_on_hand=b.good + b.damaged,
                    reason="return_restock",
                    ref_type="return",
                    ref_id=ret.id,
                    note=ret.number,
                )
            )
        if b.damaged:
            # The damaged units came back (restock) and leave again (damaged): the ledger shows
            # both and nets to zero for them; the write-off row keeps their value.
            moves.append(
                Move(
                    variant_id,
                    b.warehouse_id,
                    d_on_hand=-b.damaged,
                    reason="damaged",
                    ref_type="return",
                    ref_id=ret.id,
                    note=ret.number,
                )
            )
            write_offs.append(
                StockWriteOff(
                    variant_id=variant_id,
                    warehouse_id=b.warehouse_id,
                    quantity=b.damaged,
                    unit_cost=b.order_line.unit_cost,
                    ref_type="return",
                    ref_id=ret.id,
                    note=f"{ret.number} damaged on return",
                    created_at=ctx.now,
                )
            )
    store.add_write_offs(ctx.tx, write_offs)
    ret.status = ReturnStatus.RECEIVED.value
    ret.received_at = ctx.now
    await apply_moves(ctx, moves)  # stable order: a line's restock runs before its write-off


async def _returned_if_all_back(ctx: ToolContext, ret: ReturnRequest, order: Order) -> bool:
    """Sets the order returned when every line's received returns add up to its quantity."""
    order_lines = await orders_store.lines_of(ctx.tx, order.id)
    claims = await store.claims_of_order(ctx.tx, order.id)
    # Units of refund-only returns stay with the buyer: they do not make the order returned.
    back = {ol.id: sum(c.came_back for c in claims.get(ol.id, [])) for ol in order_lines}
    if not all(back[ol.id] >= ol.quantity for ol in order_lines):
        return False
    current = OrderStatus(order.status)
    if OrderStatus.RETURNED not in TRANSITIONS[current]:
        return False
    check_transition(current, OrderStatus.RETURNED)
    order.status = OrderStatus.RETURNED.value
    order.updated_at = ctx.now
    await order_event(
        ctx,
        order.id,
        "status",
        from_status=current.value,
        to_status=OrderStatus.RETURNED.value,
        note=f"all goods came back ({ret.number})",
    )
    return True
