"""Every sentence the offline flow says, in Vietnamese and English.

One catalogue keeps the two languages side by side, so a new message cannot exist in one only
(a test checks that every key has both) and wording can be reviewed without reading handlers.
Money is formatted by the callers with ``core.money.format_vnd``.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]

# key -> (Vietnamese, English); ``{name}`` placeholders are filled by ``t``.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- menu and general ------------------------------------------------------------------
    "welcome": (
        "Chào bạn 👋 Mình là trợ lý bán hàng của {shop}. Bạn muốn xem gì nào?",
        "Hi 👋 I'm the shopping assistant of {shop}. What would you like to do?",
    ),
    "menu_prompt": ("Bạn muốn làm gì tiếp theo?", "What would you like to do next?"),
    "btn_categories": ("Xem danh mục", "Browse categories"),
    "btn_search": ("Tìm sản phẩm", "Search products"),
    "btn_cart": ("Giỏ hàng", "Cart"),
    "btn_cart_n": ("Giỏ hàng ({n})", "Cart ({n})"),
    "btn_orders": ("Đơn hàng của tôi", "My orders"),
    "btn_staff": ("Gặp nhân viên", "Talk to staff"),
    "btn_menu": ("Menu", "Menu"),
    "btn_other_lang": ("English", "Tiếng Việt"),
    "lang_switched": (
        "Mình sẽ nói tiếng Việt nhé.",
        "Sure, I'll speak English from now on.",
    ),
    "button_expired": (
        "Nút này không còn dùng được nữa. Mình mở lại menu nhé.",
        "That button is no longer valid. Here is the menu again.",
    ),
    # --- browsing ------------------------------------------------------------------------
    "categories": ("Shop có các danh mục sau:", "Here are our categories:"),
    "no_categories": (
        "Hiện shop chưa có danh mục nào. Bạn thử tìm sản phẩm nhé.",
        "There are no categories yet. Try searching instead.",
    ),
    "category_products": ("Sản phẩm trong “{category}”:", "Products in “{category}”:"),
    "category_empty": (
        "Danh mục “{category}” đang trống.",
        "There is nothing in “{category}” right now.",
    ),
    "btn_more": ("Xem thêm", "Show more"),
    "btn_back_categories": ("Danh mục khác", "Other categories"),
    "search_prompt": (
        "Bạn cần tìm gì? Gõ tên sản phẩm, ví dụ: áo thun đen",
        "What are you looking for? Type a product name, e.g. black t-shirt",
    ),
    "search_results": ("Kết quả cho “{query}”:", "Results for “{query}”:"),
    "search_fuzzy": (
        "Mình không thấy đúng “{query}”, có phải bạn tìm:",
        "Nothing matches “{query}” exactly; did you mean:",
    ),
    "search_partial": (
        "Mình không thấy sản phẩm nào đúng hết “{query}”, đây là những sản phẩm gần nhất:",
        "Nothing matches all of “{query}”; here are the closest products:",
    ),
    "btn_view": ("Xem", "View"),
    "btn_choose": ("Chọn mua", "Buy"),
    "in_stock": ("Còn hàng", "In stock"),
    "out_of_stock": ("Hết hàng", "Out of stock"),
    "product_detail": ("{name}\nGiá: {price}", "{name}\nPrice: {price}"),
    "product_sold_out": (
        "Rất tiếc, {name} đang tạm hết hàng.",
        "Sorry, {name} is out of stock at the moment.",
    ),
    "choose_option": ("Bạn chọn {attribute}:", "Choose {attribute}:"),
    "options_sold_out": ("Hết hàng: {values}", "Sold out: {values}"),
    "chosen_so_far": ("Đã chọn: {label}", "Chosen: {label}"),
    "variant_sold_out": (
        "{label} đã hết hàng. Bạn chọn lại nhé.",
        "{label} is sold out. Please choose again.",
    ),
    "btn_rechoose": ("Chọn lại", "Choose again"),
    "ask_quantity": (
        "{name} ({label}) — {price}, còn {available}.\nBạn lấy mấy cái? Chọn hoặc gõ số lượng.",
        "{name} ({label}) — {price}, {available} left.\nHow many? Pick or type a number.",
    ),
    "ask_quantity_plain": (
        "{name} — {price}, còn {available}.\nBạn lấy mấy cái? Chọn hoặc gõ số lượng.",
        "{name} — {price}, {available} left.\nHow many? Pick or type a number.",
    ),
    "bad_quantity": (
        "Số lượng phải là số từ 1 đến {max}. Bạn gõ lại nhé.",
        "The quantity must be a number from 1 to {max}. Please type it again.",
    ),
    "only_left": (
        "Chỉ còn {available} sản phẩm này (giỏ hàng đã có {in_cart}). "
        "Bạn chọn số lượng ít hơn nhé.",
        "Only {available} left (your cart already has {in_cart}). Please choose fewer.",
    ),
    "added_to_cart": (
        "Đã thêm {quantity} × {item} vào giỏ hàng.",
        "Added {quantity} × {item} to your cart.",
    ),
    "cart_full": (
        "Giỏ hàng tối đa {max} sản phẩm khác nhau. Bạn đặt đơn này trước nhé.",
        "A cart holds at most {max} different items. Please check out first.",
    ),
    "btn_checkout": ("Đặt hàng", "Check out"),
    "btn_continue": ("Mua tiếp", "Keep shopping"),
    # --- cart ----------------------------------------------------------------------------
    "cart_empty": ("Giỏ hàng đang trống.", "Your cart is empty."),
    "cart_title": ("Giỏ hàng của bạn:", "Your cart:"),
    "cart_line": ("{i}. {item} × {quantity} — {amount}", "{i}. {item} × {quantity} — {amount}"),
    "cart_total": (
        "Tạm tính: {amount} (chưa gồm phí giao hàng)",
        "Subtotal: {amount} (shipping not included)",
    ),
    "btn_change_qty": ("Sửa số lượng", "Change quantity"),
    "btn_remove": ("Xoá sản phẩm", "Remove item"),
    "pick_line_qty": ("Bạn muốn sửa số lượng sản phẩm nào?", "Which item's quantity?"),
    "pick_line_remove": ("Bạn muốn xoá sản phẩm nào?", "Which item should I remove?"),
    "ask_new_quantity": (
        "Số lượng mới cho {item}? Chọn hoặc gõ số (0 để xoá).",
        "New quantity for {item}? Pick or type a number (0 removes it).",
    ),
    "line_removed": ("Đã xoá {item} khỏi giỏ hàng.", "Removed {item} from your cart."),
    "line_updated": ("Đã đổi {item} thành {quantity}.", "{item} is now {quantity}."),
    "lines_unsold": (
        "Sản phẩm đã ngừng bán nên mình đã bỏ khỏi giỏ hàng: {items}.",
        "No longer sold, so I removed it from your cart: {items}.",
    ),
    "not_in_cart": ("Sản phẩm này không còn trong giỏ.", "That item is no longer in your cart."),
    # --- checkout ------------------------------------------------------------------------
    "checkout_saved": (
        "Giao hàng theo thông tin lần trước nhé?\n{buyer}",
        "Deliver using your details from last time?\n{buyer}",
    ),
    "btn_use_saved": ("Dùng thông tin này", "Use these details"),
    "btn_enter_new": ("Nhập thông tin khác", "Enter new details"),
    "ask_name": ("Cho mình xin tên người nhận hàng nhé.", "What is the recipient's name?"),
    "btn_use_name": ("Tên: {name}", "Name: {name}"),
    "bad_name": (
        "Tên người nhận cần có chữ và dài không quá 100 ký tự. Bạn gõ lại nhé.",
        "The name needs letters and at most 100 characters. Please type it again.",
    ),
    "ask_phone": (
        "Số điện thoại người nhận là gì? (ví dụ 0912 345 678)",
        "What is the recipient's phone number? (e.g. 0912 345 678)",
    ),
    "btn_use_phone": ("SĐT: {phone}", "Phone: {phone}"),
    "btn_share_phone": ("Gửi số điện thoại của tôi", "Share my phone number"),
    "bad_phone": (
        "“{phone}” không phải số điện thoại hợp lệ. Số di động Việt Nam có 10 chữ số, "
        "bắt đầu bằng 0 (ví dụ 0912 345 678). Bạn gõ lại nhé.",
        "“{phone}” is not a valid phone number. Vietnamese mobile numbers have 10 digits "
        "starting with 0 (e.g. 0912 345 678). Please type it again.",
    ),
    "ask_address": (
        "Địa chỉ giao hàng? Gõ trên một dòng, cách nhau bằng dấu phẩy: "
        "số nhà và đường, phường/xã, quận/huyện, tỉnh/thành phố.\n"
        "Ví dụ: 25 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "Delivery address? One line, separated by commas: house number and street, ward, "
        "district, province/city.\n"
        "E.g. 25 Le Loi, Ben Nghe Ward, District 1, Ho Chi Minh City",
    ),
    "btn_use_address": ("{address}", "{address}"),
    "bad_address": (
        "Mình cần ít nhất: số nhà và đường, quận/huyện, tỉnh/thành phố, cách nhau bằng dấu "
        "phẩy. Bạn gõ lại nhé.",
        "I need at least: street, district and province/city, separated by commas. "
        "Please type it again.",
    ),
    "confirm_address": (
        "Mình ghi nhận địa chỉ:\n• Số nhà, đường: {line}\n• Phường/xã: {ward}\n"
        "• Quận/huyện: {district}\n• Tỉnh/thành: {province}\nĐúng chưa bạn?",
        "I read the address as:\n• Street: {line}\n• Ward: {ward}\n• District: {district}\n"
        "• Province/city: {province}\nIs that right?",
    ),
    "btn_address_ok": ("Đúng rồi", "Yes, correct"),
    "btn_address_redo": ("Nhập lại", "Type it again"),
    "ask_payment": ("Bạn muốn thanh toán thế nào?", "How would you like to pay?"),
    "btn_pay_cod": ("Tiền mặt khi nhận (COD)", "Cash on delivery (COD)"),
    "btn_pay_bank": ("Chuyển khoản", "Bank transfer"),
    "pay_cod": ("Thanh toán khi nhận hàng (COD)", "Cash on delivery (COD)"),
    "pay_bank_transfer": ("Chuyển khoản ngân hàng", "Bank transfer"),
    "pay_card": ("Thẻ", "Card"),
    "pay_e_wallet": ("Ví điện tử", "E-wallet"),
    "pay_marketplace": ("Thanh toán qua sàn", "Paid on the marketplace"),
    "pay_cash": ("Tiền mặt", "Cash"),
    "quote_title": ("Đơn hàng của bạn:", "Your order:"),
    "quote_line": ("• {item} × {quantity} — {amount}", "• {item} × {quantity} — {amount}"),
    "quote_subtotal": ("Tiền hàng: {amount}", "Goods: {amount}"),
    "quote_vat_included": ("(đã gồm VAT {amount})", "(incl. VAT {amount})"),
    "quote_vat_added": ("VAT: {amount}", "VAT: {amount}"),
    "quote_shipping": ("Phí giao hàng: {amount}", "Shipping: {amount}"),
    "quote_free_shipping": ("Phí giao hàng: miễn phí", "Shipping: free"),
    "quote_total": ("Tổng cộng: {amount}", "Total: {amount}"),
    "quote_cod": ("Thu hộ khi giao (COD): {amount}", "Collected on delivery (COD): {amount}"),
    "quote_buyer": ("Giao đến: {buyer}", "Deliver to: {buyer}"),
    "quote_payment": ("Thanh toán: {method}", "Payment: {method}"),
    "quote_hold": (
        "Mình giữ hàng cho bạn đến {time}. Bấm Xác nhận để đặt nhé.",
        "Your items are held until {time}. Press Confirm to order.",
    ),
    "btn_confirm": ("Xác nhận", "Confirm"),
    "btn_edit": ("Sửa", "Edit"),
    "btn_cancel": ("Huỷ", "Cancel"),
    "edit_what": ("Bạn muốn sửa gì?", "What would you like to change?"),
    "btn_edit_cart": ("Sửa giỏ hàng", "Edit cart"),
    "btn_edit_buyer": ("Sửa thông tin nhận", "Edit delivery details"),
    "btn_edit_payment": ("Đổi cách thanh toán", "Change payment"),
    "checkout_cancelled": (
        "Đã huỷ bước đặt hàng. Giỏ hàng của bạn vẫn được giữ.",
        "Checkout cancelled. Your cart is kept.",
    ),
    "short_stock": (
        "Một số sản phẩm không đủ hàng, mình đã chỉnh lại giỏ hàng:\n{lines}",
        "Some items are short, so I adjusted your cart:\n{lines}",
    ),
    "short_line": ("• {item}: còn {available}", "• {item}: {available} left"),
    "quote_expired": (
        "Báo giá cũ đã hết hạn, mình báo giá lại nhé.",
        "The previous quote expired, here is a fresh one.",
    ),
    "nothing_to_confirm": (
        "Không có đơn nào đang chờ xác nhận. Bạn xem giỏ hàng nhé.",
        "There is no order waiting for confirmation. Here is your cart.",
    ),
    "order_placed": (
        "🎉 Đặt hàng thành công! Mã đơn của bạn: {number}\nTổng cộng: {total}.",
        "🎉 Order placed! Your order number: {number}\nTotal: {total}.",
    ),
    "order_placed_cod": (
        "Bạn thanh toán {amount} khi nhận hàng nhé.",
        "Please pay {amount} on delivery.",
    ),
    "order_awaiting_stock": (
        "Một số sản phẩm đang chờ hàng về, shop sẽ báo bạn sớm.",
        "Some items are awaiting stock; the shop will update you soon.",
    ),
    # --- orders --------------------------------------------------------------------------
    "orders_none": ("Bạn chưa có đơn hàng nào.", "You have no orders yet."),
    "orders_title": ("Đơn hàng gần đây của bạn:", "Your recent orders:"),
    "orders_line": (
        "• {number} · {date} · {status} · {total}",
        "• {number} · {date} · {status} · {total}",
    ),
    "order_detail": (
        "Đơn {number} ({date})\nTrạng thái: {status}",
        "Order {number} ({date})\nStatus: {status}",
    ),
    "lookup_ask_phone": (
        "Đơn DH{number:06d} không có trong các đơn của bạn trên thiết bị này. Bạn nhập số điện "
        "thoại đã dùng khi đặt đơn để shop tra giúp nhé.",
        "Order DH{number:06d} is not among your orders on this device. Type the phone number it "
        "was placed with and I will look it up.",
    ),
    "lookup_not_found": (
        "Shop không tìm thấy đơn nào với số đơn và số điện thoại này. Bạn kiểm tra lại giúp shop "
        "nhé (số đơn có dạng DH000012).",
        "No order matches that order number and phone. Please check them (order numbers look "
        "like DH000012).",
    ),
    "lookup_rate_limited": (
        "Bạn đã tra đơn nhiều lần quá, thử lại sau khoảng {minutes} phút nhé, hoặc nhắn nhân viên.",
        "Too many look-ups; please try again in about {minutes} minutes, or ask our staff.",
    ),
    "lookup_due": ("Còn phải trả: {amount}", "Still to pay: {amount}"),
    "order_line": ("• {item} × {quantity} — {amount}", "• {item} × {quantity} — {amount}"),
    "order_total": ("Tổng cộng: {total} · {payment}", "Total: {total} · {payment}"),
    "btn_cancel_order": ("Huỷ đơn", "Cancel order"),
    "btn_how_to_pay": ("Thông tin chuyển khoản", "How to pay"),
    "btn_return": ("Yêu cầu đổi trả", "Request a return"),
    "btn_my_orders": ("Đơn hàng của tôi", "My orders"),
    "confirm_cancel": (
        "Bạn chắc chắn muốn huỷ đơn {number}?",
        "Are you sure you want to cancel order {number}?",
    ),
    "btn_yes_cancel": ("Có, huỷ đơn", "Yes, cancel it"),
    "btn_no_keep": ("Không", "No, keep it"),
    "order_cancelled": ("Đã huỷ đơn {number}.", "Order {number} is cancelled."),
    "cancel_reason": ("Khách huỷ qua chat", "Cancelled by the customer in chat"),
    "ask_return_reason": (
        "Vì sao bạn muốn đổi trả đơn {number}? Chọn hoặc gõ lý do.",
        "Why would you like to return order {number}? Pick or type a reason.",
    ),
    "reason_defect": ("Sản phẩm bị lỗi", "The item is faulty"),
    "reason_size": ("Không vừa size", "Wrong size"),
    "reason_mismatch": ("Không giống mô tả", "Not as described"),
    "return_created": (
        "Đã tạo yêu cầu đổi trả {number} cho đơn {order}. Nhân viên sẽ liên hệ hướng dẫn gửi hàng.",
        "Return request {number} for order {order} is open. Our staff will tell you how to "
        "send the goods back.",
    ),
    # --- handoff and fallback --------------------------------------------------------------
    "handoff": (
        "Mình đã báo nhân viên, bạn đợi một chút nhé. Nhân viên sẽ trả lời ngay tại đây.",
        "I've told our staff; someone will answer you right here shortly.",
    ),
    "fallback_notice": (
        "Trợ lý tự động đang bận, mình chuyển sang menu nhé.",
        "The automatic assistant is busy, so let's use the menu.",
    ),
    "error_generic": (
        "Xin lỗi, hệ thống đang gặp trục trặc. Bạn thử lại sau ít phút nhé.",
        "Sorry, something went wrong on our side. Please try again in a few minutes.",
    ),
    # --- domain errors by code ---------------------------------------------------------------
    "err_insufficient_stock": (
        "Rất tiếc, có sản phẩm vừa hết hoặc không đủ số lượng. Bạn xem lại giỏ hàng nhé.",
        "Sorry, an item just ran out or is short. Please check your cart.",
    ),
    "err_unknown_sku": (
        "Sản phẩm này không còn bán nữa. Bạn xem lại giỏ hàng nhé.",
        "That item is no longer sold. Please check your cart.",
    ),
    "err_unknown_product": (
        "Mình không tìm thấy sản phẩm này nữa.",
        "I can't find that product any more.",
    ),
    "err_invalid_phone": (
        "Số điện thoại chưa hợp lệ. Số di động Việt Nam có 10 chữ số, bắt đầu bằng 0.",
        "That phone number is not valid. Vietnamese mobile numbers have 10 digits starting with 0.",
    ),
    "err_quote_expired": (
        "Báo giá đã hết hạn. Bạn bấm Đặt hàng lại để có giá mới nhé.",
        "The quote expired. Press Check out again for a fresh one.",
    ),
    "err_quote_used": (
        "Báo giá này đã được dùng. Bạn bấm Đặt hàng lại nhé.",
        "That quote was already used. Press Check out again.",
    ),
    "err_unknown_order": (
        "Mình không tìm thấy đơn hàng này trong các đơn của bạn.",
        "I can't find that order among yours.",
    ),
    "err_too_late_to_cancel": (
        "Đơn này đã được xử lý nên không huỷ qua chat được nữa. Bạn nhắn nhân viên nhé.",
        "This order is already being processed, so it can't be cancelled here. "
        "Please talk to our staff.",
    ),
    "err_illegal_transition": (
        "Đơn hàng đang ở trạng thái không cho phép thao tác này.",
        "The order's current status doesn't allow that.",
    ),
    "err_order_not_returnable": (
        "Đơn này chưa thể đổi trả (chỉ đơn đã giao mới đổi trả được).",
        "This order can't be returned yet (only delivered orders can).",
    ),
    "err_return_exceeds_shipped": (
        "Các sản phẩm của đơn này đã được yêu cầu đổi trả rồi.",
        "Everything in this order has already been requested for return.",
    ),
    "err_permission_denied": (
        "Xin lỗi, bạn không thể thực hiện thao tác này.",
        "Sorry, you can't do that.",
    ),
    "err_invalid_input": (
        "Thông tin chưa hợp lệ, bạn kiểm tra lại giúp mình nhé.",
        "Something in that isn't valid; please check it.",
    ),
    "err_not_found": ("Mình không tìm thấy thông tin này.", "I couldn't find that."),
    "err_conflict": (
        "Thao tác không thực hiện được lúc này, bạn thử lại nhé.",
        "That couldn't be done right now; please try again.",
    ),
    # --- order statuses ----------------------------------------------------------------------
    "status_new": ("Chờ xác nhận", "Awaiting confirmation"),
    "status_awaiting_stock": ("Chờ hàng về", "Awaiting stock"),
    "status_confirmed": ("Đã xác nhận", "Confirmed"),
    "status_packing": ("Đang đóng gói", "Packing"),
    "status_ready_to_ship": ("Chờ giao cho vận chuyển", "Ready to ship"),
    "status_shipping": ("Đang giao", "Out for delivery"),
    "status_delivered": ("Đã giao", "Delivered"),
    "status_completed": ("Hoàn tất", "Completed"),
    "status_delivery_failed": ("Giao không thành công", "Delivery failed"),
    "status_returned": ("Đã hoàn về", "Returned"),
    "status_cancelled": ("Đã huỷ", "Cancelled"),
}

# Domain error codes that have their own sentence; the rest fall back to their class's.
_ERROR_KEYS = {
    "insufficient_stock",
    "unknown_sku",
    "unknown_product",
    "invalid_phone",
    "quote_expired",
    "quote_used",
    "unknown_quote",
    "unknown_order",
    "too_late_to_cancel",
    "illegal_transition",
    "order_not_returnable",
    "return_exceeds_shipped",
    "permission_denied",
    "not_yours",
    "invalid_input",
    "not_found",
    "conflict",
}
_ERROR_ALIASES = {"unknown_quote": "quote_expired", "not_yours": "unknown_order"}
_CLASS_FALLBACK = {
    "InvalidInput": "invalid_input",
    "NotFound": "not_found",
    "PermissionDenied": "permission_denied",
    "InsufficientStock": "insufficient_stock",
    "IllegalTransition": "illegal_transition",
}


def t(lang: Lang, key: str, **values: object) -> str:
    """The message in the customer's language with its placeholders filled."""
    vi, en = MESSAGES[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def status_label(lang: Lang, status: str) -> str:
    key = f"status_{status}"
    return t(lang, key) if key in MESSAGES else status


def payment_label(lang: Lang, method: str) -> str:
    key = f"pay_{method}"
    return t(lang, key) if key in MESSAGES else method


def error_text(lang: Lang, code: str, error_class: str = "") -> str:
    """A customer-facing sentence for a DomainError: by its code, else by its kind."""
    code = _ERROR_ALIASES.get(code, code)
    if code in _ERROR_KEYS:
        return t(lang, f"err_{code}")
    fallback = _CLASS_FALLBACK.get(error_class, "conflict")
    return t(lang, f"err_{fallback}")
