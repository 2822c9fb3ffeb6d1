"""What the catalogue import and export tests share: the files sellers really upload
(Vietnamese headers and diacritics, Excel's BOM and semicolons, prices typed "150.000đ", Excel
percent cells for VAT), built as CSV or xlsx, and the stock they leave behind."""

from __future__ import annotations

import base64
import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from core.roles import Actor
from storage.database import Database
from storage.models import OutboxEvent, Product, StockLevel, StockMove, Variant
from tests.conftest import Caller
from tests.factories import (
    in_tx,
)
from tools.context import ToolContext

WRITES = (Product, Variant, StockLevel, StockMove, OutboxEvent)

VN_HEADER = [
    "Mã SP",
    "Tên sản phẩm",
    "Danh mục",
    "Thương hiệu",
    "Mô tả",
    "Thuộc tính 1",
    "Giá trị 1",
    "Thuộc tính 2",
    "Giá trị 2",
    "Mã SKU",
    "Mã vạch",
    "Giá vốn",
    "Giá bán",
    "Thuế GTGT",
    "Tồn tối thiểu",
    "Khối lượng (g)",
    "Hình ảnh",
    "Tồn kho HCM",
    "Tồn kho HN",
]
VN_ROWS = [
    [
        "AT01",
        "Áo thun cotton nam",
        "Áo",
        "Coolmate",
        "Cotton 100%; co giãn 4 chiều",
        "Màu",
        "Đen",
        "Size",
        "M",
        "AT01-DEN-M",
        "8931234567890",
        "90.000",
        "150.000đ",
        "10%",
        "5",
        "250",
        "https://cdn.example.vn/at01.jpg | https://cdn.example.vn/at01-2.jpg",
        "12",
        "3",
    ],
    [
        "AT01",
        "",
        "",
        "",
        "",
        "Màu",
        "Đen",
        "Size",
        "L",
        "AT01-DEN-L",
        "",
        "90.000",
        "150.000đ",
        "10%",
        "5",
        "260",
        "",
        "8",
        "0",
    ],
    [
        "AT01",
        "",
        "",
        "",
        "",
        "màu",
        "Trắng",
        "size",
        "M",
        "AT01-TRANG-M",
        "",
        "90.000",
        "155.000 ₫",
        "10%",
        "5",
        "250",
        "",
        "5",
        "",
    ],
    [
        "QJ01",
        "Quần jean nữ ống rộng",
        "Quần",
        "Levi's",
        "",
        "Size",
        "28",
        "",
        "",
        "QJ01-28",
        "",
        "250,000",
        "450,000",
        "8",
        "3",
        "500",
        "",
        "4",
        "2",
    ],
    [
        "NB01",
        "Nón bảo hiểm nửa đầu",
        "Phụ kiện",
        "Asia",
        "",
        "",
        "",
        "",
        "",
        "NB01",
        "",
        "120000",
        "199000",
        "0",
        "10",
        "400",
        "",
        "20",
        "",
    ],
]


def csv_bytes(
    header: list[str], rows: list[list[Any]], *, sep: str = ",", bom: bool = True
) -> bytes:
    import csv

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=sep)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def import_file(
    shop: Caller, filename: str, data: bytes, actor: Actor | None = None, **flags: Any
) -> dict[str, Any]:
    args = {"filename": filename, "content_base64": base64.b64encode(data).decode(), **flags}
    if actor is None:
        return await shop("import_catalog", **args)
    return await shop("import_catalog", actor, **args)


async def on_hand(db: Database) -> dict[tuple[str, str], int]:
    """(sku, warehouse code) -> on hand, from the stock rows."""
    from storage.models import Warehouse

    async def run(ctx: ToolContext) -> dict[tuple[str, str], int]:
        rows = await ctx.tx.session.execute(
            select(Variant.sku, Warehouse.code, StockLevel.on_hand)
            .join(StockLevel, StockLevel.variant_id == Variant.id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        )
        return {(sku, code): qty for sku, code, qty in rows}

    return await in_tx(db, run)


async def moves_of(db: Database, reason: str) -> list[tuple[str, int, str]]:
    async def run(ctx: ToolContext) -> list[tuple[str, int, str]]:
        rows = await ctx.tx.session.execute(
            select(Variant.sku, StockMove.delta_on_hand, StockMove.note)
            .join(Variant, Variant.id == StockMove.variant_id)
            .where(StockMove.reason == reason)
            .order_by(StockMove.id)
        )
        return [(sku, delta, note) for sku, delta, note in rows]

    return await in_tx(db, run)
