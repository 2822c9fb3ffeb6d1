"""The bank-transfer instructions a customer gets after ordering, the same from the LLM agent
and the offline flow: the account, the exact amount, the note to write, and the VietQR code
(``Reply.qr``) that banking apps scan, so nobody types an account number by hand."""

from __future__ import annotations

import logging
from typing import Literal

from agents.types import Reply
from core.money import format_vnd
from core.roles import Actor
from tools.payments import PaymentDetailsOut
from tools.runner import ToolRunner

log = logging.getLogger("shopbot.chat")

_TEXT = {
    "vi": (
        "Vui lòng chuyển khoản {amount} tới:\n{bank}STK: {account}\nChủ tài khoản: {holder}\n"
        "Nội dung: {note}\nHoặc quét mã QR bằng ứng dụng ngân hàng."
    ),
    "en": (
        "Please transfer {amount} to:\n{bank}Account: {account}\nAccount holder: {holder}\n"
        "Transfer note: {note}\nOr scan the QR code with your banking app."
    ),
}
_STAFF_SEND = {
    "vi": "Nhân viên sẽ gửi thông tin chuyển khoản cho bạn. Nội dung chuyển khoản: {note}.",
    "en": "Our staff will send you the bank details. Use {note} as the transfer note.",
}


def bank_transfer_text(details: PaymentDetailsOut, language: Literal["vi", "en"]) -> str:
    """How to pay what is due; when the shop set no account, that staff will send it."""
    if details.bank is None:
        return _STAFF_SEND[language].format(note=details.transfer_note)
    bank = details.bank
    amount = format_vnd(details.amount_due) if language == "vi" else f"{details.amount_due:,} VND"
    return _TEXT[language].format(
        amount=amount,
        bank=f"{bank.bank_name}\n" if bank.bank_name else "",
        account=bank.account_number,
        holder=bank.account_name,
        note=details.transfer_note,
    )


def bank_transfer_reply(details: PaymentDetailsOut, language: Literal["vi", "en"]) -> Reply:
    return Reply(text=bank_transfer_text(details, language), qr=details.vietqr)


async def reply_after_order(
    runner: ToolRunner,
    actor: Actor,
    order_id: int,
    language: Literal["vi", "en"],
    *,
    surface: str,
) -> Reply | None:
    """How to pay a bank-transfer order just placed, for the LLM agent and the offline flow
    alike. The order is placed whatever happens here: a failure leaves out this reply (logged;
    the order's page offers the details again), never the order's confirmation."""
    try:
        details = await runner.call(
            "get_payment_details", {"order_id": order_id}, actor, surface=surface
        )
    except Exception:
        log.exception("payment details for order %s failed", order_id)
        return None
    assert isinstance(details, PaymentDetailsOut)
    return bank_transfer_reply(details, language)
