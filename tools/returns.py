"""Returns (trả hàng) of delivered goods: the request, the goods coming back, the refund.

Only delivered or completed orders take returns. A parcel that never reached the buyer
(delivery_failed) is not a return: setting that order to ``returned`` puts the whole parcel back
in stock through the order state machine. Rules for quantities and money are in core.returns.

A return the buyer is refunded for although nothing comes back ("chỉ hoàn tiền", refund only:
the parcel was lost on the way back, the buyer keeps a cheap item, a marketplace ruled for the
buyer) is received with ``nothing_came_back`` and a reason: it becomes ``refund_only``, its
units count as returned (no other return can claim them), no stock moves, the order's status is
left alone (the goods did not come back), and it is refunded like any other return.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from core.cards import CardField, CardKind
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.money import format_vnd
from core.order_status import RETURNABLE, TRANSITIONS, OrderStatus, check_transition
from core.returns import (
    CANCELLED,
    NO_GOODS_REASONS,
    RECEIVED,
    REFUND_ONLY,
    REFUNDABLE,
    REQUESTED,
    Claim,
    claimed_before,
    line_refund,
    payment_status_after_refund,
    refund_base,
    refund_limit,
    returnable,
)
from storage.models import (
    Order,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    StockWriteOff,
    Warehouse,
    order_number,
    parse_order_number,
)
from tools.context import ToolContext
from tools.events import order_event
from tools.pending import Prepared, card_fields, generic_card
from tools.registry import ACCOUNTING, CUSTOMER, SALES, STAFF, WAREHOUSE, tool
from tools.stock_ops import Move, apply_moves

RefundMethod = Literal["cash", "bank_transfer", "marketplace", "cod_offset"]
ReturnStatus = Literal["requested", "received", "refund_only", "cancelled"]
NoGoodsReason = Literal["lost_in_transit", "buyer_keeps_item", "marketplace_ruling", "other"]
assert get_args(NoGoodsReason) == NO_GOODS_REASONS
NO_GOODS_MARK = "Nothing came back"  # the line receive_return adds to a refund-only reason
MAX_ID = 2**63 - 1  # ids are 64-bit keys: a larger number names nothing


# --------------------------------------------------------------------------- output


class ReturnLineOut(BaseModel):
    id: int
    order_line_id: int
    variant_id: int
    sku: str
    name: str
    quantity: int = Field(description="Units the buyer asked to return")
    good: int = Field(description="Received back in sellable condition")
    damaged: int = Field(description="Received back damaged (written off)")
    warehouse_code: str | None = Field(description="Where the goods came back to")
    refund_value: int = Field(
        description="This line's paid amount for the units returned (received units once "
        "received, else the requested units), prorated on the units returned so far: the "
        "returns of a line add up to its line total exactly"
    )


class ReturnOut(BaseModel):
    id: int
    number: str
    order_id: int
    order_number: str
    status: ReturnStatus = Field(
        description="requested (open), received (goods came back), refund_only (nothing came "
        "back, the buyer is refunded anyway), cancelled"
    )
    reason: str
    nothing_came_back: bool = Field(
        description="True for a refund-only return: no goods came back and none were restocked"
    )
    no_goods_reason: NoGoodsReason | None = Field(
        description="Why nothing came back (refund-only returns): lost_in_transit, "
        "buyer_keeps_item, marketplace_ruling or other (see reason)"
    )
    lines: list[ReturnLineOut]
    refund_value: int = Field(description="Default refund: sum of the lines' refund_value")
    refund_status: Literal["pending", "refunded"]
    refund_amount: int
    refund_method: str | None
    order_status: str
    order_payment_status: str
    created_by: str
    created_at: datetime
    received_at: datetime | None = Field(
        description="When receive_return recorded the goods (or, refund only, that none came back)"
    )
    refunded_at: datetime | None


async def _out(ctx: ToolContext, ret: ReturnRequest, order: Order | None = None) -> ReturnOut:
    order = order or await ctx.session.get(Order, ret.order_id)
    assert order is not None
    rows = (
        await ctx.session.execute(
            select(ReturnLine, OrderLine, Warehouse.code)
            .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
            .outerjoin(Warehouse, Warehouse.id == ReturnLine.warehouse_id)
            .where(ReturnLine.return_id == ret.id)
            .order_by(ReturnLine.id)
        )
    ).all()
    claims = await _claims(ctx, order.id)
    lines = []
    for rl, ol, wcode in rows:
        # What came back once received; the requested units while open, when cancelled (what it
        # would have been worth) and when refunded without goods (the buyer keeps them).
        units = rl.good + rl.damaged if ret.status == RECEIVED else rl.quantity
        before = claimed_before(claims.get(ol.id, []), ret.id)
        lines.append(
            ReturnLineOut(
                id=rl.id,
                order_line_id=ol.id,
                variant_id=ol.variant_id,
                sku=ol.sku,
                name=ol.name,
                quantity=rl.quantity,
                good=rl.good,
                damaged=rl.damaged,
                warehouse_code=wcode,
                refund_value=line_refund(ol.line_total, ol.quantity, units, before),
            )
        )
    return ReturnOut(
        id=ret.id,
        number=ret.number,
        order_id=order.id,
        order_number=order.number,
        status=ret.status,  # type: ignore[arg-type]
        reason=ret.reason,
        nothing_came_back=ret.status == REFUND_ONLY,
        no_goods_reason=_no_goods_reason(ret),
        lines=lines,
        refund_value=sum(x.refund_value for x in lines),
        refund_status=ret.refund_status,  # type: ignore[arg-type]
        refund_amount=ret.refund_amount,
        refund_method=ret.refund_method,
        order_status=order.status,
        order_payment_status=order.payment_status,
        created_by=ret.created_by,
        created_at=ret.created_at,
        received_at=ret.received_at,
        refunded_at=ret.refunded_at,
    )


def _no_goods_reason(ret: ReturnRequest) -> NoGoodsReason | None:
    code = ret.no_goods_reason if ret.status == REFUND_ONLY else None
    return cast(NoGoodsReason, code) if code in NO_GOODS_REASONS else None


# --------------------------------------------------------------------------- loading


def _hidden() -> PermissionDenied:
    return PermissionDenied("That record does not belong to you.", code="not_yours")


async def _order(ctx: ToolContext, order_id: int, *, lock: bool = False) -> Order:
    """The order (row-locked when changing it: order row first, then stock rows, as elsewhere)."""
    order = await ctx.session.get(Order, order_id, populate_existing=True, with_for_update=lock)
    if order is None:
        if ctx.actor.is_customer:  # a customer learns nothing about orders that are not theirs
            raise _hidden()
        raise NotFound(
            f"Order {order_number(order_id)} was not found.",
            field="order_id",
            code="unknown_order",
        )
    ctx.require_customer_scope(order.customer_id)
    return order


async def _return(ctx: ToolContext, return_id: int) -> ReturnRequest:
    ret = await ctx.session.get(ReturnRequest, return_id, populate_existing=True)
    if ret is None:
        if ctx.actor.is_customer:
            raise _hidden()
        raise NotFound(
            f"Return {return_id} does not exist.", field="return_id", code="unknown_return"
        )
    return ret


async def _locked(ctx: ToolContext, return_id: int) -> tuple[ReturnRequest, Order]:
    """Locks the order, then the return, so every change to one order's returns queues up."""
    ret = await _return(ctx, return_id)
    order = await _order(ctx, ret.order_id, lock=True)
    ret = (
        await ctx.session.get(
            ReturnRequest, return_id, populate_existing=True, with_for_update=True
        )
        or ret
    )
    return ret, order


async def _claims(ctx: ToolContext, order_id: int) -> dict[int, list[Claim]]:
    """Every return line of the order, by order line, as it weighs on what is returnable."""
    return await claims_where(ctx, ReturnRequest.order_id == order_id)


async def claims_where(ctx: ToolContext, condition: Any) -> dict[int, list[Claim]]:
    """The return lines matching ``condition``, by order line, in return order (the order
    the cumulative refund rule counts them in)."""
    rows = await ctx.session.execute(
        select(
            ReturnLine.order_line_id,
            ReturnRequest.status,
            ReturnLine.quantity,
            ReturnLine.good,
            ReturnLine.damaged,
            ReturnLine.return_id,
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(condition)
        .order_by(ReturnLine.return_id, ReturnLine.id)
    )
    out: dict[int, list[Claim]] = defaultdict(list)
    for olid, status, qty, good, damaged, rid in rows.all():
        out[olid].append(Claim(status, qty, good, damaged, rid))
    return out


# --------------------------------------------------------------------------- create


class ReturnLineIn(BaseModel):
    order_line_id: int | None = Field(
        default=None, gt=0, le=MAX_ID, description="The order line's id"
    )
    sku: str | None = Field(
        default=None, min_length=1, max_length=64, description="Instead of order_line_id"
    )
    quantity: int = Field(gt=0, le=100_000)


class CreateReturnIn(BaseModel):
    order_id: int | None = Field(default=None, gt=0, le=MAX_ID, description="Numeric order id")
    order_number: str | None = Field(
        default=None, max_length=20, description="Order number such as DH000123"
    )
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000, description="Why the goods come back")


def _order_id(inp: CreateReturnIn) -> int:
    if inp.order_id is not None:
        return inp.order_id
    parsed = parse_order_number(inp.order_number or "")
    if parsed is None or parsed > MAX_ID:
        raise InvalidInput(
            "Give order_id or an order number such as DH000123.", field="order_number"
        )
    return parsed


@tool(
    name="create_return",
    description="""Open a return request for goods of a delivered or completed order: lines by
    order_line_id or SKU with the quantity, and the reason. A line can be returned up to what was
    shipped minus what earlier returns already claim. Customers can open returns for their own
    orders only. A parcel that never reached the buyer is not a return: set that order to
    returned instead. Next the warehouse records what arrives with receive_return. A refund
    without goods (refund only: lost on the way back, the buyer keeps the item, a marketplace
    ruling) is also opened here for the units refunded, then recorded with receive_return
    nothing_came_back.""",
    roles=SALES | CUSTOMER,
)
async def create_return(ctx: ToolContext, inp: CreateReturnIn) -> ReturnOut:
    order = await _order(ctx, _order_id(inp), lock=True)
    status = OrderStatus(order.status)
    if status not in RETURNABLE:
        hint = (
            " A parcel that was not delivered comes back by setting the order to returned."
            if status is OrderStatus.DELIVERY_FAILED
            else ""
        )
        raise Conflict(
            f"Order {order.number} is {order.status}; only delivered or completed orders can "
            f"take a return.{hint}",
            field="order_id",
            code="order_not_returnable",
        )
    lines = list(
        (
            await ctx.session.execute(
                select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
            )
        ).scalars()
    )
    by_id = {ln.id: ln for ln in lines}
    claims = await _claims(ctx, order.id)
    chosen: list[OrderLine] = []
    for i, ln in enumerate(inp.lines):
        if (ln.order_line_id is None) == (ln.sku is None):
            raise InvalidInput(
                "Give order_line_id or sku (one of them).", field=f"lines.{i}.order_line_id"
            )
        if ln.order_line_id is not None:
            ol = by_id.get(ln.order_line_id)
            if ol is None:
                raise NotFound(
                    f"Order {order.number} has no line {ln.order_line_id}.",
                    field=f"lines.{i}.order_line_id",
                    code="unknown_order_line",
                )
        else:
            sku = (ln.sku or "").strip()
            matches = [x for x in lines if x.sku == sku]
            if not matches:
                raise NotFound(
                    f"Order {order.number} has no SKU {sku}.",
                    field=f"lines.{i}.sku",
                    code="unknown_order_line",
                )
            if len(matches) > 1:
                raise InvalidInput(
                    f"SKU {sku} is on several lines of {order.number}; use order_line_id.",
                    field=f"lines.{i}.sku",
                    code="ambiguous_sku",
                )
            ol = matches[0]
        if any(c.id == ol.id for c in chosen):
            raise InvalidInput(
                f"Line {ol.id} ({ol.sku}) is given twice; give it once.",
                field=f"lines.{i}",
                code="duplicate_line",
            )
        left = returnable(ol.quantity, claims.get(ol.id, []))
        if ln.quantity > left:
            raise Conflict(
                f"Only {left} of {ol.sku} can still be returned on {order.number} "
                f"({ol.quantity} shipped, {ol.quantity - left} already in returns).",
                field=f"lines.{i}.quantity",
                code="return_exceeds_shipped",
                details={"sku": ol.sku, "shipped": ol.quantity, "returnable": left},
            )
        chosen.append(ol)

    ret = ReturnRequest(
        order_id=order.id,
        status=REQUESTED,
        reason=inp.reason.strip(),
        refund_amount=0,
        refund_status="pending",
        created_by=ctx.actor.label,
        created_at=ctx.now,
    )
    ctx.session.add(ret)
    await ctx.session.flush()
    ctx.session.add_all(
        ReturnLine(return_id=ret.id, order_line_id=ol.id, quantity=ln.quantity, good=0, damaged=0)
        for ln, ol in zip(inp.lines, chosen, strict=True)
    )
    await ctx.session.flush()
    summary = ", ".join(
        f"{ln.quantity} x {ol.sku}" for ln, ol in zip(inp.lines, chosen, strict=True)
    )
    await order_event(
        ctx,
        order.id,
        "return",
        note=f"{ret.number} requested: {summary}",
        extra={"return_id": ret.id},
    )
    out = await _out(ctx, ret, order)
    ctx.emit(
        "return.requested",
        f"return:{ret.id}",
        {
            "return_id": ret.id,
            "order_id": order.id,
            "reason": ret.reason,
            "lines": [
                {"order_line_id": x.order_line_id, "sku": x.sku, "quantity": x.quantity}
                for x in out.lines
            ],
            "actor": ctx.actor.label,
        },
    )
    return out


# --------------------------------------------------------------------------- receive


class ReceiveReturnLineIn(BaseModel):
    return_line_id: int = Field(gt=0, le=MAX_ID)
    good: int = Field(default=0, ge=0, le=100_000, description="Units fit to sell again")
    damaged: int = Field(default=0, ge=0, le=100_000, description="Units to write off")


class ReceiveReturnIn(BaseModel):
    return_id: int = Field(gt=0, le=MAX_ID)
    lines: list[ReceiveReturnLineIn] = Field(
        default_factory=list,
        max_length=200,
        description="Per return line, the units that arrived; needed unless nothing_came_back",
    )
    warehouse_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="Where the goods came back to; default each line's order warehouse",
    )
    nothing_came_back: bool = Field(
        default=False,
        description="true only to record that none of the return's goods will come back while "
        "the buyer is still refunded (refund only, chỉ hoàn tiền); needs no_goods_reason, takes "
        "no warehouse_code and no lines with goods",
    )
    no_goods_reason: NoGoodsReason | None = Field(
        default=None,
        description="With nothing_came_back: lost_in_transit (the parcel was lost on its way "
        "back), buyer_keeps_item (not worth sending back; the buyer keeps it), "
        "marketplace_ruling (the marketplace refunded the buyer without a return), or other "
        "(say why in note)",
    )
    note: str = Field(default="", max_length=2000)


def _nothing_received(ret: ReturnRequest) -> InvalidInput:
    return InvalidInput(
        f"Nothing was received on {ret.number}. If the buyer is refunded although the goods "
        "will not come back (lost on the way back, the buyer keeps them, a marketplace ruling), "
        "call receive_return with nothing_came_back true and no_goods_reason; if the return is "
        "called off (no goods, no refund), cancel it with cancel_return.",
        field="lines",
        code="nothing_received",
    )


def _receipt_lines(
    ret: ReturnRequest,
    by_id: dict[int, tuple[ReturnLine, OrderLine]],
    lines: list[ReceiveReturnLineIn],
) -> list[tuple[int, ReceiveReturnLineIn, ReturnLine, OrderLine]]:
    """The listed lines with their return and order lines: each of the return, each once."""
    seen: set[int] = set()
    out = []
    for i, ln in enumerate(lines):
        pair = by_id.get(ln.return_line_id)
        if pair is None:
            raise NotFound(
                f"{ret.number} has no line {ln.return_line_id}.",
                field=f"lines.{i}.return_line_id",
                code="unknown_return_line",
            )
        if ln.return_line_id in seen:
            raise InvalidInput(
                f"Return line {ln.return_line_id} is given twice.",
                field=f"lines.{i}.return_line_id",
                code="duplicate_line",
            )
        seen.add(ln.return_line_id)
        out.append((i, ln, *pair))
    return out


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
    ret, order = await _locked(ctx, inp.return_id)
    if ret.status != REQUESTED:
        raise Conflict(
            f"{ret.number} is {ret.status}; only a requested return can be received.",
            field="return_id",
            code="return_not_open",
        )
    rows = (
        await ctx.session.execute(
            select(ReturnLine, OrderLine)
            .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
            .where(ReturnLine.return_id == ret.id)
            .order_by(ReturnLine.id)
        )
    ).all()
    by_id = {rl.id: (rl, ol) for rl, ol in rows}
    if inp.nothing_came_back:
        return await _settle_without_goods(ctx, inp, ret, order, by_id)
    if inp.no_goods_reason is not None:
        raise InvalidInput(
            "no_goods_reason goes with nothing_came_back true (a refund without goods); leave it "
            "out when goods arrived.",
            field="no_goods_reason",
            code="no_goods_reason_without_nothing_came_back",
        )
    if not inp.lines:
        raise _nothing_received(ret)
    forced: Warehouse | None = None
    if inp.warehouse_code:
        forced = (
            await ctx.session.execute(
                select(Warehouse).where(Warehouse.code == inp.warehouse_code.strip().upper())
            )
        ).scalar_one_or_none()
        if forced is None:
            raise NotFound(
                f"Warehouse {inp.warehouse_code} does not exist.",
                field="warehouse_code",
                code="unknown_warehouse",
            )
    active = {w.id: w for w in (await ctx.session.execute(select(Warehouse))).scalars()}
    plan: list[tuple[ReturnLine, OrderLine, int, int, int | None]] = []  # rl, ol, good, damaged, wh
    for i, ln, rl, ol in _receipt_lines(ret, by_id, inp.lines):
        if ln.good + ln.damaged > rl.quantity:
            raise InvalidInput(
                f"{ol.sku}: {ln.good} good + {ln.damaged} damaged is more than the "
                f"{rl.quantity} requested for return.",
                field=f"lines.{i}.good",
                code="return_exceeds_requested",
            )
        if ln.good + ln.damaged == 0:  # nothing came back: no warehouse is involved
            plan.append((rl, ol, 0, 0, None))
            continue
        wid = forced.id if forced is not None else ol.warehouse_id
        if wid is None:
            raise InvalidInput(
                f"{ol.sku} has no original warehouse; give warehouse_code.", field="warehouse_code"
            )
        wh = active.get(wid)
        if wh is None or not wh.active:
            raise Conflict(
                f"Warehouse {wh.code if wh else wid} is inactive; give warehouse_code.",
                field="warehouse_code",
                code="warehouse_inactive",
            )
        plan.append((rl, ol, ln.good, ln.damaged, wid))
    if sum(g + d for _, _, g, d, _ in plan) == 0:  # an all-zero receipt is a mistake, not a
        raise _nothing_received(ret)  # refund without goods (that needs nothing_came_back)

    moves: list[Move] = []
    for rl, ol, good, damaged, wid in plan:
        rl.good, rl.damaged, rl.warehouse_id = good, damaged, wid
        if wid is None:  # nothing of this line came back
            continue
        if good + damaged:
            moves.append(
                Move(
                    ol.variant_id,
                    wid,
                    d_on_hand=good + damaged,
                    reason="return_restock",
                    ref_type="return",
                    ref_id=ret.id,
                    note=ret.number,
                )
            )
        if damaged:
            # The damaged units came back (restock) and leave again (damaged): the ledger shows
            # both and nets to zero for them; the write-off row keeps their value.
            moves.append(
                Move(
                    ol.variant_id,
                    wid,
                    d_on_hand=-damaged,
                    reason="damaged",
                    ref_type="return",
                    ref_id=ret.id,
                    note=ret.number,
                )
            )
            ctx.session.add(
                StockWriteOff(
                    variant_id=ol.variant_id,
                    warehouse_id=wid,
                    quantity=damaged,
                    unit_cost=ol.unit_cost,
                    ref_type="return",
                    ref_id=ret.id,
                    note=f"{ret.number} damaged on return",
                    created_at=ctx.now,
                )
            )
    ret.status = RECEIVED
    ret.received_at = ctx.now
    if inp.note.strip():
        ret.reason = f"{ret.reason}\nReceived: {inp.note.strip()}".strip()
    await ctx.session.flush()
    await apply_moves(ctx, moves)  # stable order: a line's restock runs before its write-off

    # Whole order back? Every line's received returns add up to its quantity.
    order_lines = list(
        (
            await ctx.session.execute(select(OrderLine).where(OrderLine.order_id == order.id))
        ).scalars()
    )
    claims = await _claims(ctx, order.id)
    # Units of refund-only returns stay with the buyer: they do not make the order returned.
    back = {ol.id: sum(c.came_back for c in claims.get(ol.id, [])) for ol in order_lines}
    fully = all(back[ol.id] >= ol.quantity for ol in order_lines)
    current = OrderStatus(order.status)
    became_returned = fully and OrderStatus.RETURNED in TRANSITIONS[current]
    if became_returned:
        check_transition(current, OrderStatus.RETURNED)
        order.status = OrderStatus.RETURNED.value
        order.updated_at = ctx.now
        await ctx.session.flush()
        await order_event(
            ctx,
            order.id,
            "status",
            from_status=current.value,
            to_status=OrderStatus.RETURNED.value,
            note=f"all goods came back ({ret.number})",
        )
    out = await _out(ctx, ret, order)
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


async def _settle_without_goods(
    ctx: ToolContext,
    inp: ReceiveReturnIn,
    ret: ReturnRequest,
    order: Order,
    by_id: dict[int, tuple[ReturnLine, OrderLine]],
) -> ReturnOut:
    """Refund only: records that none of the return's goods come back; no stock moves."""
    reason = inp.no_goods_reason
    if reason is None:
        raise InvalidInput(
            "Say why nothing came back: no_goods_reason lost_in_transit, buyer_keeps_item, "
            "marketplace_ruling, or other with a note.",
            field="no_goods_reason",
            code="no_goods_reason_required",
        )
    note = " ".join(inp.note.split())  # one line: the reason's last line stays the mark
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
    for i, ln, _rl, ol in _receipt_lines(ret, by_id, inp.lines):
        if ln.good or ln.damaged:
            raise InvalidInput(
                f"nothing_came_back says no goods came back, but {ol.sku} has {ln.good} good "
                f"and {ln.damaged} damaged. Receive what arrived without nothing_came_back; "
                "units that will not come back go on a return of their own.",
                field=f"lines.{i}.good" if ln.good else f"lines.{i}.damaged",
                code="goods_came_back",
            )
    for rl, _ol in by_id.values():
        rl.good, rl.damaged, rl.warehouse_id = 0, 0, None
    ret.status = REFUND_ONLY
    ret.received_at = ctx.now
    ret.no_goods_reason = reason
    mark = f"{NO_GOODS_MARK} ({reason})" + (f": {note}" if note else "")
    ret.reason = f"{ret.reason}\n{mark}".strip()  # for people reading the return
    await ctx.session.flush()
    out = await _out(ctx, ret, order)
    summary = ", ".join(f"{x.quantity} x {x.sku}" for x in out.lines)
    await order_event(
        ctx,
        order.id,
        "return",
        note=f"{ret.number}: nothing came back ({reason}); refund without goods for {summary}",
        extra={"return_id": ret.id, "nothing_came_back": True, "no_goods_reason": reason},
    )
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
    return out


# --------------------------------------------------------------------------- refund


class RefundReturnIn(BaseModel):
    return_id: int = Field(gt=0, le=MAX_ID)
    method: RefundMethod = Field(
        description="cash, bank_transfer, marketplace (refunded by the platform) or cod_offset "
        "(deducted from a COD remittance)"
    )
    amount: int | None = Field(
        default=None,
        gt=0,
        le=2_000_000_000,
        description="Đồng; default the paid value of the returned units (those that came back, "
        "or all the requested units of a refund-only return)",
    )
    note: str = Field(default="", max_length=1000)


async def _refund_return_card(ctx: ToolContext, inp: RefundReturnIn) -> Prepared:
    """Names the return and its order, and writes the default amount (the paid value of the
    returned units, as it stands now) into the arguments: Confirm refunds what was shown."""
    ret, order = await _locked(ctx, inp.return_id)
    amount = inp.amount or (await _out(ctx, ret, order)).refund_value
    if amount <= 0:
        raise InvalidInput(
            f"{ret.number} has nothing to refund; give amount if needed.",
            field="amount",
            code="nothing_to_refund",
        )
    args = inp.model_copy(update={"amount": amount})
    args.model_fields_set.add("amount")
    shown = [f for f in card_fields(args) if f.key != "return_id"]
    return Prepared(
        args=args,
        kind=CardKind.GENERIC,
        title="Hoàn tiền hàng trả / Refund a return",
        fields=[
            CardField(key="return", value=ret.number),
            CardField(key="order", value=order.number),
            *shown,
        ],
    )


@tool(
    name="refund_return",
    description="""Refund a received return, or a refund-only one (nothing came back: recorded
    with receive_return nothing_came_back). The default amount is, per returned line, the
    line's paid amount (line total after discount, VAT included) for the units returned (those
    that came back; all the requested units of a refund-only return), prorated
    on the units returned so far so that all returns of a line add up to its line total exactly
    (round(total x units after / ordered) - round(total x units before / ordered), half-up);
    shipping is not included unless you give amount. All
    refunds of an order together cannot exceed what was paid for it (its paid amount, or its
    total when no payment was recorded). Sets the order's payment status to refunded or
    partially_refunded.""",
    roles=ACCOUNTING,
    confirm=_refund_return_card,
)
async def refund_return(ctx: ToolContext, inp: RefundReturnIn) -> ReturnOut:
    ret, order = await _locked(ctx, inp.return_id)
    if ret.refund_status == "refunded":
        raise Conflict(
            f"{ret.number} was already refunded ({format_vnd(ret.refund_amount)}).",
            field="return_id",
            code="already_refunded",
        )
    if ret.status not in REFUNDABLE:
        raise Conflict(
            f"{ret.number} is {ret.status}; refund once the goods are received (receive_return), "
            "or once it is recorded that they will not come back (receive_return with "
            "nothing_came_back).",
            field="return_id",
            code="return_not_received",
        )
    already = int(
        await ctx.session.scalar(
            select(func.coalesce(func.sum(ReturnRequest.refund_amount), 0)).where(
                ReturnRequest.order_id == order.id, ReturnRequest.refund_status == "refunded"
            )
        )
        or 0
    )
    limit = refund_limit(order.total, order.paid_amount, already)
    current = await _out(ctx, ret, order)
    amount = inp.amount if inp.amount is not None else current.refund_value
    if amount <= 0:
        raise InvalidInput(
            f"{ret.number} has nothing to refund; give amount if needed.",
            field="amount",
            code="nothing_to_refund",
        )
    if amount > limit:
        raise Conflict(
            f"At most {format_vnd(limit)} can still be refunded on {order.number} (paid "
            f"{format_vnd(refund_base(order.total, order.paid_amount))}, already refunded "
            f"{format_vnd(already)}); {format_vnd(amount)} is too much.",
            field="amount",
            code="refund_exceeds_paid",
            details={"limit": limit, "requested": amount, "already_refunded": already},
        )
    ret.refund_amount = amount
    ret.refund_status = "refunded"
    ret.refund_method = inp.method
    ret.refunded_at = ctx.now
    order.payment_status = payment_status_after_refund(
        order.total, order.paid_amount, already + amount
    )
    order.updated_at = ctx.now
    await ctx.session.flush()
    note = f"refund {format_vnd(amount)} by {inp.method} for {ret.number}"
    no_goods = ret.status == REFUND_ONLY
    if no_goods:
        note += f" without goods (nothing came back: {current.no_goods_reason or 'other'})"
    if inp.note.strip():
        note += f": {inp.note.strip()}"
    await order_event(
        ctx,
        order.id,
        "payment",
        note=note,
        extra={
            "return_id": ret.id,
            "refund": amount,
            "payment_status": order.payment_status,
            "nothing_came_back": no_goods,
        },
    )
    ctx.emit(
        "return.refunded",
        f"return:{ret.id}",
        {
            "return_id": ret.id,
            "order_id": order.id,
            "amount": amount,
            "method": inp.method,
            "order_payment_status": order.payment_status,
            "refunded_total": already + amount,
            "nothing_came_back": no_goods,
            "no_goods_reason": current.no_goods_reason,
            "actor": ctx.actor.label,
        },
    )
    return await _out(ctx, ret, order)


# --------------------------------------------------------------------------- read, cancel


class ReturnIdIn(BaseModel):
    return_id: int = Field(gt=0, le=MAX_ID, description="The return's id (RT00012 -> 12)")


@tool(
    name="get_return",
    description="""Show a return: its order, lines (requested, good, damaged), where the goods
    went, the refund value and the refund; for a refund-only return (nothing came back), why.
    Customers see only returns of their own orders.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_return(ctx: ToolContext, inp: ReturnIdIn) -> ReturnOut:
    ret = await _return(ctx, inp.return_id)
    order = await _order(ctx, ret.order_id)
    return await _out(ctx, ret, order)


class ListReturnsIn(BaseModel):
    order_id: int | None = Field(default=None, gt=0, le=MAX_ID)
    status: ReturnStatus | None = None
    refund_status: Literal["pending", "refunded"] | None = None
    limit: int = Field(default=20, ge=1, le=200)


class ListReturnsOut(BaseModel):
    returns: list[ReturnOut]


@tool(
    name="list_returns",
    description="""List returns, newest first, by order, status (requested, received,
    refund_only, cancelled) or refund status (pending, refunded). received or refund_only (the
    buyer is refunded though nothing came back) with refund status pending are the refunds still
    to pay. Customers see only their own.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def list_returns(ctx: ToolContext, inp: ListReturnsIn) -> ListReturnsOut:
    q = (
        select(ReturnRequest, Order)
        .join(Order, Order.id == ReturnRequest.order_id)
        .order_by(ReturnRequest.id.desc())
        .limit(inp.limit)
    )
    if ctx.actor.is_customer:
        q = q.where(Order.customer_id == ctx.customer_id())
    if inp.order_id is not None:
        q = q.where(ReturnRequest.order_id == inp.order_id)
    if inp.status:
        q = q.where(ReturnRequest.status == inp.status)
    if inp.refund_status:
        q = q.where(ReturnRequest.refund_status == inp.refund_status)
    rows = (await ctx.session.execute(q)).all()
    return ListReturnsOut(returns=[await _out(ctx, ret, order) for ret, order in rows])


class CancelReturnIn(ReturnIdIn):
    reason: str = Field(default="", max_length=1000)


@tool(
    name="cancel_return",
    description="""Cancel a return request whose goods have not been received: the return is
    called off, no goods come back and nobody is refunded. If the buyer is refunded although the
    goods do not come back (lost on the way back, the buyer keeps them, a marketplace ruling),
    do not cancel: use receive_return with nothing_came_back. Customers can cancel their own.""",
    roles=SALES | CUSTOMER,
)
async def cancel_return(ctx: ToolContext, inp: CancelReturnIn) -> ReturnOut:
    ret, order = await _locked(ctx, inp.return_id)
    if ret.status != REQUESTED:
        raise Conflict(
            f"{ret.number} is {ret.status}; only a requested return can be cancelled.",
            field="return_id",
            code="return_not_open",
        )
    ret.status = CANCELLED
    if inp.reason.strip():
        ret.reason = f"{ret.reason}\nCancelled: {inp.reason.strip()}".strip()
    await ctx.session.flush()
    await order_event(
        ctx, order.id, "return", note=f"{ret.number} cancelled", extra={"return_id": ret.id}
    )
    return await _out(ctx, ret, order)
