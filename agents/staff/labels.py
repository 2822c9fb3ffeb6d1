"""Words on staff cards and answers, in the shop's language (vi) or English."""

from __future__ import annotations

from typing import Literal

from core.order_status import OrderStatus as S

Lang = Literal["vi", "en"]

STATUS: dict[S, tuple[str, str]] = {
    S.NEW: ("Mới", "New"),
    S.AWAITING_STOCK: ("Chờ hàng", "Awaiting stock"),
    S.CONFIRMED: ("Đã xác nhận", "Confirmed"),
    S.PACKING: ("Đang đóng gói", "Packing"),
    S.READY_TO_SHIP: ("Đã đóng gói", "Packed"),
    S.SHIPPING: ("Đang giao", "Shipping"),
    S.DELIVERED: ("Đã giao", "Delivered"),
    S.COMPLETED: ("Hoàn tất", "Completed"),
    S.DELIVERY_FAILED: ("Giao thất bại", "Delivery failed"),
    S.RETURNED: ("Đã hoàn về", "Returned"),
    S.CANCELLED: ("Đã huỷ", "Cancelled"),
}

# The button that moves an order forward to a status.
MOVE_TO: dict[S, tuple[str, str]] = {
    S.CONFIRMED: ("Xác nhận", "Confirm"),
    S.PACKING: ("Bắt đầu đóng gói", "Start packing"),
    S.READY_TO_SHIP: ("Đã đóng gói", "Mark packed"),
    S.SHIPPING: ("Đã giao cho ĐVVC", "Handed to carrier"),
    S.DELIVERED: ("Đã giao", "Delivered"),
    S.COMPLETED: ("Hoàn tất", "Completed"),
    S.DELIVERY_FAILED: ("Giao thất bại", "Delivery failed"),
    S.RETURNED: ("Hàng đã về kho", "Back in stock"),
    S.CANCELLED: ("Huỷ đơn", "Cancel"),
}

WORDS: dict[str, tuple[str, str]] = {
    "back_to": ("↩ {status}", "↩ {status}"),
    "edit": ("Sửa đơn", "Edit"),
    "edit_how": (
        "Sửa đơn trên trang nhân viên (/staff) hoặc qua API update_order.",
        "Edit the order on the staff page (/staff) or with the update_order API.",
    ),
    "ship": ("Đặt giao hàng", "Book shipment"),
    "invoice": ("Xuất hoá đơn", "Issue invoice"),
    "refund": ("Hoàn tiền {amount}", "Refund {amount}"),
    "draft_po": ("Tạo đơn nhập hàng", "Draft purchase order"),
    "take": ("Nhận trả lời", "Take"),
    "hand_back": ("Trả lại cho bot", "Hand back"),
    "not_set_up": ("chưa thiết lập", "not set up yet"),
    "reserved": ("đã giữ hàng", "reserved"),
    "short": ("thiếu {n}", "short {n}"),
    "shipped": ("đã xuất kho", "shipped"),
    "customer_note": ("Ghi chú của khách", "Customer's note"),
    "cod": ("Thu hộ (COD)", "Cash on delivery"),
    "paid": ("Đã trả", "Paid"),
    "due": ("Còn phải trả", "Still due"),
    "total": ("Tổng", "Total"),
    "shipping_fee": ("Phí giao hàng", "Shipping"),
    "discount": ("Giảm giá", "Discount"),
    "suggest": ("Cần nhập: {lines}", "To buy: {lines}"),
    "done": ("Xong.", "Done."),
    "no_supplier": (
        "Chưa có nhà cung cấp cho: {skus} (/po NCC SKU:SL:GIÁ)",
        "No supplier known for: {skus} (/po SUPPLIER SKU:QTY:COST)",
    ),
    "nothing_to_receive": ("{po}: không còn gì để nhận.", "{po}: nothing left to receive."),
}


def word(lang: Lang, key: str, **values: object) -> str:
    vi, en = WORDS[key]
    return (en if lang == "en" else vi).format(**values)


def pick(lang: Lang, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]
