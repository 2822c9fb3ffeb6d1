"""What customers are told when their order moves, in Vietnamese and English."""

from __future__ import annotations

from typing import Any

from core.money import format_vnd

MESSAGES: dict[str, dict[str, str]] = {
    "confirmed": {
        "vi": "Đơn {number} của bạn đã được xác nhận. Shop sẽ đóng gói và gửi đi sớm ạ.",
        "en": "Your order {number} is confirmed. We will pack and send it soon.",
    },
    "awaiting_stock": {
        "vi": "Đơn {number} đang chờ hàng về kho. Shop sẽ báo ngay khi có hàng ạ.",
        "en": "Your order {number} is waiting for stock. We will tell you as soon as it is in.",
    },
    "shipping": {
        "vi": "Đơn {number} đã được giao cho đơn vị vận chuyển.{tracking}",
        "en": "Your order {number} is on its way.{tracking}",
    },
    "delivered": {
        "vi": "Đơn {number} đã giao thành công. Cảm ơn bạn đã mua hàng!",
        "en": "Your order {number} was delivered. Thank you for shopping with us!",
    },
    "cancelled": {
        "vi": "Đơn {number} đã được huỷ.",
        "en": "Your order {number} was cancelled.",
    },
    "refunded": {
        "vi": "Shop đã hoàn {amount} cho đơn {number}.",
        "en": "We refunded {amount} for your order {number}.",
    },
}
TRACKING = {"vi": " Mã vận đơn: {code} ({carrier}).", "en": " Tracking: {code} ({carrier})."}


def notification_kind(topic: str, payload: dict[str, Any]) -> str | None:
    """Which message an outbox event calls for, or None (not something customers hear of)."""
    if topic == "order.refund":
        return "refunded"
    if topic == "order.status_changed":
        target = str(payload.get("to") or "")
        return target if target in MESSAGES else None
    return None


def notification_text(kind: str, lang: str, number: str, payload: dict[str, Any]) -> str:
    lang = "en" if lang == "en" else "vi"
    tracking = ""
    if payload.get("tracking_code"):
        tracking = TRACKING[lang].format(
            code=payload["tracking_code"], carrier=payload.get("carrier") or "-"
        )
    amount = format_vnd(int(payload.get("amount") or 0))
    return MESSAGES[kind][lang].format(number=number, tracking=tracking, amount=amount)
