"""Money for an order outside the goods themselves: how a customer pays it by bank transfer
(the shop's account, the amount still due, the note that matches the transfer to the order,
a VietQR code), and giving back what was paid beyond what the order now costs.

Money received is recorded by record_payment (tools/orders.py); money for returned goods is
refunded through their return (tools/returns.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.cards import CardField, CardKind
from core.errors import Conflict, InvalidInput
from core.money import balance, format_vnd
from core.order_status import OrderStatus
from core.vietqr import transfer_note, vietqr_payload
from storage.models import order_number
from tools.context import ToolContext
from tools.events import order_event
from tools.idempotency import Idempotent
from tools.order_models import OrderOut, PaymentMethod
from tools.orders import OrderRef, load_order, order_out, settle
from tools.pending import Prepared, card_fields
from tools.registry import ACCOUNTING, CUSTOMER, STAFF, tool


class BankOut(BaseModel):
    bank_name: str
    bin: str = Field(description="The bank's NAPAS BIN")
    account_number: str
    account_name: str


class PaymentDetailsOut(BaseModel):
    order_id: int
    number: str
    total: int
    paid_amount: int
    amount_due: int = Field(description="What is still to pay (0: nothing)")
    payment_method: str
    payment_status: str
    transfer_note: str = Field(description="What to write as the transfer's content")
    bank: BankOut | None = Field(
        description="The shop's account; None: the shop has not set one, staff send it"
    )
    vietqr: str | None = Field(
        description="A VietQR payload (amount and note filled in) to show as a QR code for "
        "banking apps; None when nothing is due or no account is set"
    )


@tool(
    name="get_payment_details",
    description="""How to pay an order by bank transfer: the shop's bank account, the amount
    still due, the transfer note to write (the order number) and a VietQR code that banking
    apps scan. Customers can only ask about their own orders.""",
    roles=STAFF | CUSTOMER,
    write=False,
)
async def get_payment_details(ctx: ToolContext, inp: OrderRef) -> PaymentDetailsOut:
    order = await load_order(ctx, inp.resolve())
    number = order_number(order.id)
    due = max(0, order.total - order.paid_amount)
    account = ctx.config.bank
    note = transfer_note(number)
    return PaymentDetailsOut(
        order_id=order.id,
        number=number,
        total=order.total,
        paid_amount=order.paid_amount,
        amount_due=due,
        payment_method=order.payment_method,
        payment_status=order.payment_status,
        transfer_note=note,
        bank=BankOut(
            bank_name=account.bank_name,
            bin=account.bin,
            account_number=account.account_number,
            account_name=account.account_name,
        )
        if account
        else None,
        vietqr=vietqr_payload(account, due, note) if account and due else None,
    )


class RefundPaymentIn(OrderRef, Idempotent):
    amount: int | None = Field(
        default=None, gt=0, description="Đồng given back; default: all that is due back"
    )
    method: PaymentMethod = "bank_transfer"
    reference: str = Field(default="", max_length=200, description="The bank transfer's reference")
    reason: str = Field(default="", max_length=500)


async def _refund_card(ctx: ToolContext, inp: RefundPaymentIn) -> Prepared:
    """The card names the order by its number and states the amount: when none was given,
    what is due back now is written into the arguments, so confirming gives back exactly
    the amount shown even if the order changes meanwhile (more than is due is refused)."""
    order = await load_order(ctx, inp.resolve())
    _due, back = balance(
        order.total, order.paid_amount, cancelled=order.status == OrderStatus.CANCELLED
    )
    if back == 0:
        raise Conflict(
            f"Nothing is due back on {order.number}.", field="order_id", code="nothing_to_refund"
        )
    args = inp.model_copy(update={"amount": inp.amount or back})
    args.model_fields_set.add("amount")
    shown = [f for f in card_fields(args) if f.key not in ("order_id", "number")]
    return Prepared(
        args=args,
        kind=CardKind.GENERIC,
        title="Hoàn tiền / Refund",
        fields=[CardField(key="order", value=order.number), *shown],
    )


@tool(
    name="refund_payment",
    description="""Give back money a buyer paid beyond what the order now costs: the prepayment
    of a cancelled order, or the difference after an order was edited down (the order's
    refund_due). Goods that come back are refunded through their return instead
    (create_return, receive_return). More than is due back is refused.""",
    roles=ACCOUNTING,
    confirm=_refund_card,
)
async def refund_payment(ctx: ToolContext, inp: RefundPaymentIn) -> OrderOut:
    order = await load_order(ctx, inp.resolve(), lock=True)
    cancelled = order.status == OrderStatus.CANCELLED
    _due, back = balance(order.total, order.paid_amount, cancelled=cancelled)
    if back == 0:
        raise Conflict(
            f"Nothing is due back on {order.number}.", field="order_id", code="nothing_to_refund"
        )
    amount = inp.amount if inp.amount is not None else back
    if amount > back:
        raise InvalidInput(
            f"Only {format_vnd(back)} is due back on {order.number}.",
            field="amount",
            code="refund_exceeds_due",
            details={"refund_due": back},
        )
    order.paid_amount -= amount
    if cancelled:
        order.payment_status = "refunded" if order.paid_amount == 0 else "partially_refunded"
    else:
        settle(order)
    order.updated_at = ctx.now
    await ctx.tx.flush()
    note = f"{amount} đồng by {inp.method}" + (f" ({inp.reference})" if inp.reference else "")
    await order_event(
        ctx,
        order.id,
        "refund",
        note=f"{note}: {inp.reason}" if inp.reason else note,
        extra={"amount": amount, "paid": order.paid_amount, "status": order.payment_status},
    )
    return await order_out(ctx, order)
