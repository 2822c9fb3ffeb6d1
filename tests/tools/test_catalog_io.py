"""import_catalog through the runner, on SQLite and PostgreSQL, with the files sellers really
upload (tests/tools/catalog_files.py).
"""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionDenied
from storage.database import Database
from storage.models import Product, StockMove
from tests.conftest import Caller
from tests.factories import (
    CUSTOMER,
    KEEPER,
    SALES,
    count_rows,
    ledger_mismatches,
    make_product,
    make_warehouses,
    reserve_stock,
)
from tests.tools.catalog_files import (
    VN_HEADER,
    VN_ROWS,
    WRITES,
    csv_bytes,
    import_file,
    moves_of,
    on_hand,
    xlsx_bytes,
)

# ---------------------------------------------------------------------------------- import


async def test_csv_with_bom_and_semicolons_imports_a_vietnamese_catalogue(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    out = await import_file(shop, "san-pham.csv", csv_bytes(VN_HEADER, VN_ROWS, sep=";"))
    assert out["errors"] == []
    assert (out["format"], out["rows_read"], out["rows_imported"]) == ("csv", 5, 5)
    assert (out["products_created"], out["variants_created"]) == (3, 5)
    assert (out["products_updated"], out["variants_updated"]) == (0, 0)
    assert out["stock_rows_set"] == 7  # non-zero opening stock cells

    at01 = await shop("get_product", code="AT01")
    assert at01["name"] == "Áo thun cotton nam"
    assert (at01["category"], at01["brand"]) == ("Áo", "Coolmate")
    assert at01["description"] == "Cotton 100%; co giãn 4 chiều"
    assert at01["attributes"] == ["Màu", "Size"]
    assert at01["media"] == ["https://cdn.example.vn/at01.jpg", "https://cdn.example.vn/at01-2.jpg"]
    by_sku = {v["sku"]: v for v in at01["variants"]}
    first = by_sku["AT01-DEN-M"]
    assert (first["sale_price"], first["cost_price"], first["vat_rate"]) == (150_000, 90_000, 10)
    assert (first["barcode"], first["weight_grams"], first["reorder_point"]) == (
        "8931234567890",
        250,
        5,
    )
    # "màu"/"size" on row 4 are the product's Màu/Size.
    assert by_sku["AT01-TRANG-M"]["options"] == {"Màu": "Trắng", "Size": "M"}
    assert by_sku["AT01-TRANG-M"]["sale_price"] == 155_000
    qj = await shop("get_product", code="QJ01")
    assert (qj["variants"][0]["sale_price"], qj["variants"][0]["vat_rate"]) == (450_000, 8)
    nb = await shop("get_product", code="NB01")
    assert nb["attributes"] == []
    assert nb["variants"][0]["options"] == {}

    stock = await on_hand(db)
    assert stock[("AT01-DEN-M", "HCM")] == 12
    assert stock[("AT01-DEN-M", "HN")] == 3
    assert stock[("AT01-DEN-L", "HN")] == 0
    assert stock[("NB01", "HCM")] == 20
    assert await ledger_mismatches(db) == []
    assert {r for _, _, r in await moves_of(db, "initial")} == {"opening stock"}
    hits = await shop("search_products", query="ao thun den")
    assert [h["code"] for h in hits["results"]] == ["AT01"]


async def test_xlsx_with_english_headers_numbers_and_percent_cells(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    header = [
        "product_code",
        "product_name",
        "category",
        "attribute_1",
        "value_1",
        "sku",
        "barcode",
        "cost_price",
        "sale_price",
        "vat_rate",
        "stock_HCM",
        "Ghi chú",
    ]
    rows = [
        [
            "GIAY01",
            "Giày thể thao Bitis Hunter",
            "Giày",
            "Size",
            40,
            "GIAY01-40",
            8935000000012,
            450000.0,
            890000,
            0.08,
            6,
            "hàng mới",
        ],
        [
            "GIAY01",
            "Giày thể thao Bitis Hunter",
            "Giày",
            "Size",
            41,
            "GIAY01-41",
            None,
            "450.000",
            "890.000",
            "8%",
            0,
            "",
        ],
    ]
    out = await import_file(shop, "Catalog.XLSX", xlsx_bytes(header, rows))
    assert out["errors"] == []
    assert out["format"] == "xlsx"
    assert out["ignored_columns"] == ["Ghi chú"]
    assert (out["products_created"], out["variants_created"], out["stock_rows_set"]) == (1, 2, 1)
    product = await shop("get_product", code="GIAY01")
    v40, v41 = product["variants"]
    assert v40["options"] == {"Size": "40"}
    assert (v40["barcode"], v40["sale_price"], v40["cost_price"], v40["vat_rate"]) == (
        "8935000000012",
        890_000,
        450_000,
        8,
    )
    assert (v41["sale_price"], v41["vat_rate"], v41["barcode"]) == (890_000, 8, None)
    assert (await on_hand(db))[("GIAY01-40", "HCM")] == 6


def bad_file() -> bytes:
    """Rows 3 and 5 are bad: a price in half đồng, and VAT 7 %."""
    header = [
        "Mã SP",
        "Tên sản phẩm",
        "Thuộc tính 1",
        "Giá trị 1",
        "Mã SKU",
        "Giá bán",
        "Thuế GTGT",
        "Tồn kho HCM",
    ]
    return csv_bytes(
        header,
        [
            ["AT01", "Áo thun", "Size", "M", "AT01-M", "150.000", "10", "5"],  # row 2
            ["AT01", "Áo thun", "Size", "L", "AT01-L", "150.5", "10", "5"],  # row 3
            ["QJ01", "Quần jean", "Size", "28", "QJ01-28", "450000", "8", "2"],  # row 4
            ["QJ01", "Quần jean", "Size", "29", "QJ01-29", "450000", "7", "2"],  # row 5
            ["NB01", "Nón bảo hiểm", "", "", "NB01", "199000", "0", "20"],  # row 6
        ],
    )


async def test_a_file_with_bad_rows_imports_nothing_and_names_them(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    before = await count_rows(db, *WRITES)
    with pytest.raises(InvalidInput) as err:
        await import_file(shop, "bad.csv", bad_file())
    assert err.value.code == "bad_rows"
    errors = err.value.details["errors"]
    assert [(e["row"], e["column"], e["code"]) for e in errors] == [
        (3, "Giá bán", "invalid_price"),
        (5, "Thuế GTGT", "invalid_vat_rate"),
    ]
    assert "150.5" in errors[0]["message"]
    assert "got 7" in errors[1]["message"]
    assert err.value.details["bad_rows"] == [3, 5]
    assert "Row 3" in err.value.message
    assert await count_rows(db, *WRITES) == before


async def test_skip_bad_rows_imports_the_rest_and_lists_the_bad(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    out = await import_file(shop, "bad.csv", bad_file(), skip_bad_rows=True)
    assert [(e["row"], e["column"]) for e in out["errors"]] == [(3, "Giá bán"), (5, "Thuế GTGT")]
    assert (out["rows_read"], out["rows_imported"], out["rows_skipped"]) == (5, 3, 2)
    assert (out["products_created"], out["variants_created"]) == (3, 3)
    assert [v["sku"] for v in (await shop("get_product", code="AT01"))["variants"]] == ["AT01-M"]
    assert [v["sku"] for v in (await shop("get_product", code="QJ01"))["variants"]] == ["QJ01-28"]
    assert (await on_hand(db))[("NB01", "HCM")] == 20
    assert await ledger_mismatches(db) == []


async def test_dry_run_counts_and_writes_nothing(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    before = await count_rows(db, *WRITES)
    out = await import_file(shop, "sp.csv", csv_bytes(VN_HEADER, VN_ROWS), dry_run=True)
    assert out["dry_run"] is True
    assert (out["products_created"], out["variants_created"], out["stock_rows_set"]) == (3, 5, 7)
    assert await count_rows(db, *WRITES) == before
    # A dry run of a bad file reports the rows instead of refusing.
    report = await import_file(shop, "bad.csv", bad_file(), dry_run=True)
    assert [e["row"] for e in report["errors"]] == [3, 5]
    assert (report["rows_imported"], report["products_created"]) == (0, 0)
    assert await count_rows(db, *WRITES) == before


async def test_reimport_updates_prices_and_sets_stock_through_the_ledger(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    await import_file(shop, "sp.csv", csv_bytes(VN_HEADER, VN_ROWS, sep=";"))
    rows = [list(r) for r in VN_ROWS]
    rows[0][12] = "159.000đ"  # AT01-DEN-M sale price
    rows[0][13] = "8"  # and VAT
    rows[0][17] = "7"  # HCM 12 -> 7
    rows[0][18] = ""  # HN stays 3
    rows[1][18] = "4"  # AT01-DEN-L HN 0 -> 4
    rows[3][11] = "260.000"  # QJ01 cost
    rows[3][10] = "8930000000028"  # QJ01 gets a barcode
    rows.append(
        [
            "AT01",
            "",
            "",
            "",
            "",
            "Màu",
            "Trắng",
            "Size",
            "L",
            "AT01-TRANG-L",
            "",
            "90000",
            "155000",
            "10",
            "5",
            "250",
            "",
            "6",
            "",
        ]
    )
    out = await import_file(shop, "sp.csv", csv_bytes(VN_HEADER, rows, sep=";"))
    assert out["errors"] == []
    assert (out["products_created"], out["products_updated"]) == (0, 2)
    assert (out["variants_created"], out["variants_updated"], out["variants_unchanged"]) == (
        1,
        2,
        2,
    )
    assert out["stock_rows_set"] == 3  # two adjustments and one opening stock

    at01 = {v["sku"]: v for v in (await shop("get_product", code="AT01"))["variants"]}
    assert (at01["AT01-DEN-M"]["sale_price"], at01["AT01-DEN-M"]["vat_rate"]) == (159_000, 8)
    assert at01["AT01-TRANG-L"]["options"] == {"Màu": "Trắng", "Size": "L"}
    qj = (await shop("get_product", code="QJ01"))["variants"][0]
    assert (qj["cost_price"], qj["barcode"]) == (260_000, "8930000000028")
    stock = await on_hand(db)
    assert (stock[("AT01-DEN-M", "HCM")], stock[("AT01-DEN-M", "HN")]) == (7, 3)
    assert stock[("AT01-DEN-L", "HN")] == 4
    assert stock[("AT01-TRANG-L", "HCM")] == 6
    assert await moves_of(db, "adjustment") == [
        ("AT01-DEN-M", -5, "catalog import"),
        ("AT01-DEN-L", 4, "catalog import"),
    ]
    assert await ledger_mismatches(db) == []


async def test_a_price_list_with_only_sku_and_price_updates_prices(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01")
    before = await count_rows(db, StockMove)
    out = await import_file(
        shop,
        "gia.csv",
        csv_bytes(["SKU", "Giá bán"], [["at01-den-m", "139.000"], ["AT01-TRANG-L", "149000"]]),
    )
    assert (out["products_updated"], out["variants_updated"]) == (1, 2)
    prices = {
        v["sku"]: v["sale_price"] for v in (await shop("get_product", code="AT01"))["variants"]
    }
    assert prices == {"AT01-DEN-M": 139_000, "AT01-TRANG-L": 149_000}
    assert await count_rows(db, StockMove) == before


async def test_sku_rules_against_the_shop(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        code="AT01",
        variants=[
            {"sku": "AT01-DEN-M", "options": {"Màu": "Đen", "Size": "M"}, "barcode": "111"},
            {"sku": "AT01-TRANG-L", "options": {"Màu": "Trắng", "Size": "L"}},
        ],
    )
    header = [
        "product_code",
        "product_name",
        "attribute_1",
        "value_1",
        "attribute_2",
        "value_2",
        "sku",
        "barcode",
        "sale_price",
    ]
    rows = [
        ["QJ01", "Quần", "Size", "28", "", "", "AT01-DEN-M", "", "100000"],  # 2: other product
        ["", "", "", "", "", "", "NEW-1", "", "100000"],  # 3: new SKU without product code
        ["AT01", "", "Màu", "Xanh", "Size", "M", "AT01-TRANG-L", "", ""],  # 4: options changed
        ["AT01", "", "Màu", "Đen", "Size", "M", "AT01-DEN-M2", "", "100000"],  # 5: same options
        ["AT01", "", "Màu", "Đỏ", "Size", "M", "AT01-DO-M", "111", "100000"],  # 6: barcode used
        ["AT01", "", "Màu", "Đỏ", "Size", "L", "AT01-DO-L", "", ""],  # 7: new, no price
        ["AT01", "", "Màu", "Đỏ", "Size", "XL", "AT01-DO-XL", "", "120000"],  # 8: good
    ]
    with pytest.raises(InvalidInput) as err:
        await import_file(shop, "x.csv", csv_bytes(header, rows))
    found = {e["row"]: (e["column"], e["code"]) for e in err.value.details["errors"]}
    assert found == {
        2: ("product_code", "sku_of_other_product"),
        3: ("product_code", "missing_product_code"),
        4: ("attribute_1", "options_changed"),
        5: ("attribute_1", "duplicate_options"),
        6: ("barcode", "duplicate_barcode"),
        7: ("sale_price", "invalid_value"),
    }
    out = await import_file(shop, "x.csv", csv_bytes(header, rows), skip_bad_rows=True)
    assert (out["variants_created"], out["rows_imported"]) == (1, 1)
    skus = [v["sku"] for v in (await shop("get_product", code="AT01"))["variants"]]
    assert skus == ["AT01-DEN-M", "AT01-TRANG-L", "AT01-DO-XL"]


async def test_file_level_row_rules(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    header = [
        "product_code",
        "product_name",
        "attribute_1",
        "value_1",
        "attribute_2",
        "value_2",
        "sku",
        "sale_price",
    ]
    rows = [
        ["AT01", "Áo thun", "Màu", "Đen", "", "", "AT01-DEN", "100000"],  # 2
        ["AT01", "Áo thun", "Size", "M", "", "", "AT01-M", "100000"],  # 3: other attribute
        ["AT01", "Áo khác", "Màu", "Trắng", "", "", "AT01-TRANG", "100000"],  # 4: other name
        ["QJ01", "Quần", "", "", "", "", "at01-den", "100000"],  # 5: duplicate SKU
        ["QJ02", "Quần", "", "", "", "", "", "100000"],  # 6: no SKU
        ["QJ03", "Quần", "", "", "", "", "QJ03", "abc"],  # 7: not a price
        ["NB01", "Nón", "", "", "", "", "NB01-A", "100000"],  # 8
        ["NB01", "", "", "", "", "", "NB01-B", "100000"],  # 9: no attributes, 2nd variant
        ["KC01", "Kính", "Màu", "", "", "", "KC01", "100000"],  # 10: attribute without value
        ["TU01", "", "", "", "", "", "TU01", "100000"],  # 11: new product without a name
    ]
    with pytest.raises(InvalidInput) as err:
        await import_file(shop, "x.csv", csv_bytes(header, rows))
    found = {e["row"]: e["code"] for e in err.value.details["errors"]}
    assert found == {
        3: "inconsistent_attributes",
        4: "inconsistent_product",
        5: "duplicate_sku",
        6: "missing_sku",
        7: "invalid_price",
        9: "one_variant_expected",
        10: "missing_value",
        11: "missing_product_name",
    }
    assert (await count_rows(db, Product))["products"] == 0


async def test_more_than_three_attributes_is_refused(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    header = [
        "Mã SP",
        "Tên sản phẩm",
        *[f"{k}_{n}" for n in range(1, 5) for k in ("attribute", "value")],
        "sku",
        "Giá bán",
    ]
    rows = [
        ["GIAY01", "Giày", "Màu", "Đen", "Size", "40", "Chất", "Da", "Đế", "Cao", "G-1", "1"],
        ["AO01", "Áo", "Màu", "Đen", "", "", "", "", "", "", "A-1", "1"],
    ]
    with pytest.raises(InvalidInput) as err:
        await import_file(shop, "x.csv", csv_bytes(header, rows))
    [error] = err.value.details["errors"]
    assert (error["row"], error["column"], error["code"]) == (
        2,
        "attribute_4",
        "too_many_attributes",
    )
    assert "at most 3" in error["message"]
    assert (await count_rows(db, Product))["products"] == 0


async def test_unknown_warehouse_column_is_refused(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    header = ["product_code", "product_name", "sku", "sale_price", "stock_HCM", "Tồn kho DN"]
    data = csv_bytes(header, [["NB01", "Nón", "NB01", "199000", "5", "3"]])
    with pytest.raises(InvalidInput) as err:
        await import_file(shop, "x.csv", data)
    [error] = err.value.details["errors"]
    assert (error["row"], error["column"], error["code"]) == (1, "Tồn kho DN", "unknown_warehouse")
    assert "HCM, HN" in error["message"]
    assert err.value.message.startswith("1 row(s) have errors")
    # Even skip_bad_rows cannot import a file whose header is wrong.
    with pytest.raises(InvalidInput):
        await import_file(shop, "x.csv", data, skip_bad_rows=True)
    assert (await count_rows(db, Product))["products"] == 0


async def test_stock_reserved_for_orders_cannot_be_set_away(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", stock={"HCM": 10})
    await reserve_stock(db, "AT01-DEN-M", "HCM", 4)
    data = csv_bytes(["sku", "stock_HCM"], [["AT01-DEN-M", "3"], ["AT01-TRANG-L", "2"]])
    with pytest.raises(InvalidInput) as err:
        await import_file(shop, "x.csv", data)
    [error] = err.value.details["errors"]
    assert (error["row"], error["code"]) == (2, "insufficient_stock")
    out = await import_file(shop, "x.csv", data, skip_bad_rows=True)
    assert out["stock_rows_set"] == 1
    stock = await on_hand(db)
    assert (stock[("AT01-DEN-M", "HCM")], stock[("AT01-TRANG-L", "HCM")]) == (10, 2)
    assert await ledger_mismatches(db) == []


async def test_roles(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", stock={"HCM": 10})
    # Sales may create products with opening stock (as create_product allows)...
    out = await import_file(
        shop,
        "x.csv",
        csv_bytes(
            ["product_code", "product_name", "sku", "sale_price", "stock_HCM"],
            [["NB01", "Nón", "NB01", "199000", "5"]],
        ),
        SALES,
    )
    assert out["variants_created"] == 1
    # ...but not recount existing stock, which is adjust_stock's (warehouse staff).
    with pytest.raises(InvalidInput) as err:
        await import_file(
            shop,
            "x.csv",
            csv_bytes(
                ["sku", "sale_price", "stock_HCM"],
                [["AT01-DEN-M", "1000", "3"], ["AT01-TRANG-L", "1000", "10"]],
            ),
            SALES,
        )
    assert [(e["row"], e["code"]) for e in err.value.details["errors"]] == [
        (2, "permission_denied")
    ]
    for actor in (KEEPER, CUSTOMER):
        with pytest.raises(PermissionDenied):
            await import_file(shop, "x.csv", csv_bytes(["sku"], [["AT01-DEN-M"]]), actor)
    with pytest.raises(PermissionDenied):
        await shop("export_catalog", CUSTOMER, format="csv")
    assert (await shop("export_catalog", KEEPER, format="csv"))["rows"] == 3


async def test_bad_files_are_refused_with_a_reason(shop: Caller) -> None:
    await make_warehouses(shop)
    cases: list[tuple[str, bytes | str, str]] = [
        ("x.xls", b"whatever", "unsupported_format"),
        ("x.xlsx", b"not a zip", "bad_file"),
        ("x.xlsx", b"PK\x03\x04broken", "bad_file"),
        ("x.csv", "sku,Giá bán\n".encode("cp1258"), "bad_encoding"),
        ("x.csv", b"   \n\n", "empty_file"),
        ("x.csv", b"product_code,sale_price\nAT01,1\n", "bad_rows"),  # no sku column
    ]
    for filename, data, code in cases:
        raw = data if isinstance(data, bytes) else data.encode()
        with pytest.raises(InvalidInput) as err:
            await import_file(shop, filename, raw)
        assert err.value.code == code, (filename, err.value)
    with pytest.raises(InvalidInput) as err:
        await shop("import_catalog", filename="x.csv", content_base64="***")
    assert err.value.code == "bad_base64"
