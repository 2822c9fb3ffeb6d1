"""The shop's own words for the questions shoppers ask most: delivery time, opening hours,
returns. A shop sets them (SHOPBOT_DELIVERY_TIME, ..._EN and so on); until it does, these
defaults, typical of a Vietnamese online shop, answer in the customer's language.
"""

from __future__ import annotations

from typing import Literal

Policy = Literal["delivery_time", "opening_hours", "return_policy"]

# (Vietnamese, English)
DEFAULTS: dict[Policy, tuple[str, str]] = {
    "delivery_time": (
        "2–4 ngày làm việc (nội thành 1–2 ngày)",
        "2–4 working days (1–2 days within the city)",
    ),
    "opening_hours": (
        "8:00 – 21:00, từ thứ Hai đến Chủ nhật",
        "8:00 – 21:00, Monday to Sunday",
    ),
    "return_policy": (
        "Đổi trả trong 7 ngày kể từ khi nhận hàng nếu sản phẩm bị lỗi, giao sai hoặc không "
        "vừa size; sản phẩm cần còn nguyên tem mác, chưa qua sử dụng. Shop chịu phí gửi lại "
        "khi lỗi do shop.",
        "Returns within 7 days of delivery if an item is faulty, wrong or doesn't fit; it "
        "must be unused with its tags on. We pay the return postage when the mistake is ours.",
    ),
}


def policy_text(policy: Policy, lang: str, vietnamese: str = "", english: str = "") -> str:
    """The shop's text in the customer's language. An English customer of a shop that wrote
    only Vietnamese gets the shop's Vietnamese: its real policy beats a default that may
    contradict it."""
    default_vi, default_en = DEFAULTS[policy]
    if lang == "en":
        return english.strip() or vietnamese.strip() or default_en
    return vietnamese.strip() or default_vi
