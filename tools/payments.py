"""How a customer pays an order by bank transfer: the shop's account, the amount still due,
the note that lets staff match the transfer to the order, and a VietQR code for it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.vietqr import transfer_note, vietqr_payload
from storage.models import order_number
from tools.context import ToolContext
from tools.orders import OrderRef, load_order
from tools.registry import CUSTOMER, STAFF, tool


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
