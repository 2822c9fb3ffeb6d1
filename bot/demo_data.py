"""A realistic demo shop (a Vietnamese fashion and beauty seller), loaded through the tools only.

Going through ``runner.call`` as the system actor means the demo exercises the same validation,
stock ledger, outbox and audit as real use, and can never drift from the schema. Loading is
idempotent: a finished load leaves a marker (the demo owner), and a re-run sees it and does
nothing. A load cut short (or one that skipped tools not yet available) picks up where it
stopped: every record has a stable code or external id and "already exists" counts as done.
"""

from __future__ import annotations

import base64
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.demo_images import product_picture
from core.errors import Conflict
from core.roles import Actor
from tools.runner import ToolRunner

SURFACE = "demo"
MARKER_STAFF = "Nguyễn Thị Hạnh"  # the demo shop's owner; created last, so it marks a full load

WAREHOUSES: list[dict[str, Any]] = [
    {
        "code": "HCM",
        "name": "Kho Quận 7",
        "kind": "main",
        "address": "12 Nguyễn Thị Thập, Phường Tân Phú, Quận 7, TP. Hồ Chí Minh",
        "manager": "Trần Minh Tuấn",
        "phone": "0901234567",
    },
    {
        "code": "HN",
        "name": "Kho Cầu Giấy",
        "kind": "branch",
        "address": "88 Trần Thái Tông, Phường Dịch Vọng Hậu, Quận Cầu Giấy, Hà Nội",
        "manager": "Lê Thu Hà",
        "phone": "0912345678",
    },
]

SUPPLIERS: list[dict[str, Any]] = [
    {
        "code": "NCC-PHUTHINH",
        "name": "Xưởng May Phú Thịnh",
        "contact_name": "Anh Phạm Văn Thịnh",
        "phone": "0283 456 7890",
        "email": "donhang@phuthinh.vn",
        "address": "45 Tân Kỳ Tân Quý, Quận Tân Phú, TP. Hồ Chí Minh",
        "tax_code": "0312345673",
        "note": "Hàng may mặc, giao sau 7 ngày",
    },
    {
        "code": "NCC-BINHTAN",
        "name": "Công ty TNHH Giày Da Bình Tân",
        "contact_name": "Chị Võ Thị Mai",
        "phone": "0287 654 3210",
        "email": "sales@giaydabinhtan.vn",
        "address": "210 Kinh Dương Vương, Quận Bình Tân, TP. Hồ Chí Minh",
        "tax_code": "0309876547",
        "note": "Giày dép, túi da; giao sau 10 ngày",
    },
    {
        "code": "NCC-THIENNHIEN",
        "name": "Mỹ phẩm Thiên Nhiên Việt",
        "contact_name": "Chị Đặng Ngọc Lan",
        "phone": "0243 888 1234",
        "email": "phanphoi@thiennhienviet.vn",
        "address": "17 Hoàng Quốc Việt, Quận Cầu Giấy, Hà Nội",
        "tax_code": "0105551237",
        "note": "Mỹ phẩm, giao sau 5 ngày",
    },
]

# Colour name -> short code used in SKUs.
COLOURS = {
    "Trắng": "TR",
    "Đen": "DE",
    "Xanh navy": "XN",
    "Be": "BE",
    "Hồng": "HO",
    "Xanh nhạt": "XL",
    "Xanh đậm": "XD",
    "Đỏ": "DO",
    "Nâu": "NA",
    "Xám": "XA",
    "Vàng": "VA",
    "Kem": "KE",
}
# English labels for customers chatting in English (core/labels.py).
COLOURS_EN = {
    "Trắng": "White",
    "Đen": "Black",
    "Xanh navy": "Navy",
    "Be": "Beige",
    "Hồng": "Pink",
    "Xanh nhạt": "Light blue",
    "Xanh đậm": "Dark blue",
    "Đỏ": "Red",
    "Nâu": "Brown",
    "Xám": "Grey",
    "Vàng": "Yellow",
    "Kem": "Cream",
}
CATEGORIES_EN = {
    "Áo thun": "T-shirts",
    "Áo sơ mi": "Shirts & blouses",
    "Quần jean": "Jeans",
    "Váy đầm": "Dresses & skirts",
    "Giày dép": "Shoes & sandals",
    "Túi xách": "Bags & wallets",
    "Phụ kiện": "Accessories",
    "Mỹ phẩm": "Cosmetics",
}
ATTRIBUTES_EN = {"Màu": "Colour", "Size": "Size"}
# Sizes by kind of product; a product row may also list its own sizes.
SIZE_SETS = {
    "TOP": ["S", "M", "L", "XL"],
    "BOTTOM": ["28", "29", "30", "31", "32"],
    "SHOE": ["36", "37", "38", "39", "40"],
}

# code | name | category | brand | cost | price | colours | sizes | VAT % | specs (k=v; k=v)
# Clothes, shoes and accessories at 8% VAT (the reduced rate), cosmetics at 10%.
_PRODUCT_TABLE = """
AT01 | Áo thun cotton basic cổ tròn    | Áo thun   | Coolmate         |  75000 | 149000 | Trắng, Đen, Xanh navy | TOP | 8 | Chất liệu=Cotton 100%
AT02 | Áo thun oversize in chữ Sài Gòn | Áo thun   | Local Brand SG   |  95000 | 199000 | Trắng, Đen            | TOP | 8 | Chất liệu=Cotton 2 chiều
AT03 | Áo polo nam cá sấu              | Áo thun   | Owen             | 140000 | 289000 | Trắng, Xanh navy, Xám | TOP | 8 | Chất liệu=Cá sấu cotton
AT04 | Áo thun nữ croptop gân tăm      | Áo thun   | Local Brand SG   |  60000 | 129000 | Trắng, Hồng, Đen      | S M | 8 | Chất liệu=Thun gân
AT05 | Áo thun thể thao dry-fit        | Áo thun   | Coolmate         |  90000 | 179000 | Đen, Xám, Xanh đậm    | TOP | 8 | Chất liệu=Polyester
AT06 | Áo thun tay dài giữ nhiệt       | Áo thun   | Yody             |  85000 | 169000 | Đen, Be               | TOP | 8 |
AT07 | Áo thun trẻ em hình khủng long  | Áo thun   | Canifa           |  55000 | 119000 | Vàng, Xanh nhạt       | S M L | 8 |
AT08 | Áo ba lỗ nam tập gym            | Áo thun   | Coolmate         |  45000 |  99000 | Đen, Trắng            | M L XL | 8 |
SM01 | Áo sơ mi trắng công sở nam      | Áo sơ mi  | Việt Tiến        | 180000 | 359000 | Trắng, Xanh nhạt      | TOP | 8 | Chất liệu=Cotton lụa
SM02 | Áo sơ mi lụa nữ tay phồng       | Áo sơ mi  | Elise            | 160000 | 329000 | Trắng, Kem, Hồng      | S M L | 8 | Chất liệu=Lụa
SM03 | Áo sơ mi flannel kẻ caro        | Áo sơ mi  | Routine          | 150000 | 299000 | Đỏ, Xanh đậm          | TOP | 8 |
SM04 | Áo sơ mi linen cổ tàu           | Áo sơ mi  | Routine          | 170000 | 349000 | Be, Trắng             | TOP | 8 | Chất liệu=Linen
SM05 | Áo sơ mi denim unisex           | Áo sơ mi  | Levi's           | 260000 | 499000 | Xanh nhạt, Xanh đậm   | TOP | 8 |
SM06 | Áo kiểu nữ cổ nơ                | Áo sơ mi  | Elise            | 140000 | 279000 | Đen, Trắng            | S M L | 8 |
QJ01 | Quần jean nam slim fit          | Quần jean | Levi's           | 320000 | 599000 | Xanh đậm, Đen         | BOTTOM | 8 | Chất liệu=Denim co giãn
QJ02 | Quần jean nữ ống rộng lưng cao  | Quần jean | Yody             | 210000 | 399000 | Xanh nhạt, Xanh đậm   | 26 27 28 29 | 8 |
QJ03 | Quần jean rách gối nam          | Quần jean | Local Brand SG   | 190000 | 379000 | Xanh nhạt             | BOTTOM | 8 |
QJ04 | Quần short jean nữ              | Quần jean | Canifa           | 110000 | 219000 | Xanh nhạt, Trắng      | 26 27 28 | 8 |
QJ05 | Quần jean baggy unisex          | Quần jean | Routine          | 200000 | 389000 | Xanh đậm, Xám         | BOTTOM | 8 |
QJ06 | Quần jean skinny nữ             | Quần jean | Yody             | 180000 | 349000 | Đen, Xanh đậm         | 26 27 28 29 | 8 |
VD01 | Đầm maxi hoa nhí đi biển        | Váy đầm   | Elise            | 230000 | 459000 | Vàng, Xanh nhạt       | S M L | 8 | Chất liệu=Voan
VD02 | Đầm công sở dáng chữ A          | Váy đầm   | Elise            | 260000 | 519000 | Đen, Xanh navy        | S M L | 8 |
VD03 | Váy babydoll cổ sen             | Váy đầm   | Local Brand SG   | 150000 | 299000 | Trắng, Hồng           | S M | 8 |
VD04 | Chân váy xếp ly dài             | Váy đầm   | Canifa           | 130000 | 259000 | Be, Đen               | S M L | 8 |
VD05 | Đầm suông linen                 | Váy đầm   | Routine          | 200000 | 399000 | Be, Kem               | S M L | 8 | Chất liệu=Linen
VD06 | Áo dài cách tân hoạ tiết sen    | Váy đầm   | Thêu Việt        | 380000 | 749000 | Đỏ, Trắng             | S M L | 8 | Kèm theo=Quần lụa
VD07 | Chân váy jean chữ A             | Váy đầm   | Yody             | 120000 | 239000 | Xanh nhạt, Đen        | S M L | 8 |
GD01 | Giày sneaker trắng đế bằng      | Giày dép  | Biti's Hunter    | 380000 | 699000 | Trắng, Đen            | SHOE | 8 | Chất liệu=Vải lưới; Đế=Cao su
GD02 | Dép sandal quai chéo nữ         | Giày dép  | Vascara          | 140000 | 279000 | Be, Đen               | 35 36 37 38 | 8 |
GD03 | Giày cao gót mũi nhọn 7cm       | Giày dép  | Vascara          | 250000 | 489000 | Đen, Kem              | 35 36 37 38 | 8 | Chiều cao gót=7cm
GD04 | Dép lê quai ngang unisex        | Giày dép  | Biti's           |  45000 |  89000 | Đen, Trắng, Xanh navy | SHOE | 8 |
GD05 | Giày lười da nam                | Giày dép  | Giày Da Bình Tân | 420000 | 799000 | Nâu, Đen              | 39 40 41 42 | 8 | Chất liệu=Da bò
GD06 | Giày chạy bộ Hunter Running     | Giày dép  | Biti's Hunter    | 450000 | 849000 | Đen, Xám              | SHOE | 8 |
GD07 | Giày búp bê nơ nữ               | Giày dép  | Vascara          | 160000 | 319000 | Hồng, Đen             | 35 36 37 38 | 8 |
TX01 | Túi tote vải canvas in chữ      | Túi xách  | Local Brand SG   |  60000 | 129000 | Kem, Đen              |  | 8 | Kích thước=38 x 35 x 10 cm
TX02 | Túi đeo chéo mini da PU         | Túi xách  | Vascara          | 170000 | 339000 | Đen, Be, Hồng         |  | 8 |
TX03 | Balo laptop chống nước          | Túi xách  | Mikkor           | 320000 | 590000 | Đen, Xám              |  | 8 | Kích thước=45 x 30 x 15 cm
TX04 | Túi xách tay công sở            | Túi xách  | Vascara          | 310000 | 599000 | Đen, Nâu              |  | 8 |
TX05 | Ví da nam gập đôi               | Túi xách  | Giày Da Bình Tân | 120000 | 249000 | Nâu, Đen              |  | 8 | Chất liệu=Da bò
TX06 | Túi bao tử đeo hông             | Túi xách  | Mikkor           |  90000 | 189000 | Đen, Xanh navy        |  | 8 |
PK01 | Mũ lưỡi trai thêu logo          | Phụ kiện  | Local Brand SG   |  50000 | 119000 | Đen, Trắng, Be        |  | 8 |
PK02 | Thắt lưng da nam khoá tự động   | Phụ kiện  | Giày Da Bình Tân | 110000 | 229000 | Đen, Nâu              |  | 8 |
PK03 | Kính mát gọng tròn chống UV     | Phụ kiện  | Mắt Việt         |  95000 | 199000 | Đen, Nâu              |  | 8 |
PK04 | Khăn lụa vuông hoạ tiết         | Phụ kiện  | Thêu Việt        |  70000 | 149000 | Đỏ, Xanh navy         |  | 8 |
PK05 | Tất cổ ngắn (combo 5 đôi)       | Phụ kiện  | Coolmate         |  40000 |  89000 | Trắng, Đen            |  | 8 |
PK06 | Kẹp tóc ngọc trai (set 3 chiếc) | Phụ kiện  | Local Brand SG   |  20000 |  49000 |                       |  | 8 |
MP01 | Kem chống nắng SPF50+ 50ml      | Mỹ phẩm   | Thiên Nhiên Việt | 120000 | 245000 |                       |  | 10 | Dung tích=50ml
MP02 | Son kem lì Cỏ Mềm               | Mỹ phẩm   | Cỏ Mềm           |  95000 | 189000 | Đỏ, Hồng, Nâu         |  | 10 |
MP03 | Nước tẩy trang bí đao 500ml     | Mỹ phẩm   | Cocoon           | 110000 | 225000 |                       |  | 10 | Dung tích=500ml
MP04 | Sữa rửa mặt nghệ Hưng Yên 140ml | Mỹ phẩm   | Cocoon           |  80000 | 165000 |                       |  | 10 | Dung tích=140ml
MP05 | Serum vitamin C 30ml            | Mỹ phẩm   | Thiên Nhiên Việt | 150000 | 320000 |                       |  | 10 | Dung tích=30ml
MP06 | Dầu gội bưởi kích mọc tóc 310ml | Mỹ phẩm   | Cocoon           |  90000 | 175000 |                       |  | 10 | Dung tích=310ml
"""  # noqa: E501 (a table reads better than wrapped rows)


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    category: str
    brand: str
    cost: int
    price: int
    colours: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    vat: int = 8
    specs: dict[str, str] = field(default_factory=dict)


def _parse_products(table: str) -> list[ProductSpec]:
    out = []
    for row in table.strip().splitlines():
        code, name, cat, brand, cost, price, colours, sizes, vat, specs = (
            c.strip() for c in row.split("|")
        )
        out.append(
            ProductSpec(
                code=code,
                name=name,
                category=cat,
                brand=brand,
                cost=int(cost),
                price=int(price),
                colours=tuple(c.strip() for c in colours.split(",") if c.strip()),
                sizes=tuple(SIZE_SETS.get(sizes, sizes.split())),
                vat=int(vat),
                specs=dict(kv.strip().split("=", 1) for kv in specs.split(";") if kv.strip()),
            )
        )
    return out


PRODUCTS = _parse_products(_PRODUCT_TABLE)

CUSTOMERS: list[dict[str, Any]] = [
    {
        "name": "Nguyễn Văn An",
        "phone": "0903123456",
        "email": "an.nguyen@gmail.com",
        "address": {
            "line": "25 Lê Lợi",
            "ward": "Phường Bến Nghé",
            "district": "Quận 1",
            "province": "TP. Hồ Chí Minh",
        },
    },
    {
        "name": "Trần Thị Bích Ngọc",
        "phone": "0987654321",
        "address": {
            "line": "102 Xuân Thủy",
            "ward": "Phường Dịch Vọng Hậu",
            "district": "Quận Cầu Giấy",
            "province": "Hà Nội",
        },
    },
    {
        "name": "Lê Hoàng Phúc",
        "phone": "0935111222",
        "address": {
            "line": "48 Bạch Đằng",
            "ward": "Phường Hải Châu 1",
            "district": "Quận Hải Châu",
            "province": "Đà Nẵng",
        },
    },
    {
        "name": "Phạm Thu Trang",
        "phone": "0978222333",
        "email": "trang.pham@yahoo.com",
        "address": {
            "line": "15 Nguyễn Văn Cừ",
            "ward": "Phường An Hòa",
            "district": "Quận Ninh Kiều",
            "province": "Cần Thơ",
        },
    },
    {
        "name": "Võ Minh Khang",
        "phone": "0868444555",
        "address": {
            "line": "300 Nguyễn Văn Linh",
            "ward": "Phường Tân Thuận Tây",
            "district": "Quận 7",
            "province": "TP. Hồ Chí Minh",
        },
    },
    {
        "name": "Đỗ Thị Lan Anh",
        "phone": "0912777888",
        "address": {
            "line": "7 Hàng Bông",
            "ward": "Phường Hàng Trống",
            "district": "Quận Hoàn Kiếm",
            "province": "Hà Nội",
        },
    },
    {
        "name": "Huỳnh Gia Bảo",
        "phone": "0707999000",
        "address": {
            "line": "60 Trần Hưng Đạo",
            "ward": "Phường 7",
            "district": "Quận 5",
            "province": "TP. Hồ Chí Minh",
        },
    },
    {
        "name": "Bùi Quang Huy",
        "phone": "0388123789",
        "address": {
            "line": "21 Lạch Tray",
            "ward": "Phường Lạch Tray",
            "district": "Quận Ngô Quyền",
            "province": "Hải Phòng",
        },
    },
]

# Orders: (external id, channel, customer index or None, lines, target status, payment, note).
ORDERS: list[dict[str, Any]] = [
    {
        "external_id": "DEMO-0001",
        "channel": "facebook",
        "customer": 0,
        "status": "completed",
        "lines": [("AT01-TR-M", 2), ("QJ01-XD-30", 1)],
        "payment_method": "cod",
    },
    {
        "external_id": "DEMO-0002",
        "channel": "zalo",
        "customer": 1,
        "status": "delivered",
        "lines": [("VD01-VA-M", 1), ("GD02-BE-37", 1)],
        "payment_method": "bank_transfer",
    },
    {
        "external_id": "DEMO-0003",
        "channel": "shopee",
        "customer": None,
        "status": "shipping",
        "buyer": (
            "Ngô Thanh Tùng",
            "0934567123",
            {
                "line": "9 Phan Chu Trinh",
                "ward": "Phường Phan Chu Trinh",
                "district": "Quận Hoàn Kiếm",
                "province": "Hà Nội",
            },
        ),
        "lines": [("TX02-DE", 1)],
        "payment_method": "marketplace",
    },
    {
        "external_id": "DEMO-0004",
        "channel": "phone",
        "customer": 2,
        "status": "packing",
        "lines": [("SM01-TR-L", 2), ("PK02-DE", 1)],
        "payment_method": "cod",
        "note": "Giao giờ hành chính",
    },
    {
        "external_id": "DEMO-0005",
        "channel": "web",
        "customer": 3,
        "status": "confirmed",
        "lines": [("MP01", 2), ("MP03", 1), ("MP02-DO", 1)],
        "payment_method": "e_wallet",
    },
    {
        "external_id": "DEMO-0006",
        "channel": "tiktok",
        "customer": None,
        "status": "new",
        "buyer": (
            "Mai Phương Thảo",
            "0961234987",
            {
                "line": "33 Võ Văn Tần",
                "ward": "Phường 6",
                "district": "Quận 3",
                "province": "TP. Hồ Chí Minh",
            },
        ),
        "lines": [("AT04-HO-S", 1), ("VD03-TR-S", 1)],
        "payment_method": "cod",
    },
    {
        "external_id": "DEMO-0007",
        "channel": "facebook",
        "customer": 4,
        "status": "cancelled",
        "lines": [("GD01-TR-40", 1)],
        "payment_method": "cod",
        "note": "Khách đổi ý",
    },
    {
        "external_id": "DEMO-0008",
        "channel": "zalo",
        "customer": 5,
        "status": "awaiting_stock",
        # VD06-DO-S starts with no stock: the order waits and a purchase is suggested.
        "lines": [("VD06-DO-S", 1)],
        "payment_method": "bank_transfer",
    },
    {
        "external_id": "DEMO-0009",
        "channel": "messenger",
        "customer": 6,
        "status": "ready_to_ship",
        "lines": [("QJ05-XD-30", 1), ("AT02-DE-L", 2)],
        "payment_method": "cod",
    },
    {
        "external_id": "DEMO-0010",
        "channel": "phone",
        "customer": 7,
        "status": "delivery_failed",
        "lines": [("GD05-NA-41", 1)],
        "payment_method": "cod",
        "note": "Gọi không nghe máy",
    },
    {
        "external_id": "DEMO-0011",
        "channel": "web",
        "customer": 0,
        "status": "new",
        "lines": [("MP05", 1), ("PK05-TR", 2)],
        "payment_method": "cod",
        "discount": 20_000,
    },
]

# The path an order takes; demo orders walk it to their target status.
_PATH = ["new", "confirmed", "packing", "ready_to_ship", "shipping", "delivered", "completed"]
_DETOURS = {
    "cancelled": ["cancelled"],
    "delivery_failed": ["confirmed", "packing", "ready_to_ship", "shipping", "delivery_failed"],
    "awaiting_stock": [],  # reached by creating the order without stock
}
_OUT_OF_STOCK = {"VD06-DO-S"}


def _steps(target: str) -> list[str]:
    if target in _DETOURS:
        return _DETOURS[target]
    return _PATH[1 : _PATH.index(target) + 1]


def product_args(spec: ProductSpec, rng: random.Random) -> dict[str, Any]:
    """create_product arguments: variants by colour and size, stock in both warehouses."""
    attributes = [a for a, vals in (("Màu", spec.colours), ("Size", spec.sizes)) if vals]
    combos: list[dict[str, str]] = [{}]
    for attr, values in (("Màu", spec.colours), ("Size", spec.sizes)):
        if values:
            combos = [{**c, attr: v} for c in combos for v in values]
    variants = []
    for n, options in enumerate(combos, start=1):
        parts = [spec.code]
        if "Màu" in options:
            parts.append(COLOURS[options["Màu"]])
        if "Size" in options:
            parts.append(options["Size"])
        sku = "-".join(parts)
        hcm, hn = rng.randint(5, 40), rng.randint(0, 15)
        if sku in _OUT_OF_STOCK:
            hcm = hn = 0
        variants.append(
            {
                "sku": sku,
                "barcode": ean13(f"893{_CAT_DIGIT[spec.category]}{int(spec.code[2:]):03d}{n:05d}"),
                "options": options,
                "options_en": {"Màu": COLOURS_EN[options["Màu"]]} if "Màu" in options else {},
                "cost_price": spec.cost,
                "sale_price": spec.price,
                "vat_rate": spec.vat,
                "reorder_point": 5,
                "stock": [
                    {"warehouse_code": "HCM", "quantity": hcm},
                    {"warehouse_code": "HN", "quantity": hn},
                ],
            }
        )
    return {
        "code": spec.code,
        "name": spec.name,
        "category": spec.category,
        "category_en": CATEGORIES_EN[spec.category],
        "brand": spec.brand,
        "description": f"{spec.name} chính hãng {spec.brand}. Đổi size, đổi màu trong 7 ngày.",
        "specs": spec.specs,
        "media": [],
        "attributes": attributes,
        "attributes_en": {a: ATTRIBUTES_EN[a] for a in attributes},
        "variants": variants,
    }


def ean13(body12: str) -> str:
    """A valid EAN-13 (893 is Vietnam's GS1 prefix), so scanners and validators accept it."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


_CAT_DIGIT = {c: str(i) for i, c in enumerate(dict.fromkeys(p.category for p in PRODUCTS))}


class _Loader:
    def __init__(self, runner: ToolRunner) -> None:
        self.runner = runner
        self.actor = Actor.system()
        self.created: Counter[str] = Counter()
        self.existing: Counter[str] = Counter()
        self.skipped: list[str] = []

    def has(self, *tools: str) -> bool:
        missing = [t for t in tools if t not in self.runner.registry]
        if missing:
            self.skipped.append(f"needs tool(s) not available yet: {', '.join(missing)}")
        return not missing

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        result = await self.runner.call(name, args, self.actor, surface=SURFACE)
        return result.model_dump(mode="json")

    async def create(self, kind: str, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """Creates one record; "already exists" (a Conflict) counts as done, so re-runs resume."""
        try:
            out = await self.call(name, args)
        except Conflict:
            self.existing[kind] += 1
            return None
        self.created[kind] += 1
        return out


async def load_demo_data(runner: ToolRunner) -> dict[str, Any]:
    """Loads the demo shop; returns what was created, what existed and what was skipped."""
    ld = _Loader(runner)
    if "list_staff" in runner.registry:
        staff = (await ld.call("list_staff", {"include_inactive": True}))["staff"]
        if any(s["name"] == MARKER_STAFF for s in staff):
            return {
                "status": "already_loaded",
                "message": f"Demo data is already loaded (owner {MARKER_STAFF} exists); "
                "nothing was changed.",
            }

    for wh in WAREHOUSES:
        await ld.create("warehouses", "create_warehouse", wh)

    if ld.has("create_supplier"):
        for sup in SUPPLIERS:
            await ld.create("suppliers", "create_supplier", sup)

    products_ok = ld.has("create_product")
    if products_ok:
        rng = random.Random(84)  # the same demo shop every time
        for spec in PRODUCTS:
            await ld.create("products", "create_product", product_args(spec, rng))
        # Pictures drawn here (bot/demo_images.py), when the shop stores uploads.
        if runner.config.media_dir is not None and ld.has("upload_product_image"):
            for spec in PRODUCTS:
                await _demo_picture(ld, spec)

    customer_ids: dict[int, int] = {}
    if ld.has("create_customer"):
        for i, cust in enumerate(CUSTOMERS):
            out = await ld.create("customers", "create_customer", cust)
            if out is None and "get_customer" in runner.registry:  # made by an earlier run
                out = await ld.call("get_customer", {"phone": cust["phone"]})
            if out is not None:
                customer_ids[i] = int(out["id"])

    # Orders wait for customers, so demo orders are always linked to their customer records.
    if products_ok and ld.has("create_customer", "create_order", "set_order_status"):
        for order in ORDERS:
            await _demo_order(ld, order, customer_ids)

    if products_ok and ld.has(
        "list_purchase_orders", "create_purchase_order", "confirm_purchase_order"
    ):
        await _demo_purchases(ld)

    if not ld.skipped and ld.has("add_staff"):
        await ld.create("staff", "add_staff", {"name": MARKER_STAFF, "role": "owner"})

    return {
        "status": "partial" if ld.skipped else "loaded",
        "created": dict(ld.created),
        "already_there": dict(ld.existing),
        "skipped": sorted(set(ld.skipped)),
        "next": f'shopbot staff add-key "{MARKER_STAFF}"  # an API key for the demo owner',
    }


PURCHASES: list[dict[str, Any]] = [
    {  # confirmed: goods on order for the áo dài the awaiting order needs
        "supplier_code": "NCC-PHUTHINH",
        "warehouse_code": "HCM",
        "lines": [
            {"sku": "VD06-DO-S", "quantity": 10, "unit_cost": 380_000},
            {"sku": "VD06-DO-M", "quantity": 10, "unit_cost": 380_000},
            {"sku": "AT01-TR-M", "quantity": 50, "unit_cost": 75_000},
        ],
        "note": "Nhập hàng Tết",
        "confirm": True,
    },
    {  # still a draft
        "supplier_code": "NCC-THIENNHIEN",
        "warehouse_code": "HN",
        "lines": [
            {"sku": "MP01", "quantity": 40, "unit_cost": 120_000},
            {"sku": "MP05", "quantity": 20, "unit_cost": 150_000},
        ],
        "note": "Bổ sung mỹ phẩm cho kho Hà Nội",
        "confirm": False,
    },
]


async def _demo_picture(ld: _Loader, spec: ProductSpec) -> None:
    """The product's main picture; uploading the same picture again changes nothing."""
    data = product_picture(spec.category, spec.colours[0] if spec.colours else None)
    await ld.call(
        "upload_product_image",
        {"code": spec.code, "content_base64": base64.b64encode(data).decode(), "main": True},
    )
    ld.created["images"] += 1


async def _demo_purchases(ld: _Loader) -> None:
    """Purchase orders have no natural key, so they are made only when there are none yet."""
    existing = await ld.call("list_purchase_orders", {})
    if existing.get("purchase_orders"):
        ld.existing["purchase_orders"] += len(existing["purchase_orders"])
        return
    for spec in PURCHASES:
        args = {k: v for k, v in spec.items() if k != "confirm"}
        po = await ld.create("purchase_orders", "create_purchase_order", args)
        if po is not None and spec["confirm"]:
            await ld.call("confirm_purchase_order", {"purchase_order_id": po["id"]})


async def _demo_order(ld: _Loader, spec: dict[str, Any], customer_ids: dict[int, int]) -> None:
    idx = spec.get("customer")
    if idx is not None:
        cust = CUSTOMERS[idx]
        name, phone, address = cust["name"], cust["phone"], cust["address"]
    else:
        name, phone, address = spec["buyer"]
    args: dict[str, Any] = {
        "channel": spec["channel"],
        "external_id": spec["external_id"],
        "customer_id": customer_ids.get(idx) if idx is not None else None,
        "buyer_name": name,
        "buyer_phone": phone,
        "address": address,
        "lines": [{"sku": sku, "quantity": q} for sku, q in spec["lines"]],
        "discount": spec.get("discount", 0),
        "payment_method": spec["payment_method"],
        "note": spec.get("note", ""),
    }
    order = await ld.create("orders", "create_order", args)
    if order is None:  # loaded by an earlier run, status included
        return
    for status in _steps(spec["status"]):
        order = await ld.call(
            "set_order_status", {"order_id": order["id"], "status": status, "note": "demo"}
        )
