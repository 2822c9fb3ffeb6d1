"""export_catalog through the runner, on SQLite and PostgreSQL: an export imports back to the
same catalogue, is formatted for people, and never fails on data the tools accepted.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from openpyxl import load_workbook

from storage.database import Database
from tests.conftest import Caller
from tests.factories import (
    count_rows,
    make_warehouses,
)
from tests.tools.catalog_files import VN_HEADER, VN_ROWS, WRITES, csv_bytes, import_file, on_hand

# ---------------------------------------------------------------------------------- export


async def test_export_then_import_changes_nothing(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await import_file(shop, "sp.csv", csv_bytes(VN_HEADER, VN_ROWS, sep=";"))
    await shop("update_product", code="NB01", description='Dòng 1\nDòng 2, có "ngoặc"')
    before = await count_rows(db, *WRITES)
    stock_before = await on_hand(db)
    for fmt in ("csv", "xlsx"):
        exported = await shop("export_catalog", format=fmt)
        assert exported["filename"].endswith(f".{fmt}")
        assert (exported["rows"], exported["products"]) == (5, 3)
        out = await import_file(
            shop, exported["filename"], base64.b64decode(exported["content_base64"])
        )
        assert out["errors"] == []
        assert (
            out["products_created"],
            out["products_updated"],
            out["variants_created"],
            out["variants_updated"],
            out["stock_rows_set"],
        ) == (0, 0, 0, 0, 0), fmt
        assert out["variants_unchanged"] == 5
        assert await count_rows(db, *WRITES) == before, fmt
        assert await on_hand(db) == stock_before


async def test_export_into_an_empty_shop_recreates_the_catalogue(
    shop: Caller, db: Database, registry: Any
) -> None:
    await make_warehouses(shop)
    await import_file(shop, "sp.csv", csv_bytes(VN_HEADER, VN_ROWS, sep=";"))
    exported = await shop("export_catalog", format="csv")
    text = base64.b64decode(exported["content_base64"]).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(",")[:6] == [
        "product_code",
        "product_name",
        "category",
        "brand",
        "description",
        "attribute_1",
    ]
    assert lines[0].endswith("stock_HCM,stock_HN")
    assert "AT01,Áo thun cotton nam,Áo,Coolmate" in lines[1]
    assert ",150000," in lines[1]


async def test_xlsx_export_is_formatted_for_people(shop: Caller) -> None:
    await make_warehouses(shop)
    await import_file(shop, "sp.csv", csv_bytes(VN_HEADER, VN_ROWS, sep=";"))
    exported = await shop("export_catalog", format="xlsx", category="ao")
    assert (exported["rows"], exported["products"]) == (3, 1)
    ws = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"]))).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["stock_HCM", "stock_HN"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    price = ws.cell(row=2, column=header.index("sale_price") + 1)
    assert (price.value, price.number_format) == (150_000, "#,##0")
    barcode = ws.cell(row=2, column=header.index("barcode") + 1)
    assert barcode.value == "8931234567890"  # text: Excel keeps every digit
    assert ws.column_dimensions["B"].width >= len("Áo thun cotton nam")
    assert ws.column_dimensions["B"].width <= 50
    nothing = await shop("export_catalog", format="xlsx", category="không có")
    assert nothing["rows"] == 0


async def test_a_bad_product_column_skips_the_products_other_rows(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    header = ["Mã SP", "Tên sản phẩm", "Hình ảnh", "Thuộc tính 1", "Giá trị 1", "Mã SKU", "Giá bán"]
    rows = [
        ["AT01", "Áo thun", "ftp://cdn.example.vn/a.jpg", "Size", "M", "AT01-M", "150000"],
        ["AT01", "", "", "Size", "L", "AT01-L", "150000"],
        ["NB01", "Nón", "", "", "", "NB01", "199000"],
    ]
    out = await import_file(shop, "x.csv", csv_bytes(header, rows), skip_bad_rows=True)
    assert [(e["row"], e["column"], e["code"]) for e in out["errors"]] == [
        (2, "Hình ảnh", "invalid_value"),
        (3, "Mã SP", "product_refused"),
    ]
    assert "ftp://" in out["errors"][0]["message"]
    assert "row 2" in out["errors"][1]["message"]
    assert (out["products_created"], out["rows_imported"]) == (1, 1)
    assert [p["code"] for p in (await shop("search_products", query=""))["results"]] == ["NB01"]


EN_HEADER = [
    "Mã SP",
    "Tên sản phẩm",
    "Danh mục",
    "Danh mục (tiếng Anh)",
    "Thuộc tính 1",
    "Thuộc tính 1 (tiếng Anh)",
    "Giá trị 1",
    "Giá trị 1 (tiếng Anh)",
    "Mã SKU",
    "Giá bán",
]


async def test_english_labels_are_imported_exported_and_kept_on_blank_cells(
    shop: Caller,
) -> None:
    await make_warehouses(shop)
    rows = [
        ["AT01", "Áo thun", "Áo thun", "T-shirts", "Màu", "Colour", "Đen", "Black", "A-DEN", 1000],
        ["AT01", "Áo thun", "Áo thun", "", "Màu", "", "Trắng", "", "A-TRANG", 1000],
    ]
    out = await import_file(shop, "en.csv", csv_bytes(EN_HEADER, rows))
    assert out["errors"] == []
    product = await shop("get_product", code="AT01")
    assert product["category_en"] == "T-shirts"
    assert product["attributes_en"] == {"Màu": "Colour"}
    assert [v["label_en"] for v in product["variants"]] == ["Black", "Trắng"]

    # A later file names White; blank cells keep Black and T-shirts.
    rows[1][7] = "White"
    rows[0][3] = rows[0][7] = ""
    again = await import_file(shop, "en.csv", csv_bytes(EN_HEADER, rows))
    assert (again["errors"], again["products_updated"]) == ([], 1)
    product = await shop("get_product", code="AT01")
    assert product["category_en"] == "T-shirts"
    assert [v["label_en"] for v in product["variants"]] == ["Black", "White"]

    exported = await shop("export_catalog", format="csv")
    lines = base64.b64decode(exported["content_base64"]).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    first = dict(zip(header, lines[1].split(","), strict=True))
    assert (first["category_en"], first["attribute_1_en"], first["value_1_en"]) == (
        "T-shirts",
        "Colour",
        "Black",
    )
    assert first["attribute_2_en"] == first["value_2_en"] == ""
    reimported = await import_file(
        shop, exported["filename"], base64.b64decode(exported["content_base64"])
    )
    assert (reimported["errors"], reimported["products_updated"]) == ([], 0)
