"""Sentences for what the button flow answers to typed text without an LLM: a quantity it
could not read, the shop's policies asked as questions, a product the shop does not sell.

Kept beside messages.py, in the same (Vietnamese, English) shape and checked by the same
kind of test, so the flow's main catalogue stays the checkout's to change.
"""

from __future__ import annotations

from agents.offline.messages import Lang

SENTENCES: dict[str, tuple[str, str]] = {
    # --- the quantity step -------------------------------------------------------------------
    "qty_not_understood": (
        "Mình chưa hiểu “{text}” là số lượng bao nhiêu. "
        "Bạn bấm nút bên dưới hoặc gõ số (ví dụ: 2, “hai”) nhé.",
        "I didn't get “{text}” as a quantity. Press a button below or type a number "
        "(e.g. 2 or “two”).",
    ),
    "qty_zero": (
        "Bạn chọn ít nhất 1 nhé. {item} hiện còn {available} sản phẩm.",
        "Please choose at least 1. {item}: {available} in stock.",
    ),
    "qty_negative": (
        "Số lượng phải từ 1 đến {max}. Bạn chọn lại nhé.",
        "The quantity must be from 1 to {max}. Please choose again.",
    ),
    # --- a product the shop does not sell ------------------------------------------------------
    "not_sold": (
        "Mình chưa tìm thấy “{query}” ở shop: shop hiện không bán sản phẩm này. "
        "Bạn xem các danh mục shop đang có nhé.",
        "I couldn't find anything for “{query}”: we don't sell that. "
        "Have a look at our categories.",
    ),
    # --- questions about the shop ------------------------------------------------------------
    "shipping_fee_free_from": (
        "Phí giao hàng {fee} mỗi đơn, miễn phí cho đơn từ {free_from}.",
        "Shipping is {fee} per order, free for orders from {free_from}.",
    ),
    "shipping_fee_flat": ("Phí giao hàng {fee} mỗi đơn.", "Shipping is {fee} per order."),
    "shipping_free": ("Shop miễn phí giao hàng cho mọi đơn.", "Shipping is free on every order."),
    "shipping_fee_shown": (
        "Phí chính xác hiện trong phần tóm tắt đơn, trước khi bạn xác nhận.",
        "You see the exact fee in the order summary before you confirm.",
    ),
    "delivery_time": ("Thời gian giao hàng: {time}.", "Delivery time: {time}."),
    "payment_bank": (
        "Bạn có thể thanh toán khi nhận hàng (COD) hoặc chuyển khoản ngân hàng. Số tài khoản "
        "và mã QR được gửi ngay khi bạn đặt đơn.",
        "You can pay cash on delivery (COD) or by bank transfer; the account number and a "
        "QR code come right after you order.",
    ),
    "payment_bank_by_staff": (
        "Bạn có thể thanh toán khi nhận hàng (COD) hoặc chuyển khoản ngân hàng; nhân viên sẽ "
        "gửi thông tin chuyển khoản sau khi bạn đặt đơn.",
        "You can pay cash on delivery (COD) or by bank transfer; our staff send the transfer "
        "details after you order.",
    ),
    "hold": (
        "Khi bạn đặt, shop giữ hàng cho bạn {minutes} phút để bạn xác nhận đơn.",
        "At checkout your items are held for {minutes} minutes while you confirm.",
    ),
    "return_policy": (
        "Chính sách đổi trả: {policy}\nĐơn đã giao có thể yêu cầu đổi trả trong mục "
        "“Đơn hàng của tôi”.",
        "Returns: {policy}\nFor a delivered order, request a return under “My orders”.",
    ),
    "opening_hours": (
        "Giờ làm việc của shop: {hours}. Trợ lý chat này trả lời bạn mọi lúc.",
        "Our opening hours: {hours}. This chat assistant answers at any time.",
    ),
    "thanks": (
        "Không có gì ạ! Bạn cần gì thêm cứ nhắn mình nhé.",
        "You're welcome! Message me any time you need something.",
    ),
    "no_orders": (
        "Mình chưa thấy đơn hàng nào của bạn ở đây. Nếu bạn đặt từ thiết bị hoặc kênh khác, "
        "bạn bấm “Gặp nhân viên” để được kiểm tra nhé.",
        "I can't see any orders of yours here. If you ordered from another device or "
        "channel, press “Talk to staff” and we'll check.",
    ),
    "order_status": ("Đơn {number} của bạn: {status}.", "Your order {number}: {status}."),
    "order_eta": ("Thời gian giao dự kiến: {time}.", "Expected delivery time: {time}."),
}


def say(lang: Lang, key: str, **values: object) -> str:
    """The sentence in the customer's language with its placeholders filled."""
    vi, en = SENTENCES[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text
