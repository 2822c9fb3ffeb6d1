"""The pure part of catalogue import: headers, cells, rows, CSV."""

from __future__ import annotations

from datetime import date

import pytest

from core.catalog_rows import (
    CatalogRow,
    CellError,
    Header,
    canonical_column,
    check_file,
    columns,
    map_header,
    merged_product_fields,
    parse_money,
    parse_quantity,
    parse_row,
    parse_vat,
    read_csv,
    split_media,
    write_csv,
)
from core.errors import InvalidInput

# --------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("product_code", "product_code"),
        ("Mã SP", "product_code"),
        ("MÃ SẢN PHẨM", "product_code"),
        ("ma sp", "product_code"),
        ("Tên sản phẩm", "product_name"),
        ("Danh mục", "category"),
        ("Thương hiệu", "brand"),
        ("Mô tả", "description"),
        ("Mã SKU", "sku"),
        ("SKU", "sku"),
        ("Mã vạch", "barcode"),
        ("Giá vốn", "cost_price"),
        ("Giá bán", "sale_price"),
        ("Giá bán (VNĐ)", "sale_price"),
        ("giá bán (đ)", "sale_price"),
        ("Sale Price", "sale_price"),
        ("Thuế GTGT", "vat_rate"),
        ("Thuế GTGT (%)", "vat_rate"),
        ("VAT", "vat_rate"),
        ("Tồn tối thiểu", "reorder_point"),
        ("Khối lượng (g)", "weight_grams"),
        ("weight_grams", "weight_grams"),
        ("Hình ảnh", "media_urls"),
        ("media_urls", "media_urls"),
        ("attribute_1", "attribute_1"),
        ("Thuộc tính 2", "attribute_2"),
        ("Giá trị 3", "value_3"),
        ("value_4", "value_4"),
        ("Tồn kho HCM", "stock_HCM"),
        ("stock_hn", "stock_HN"),
        ("Tồn HCM-Q1", "stock_HCM-Q1"),
        ("SL tồn kho: DN", "stock_DN"),
    ],
)
def test_headers_are_recognised_in_english_and_vietnamese(header: str, name: str) -> None:
    assert canonical_column(header) == name


def test_unknown_headers_are_ignored_not_guessed() -> None:
    for header in ("Ghi chú", "", "Link Shopee"):
        assert canonical_column(header) is None


def test_stock_headers_must_name_a_warehouse() -> None:
    # Anything after the stock words is a warehouse code, to be checked against the shop...
    assert canonical_column("Tồn kho Hà Nội") == "stock_HA NOI"
    # ...and a bare "Tồn kho" is a header error, never a guess.
    errors = map_header(["sku", "Tồn kho"]).errors
    assert [(e.row, e.column, e.code) for e in errors] == [(1, "Tồn kho", "missing_warehouse_code")]


def test_map_header_positions_labels_and_errors() -> None:
    h = map_header(
        [
            "Mã SP",
            "Ghi chú",
            "Mã SKU",
            "Giá bán",
            "Tồn kho HCM",
            "stock_HN",
            None,
            "Thuộc tính 1",
            "Giá trị 1",
        ]
    )
    assert h.index["sku"] == 2
    assert h.label("sale_price") == "Giá bán"
    assert h.warehouses == ["HCM", "HN"]
    assert h.attribute_slots == [1]
    assert h.ignored == ["Ghi chú"]
    assert h.errors == []
    dup = map_header(["sku", "Giá bán", "sale_price"])
    assert [(e.row, e.column, e.code) for e in dup.errors] == [
        (1, "sale_price", "duplicate_column")
    ]
    assert [e.code for e in map_header(["Mã SP", "Giá bán"]).errors] == ["missing_column"]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("attribute_1_en", "attribute_1_en"),
        ("Thuộc tính 2 (tiếng Anh)", "attribute_2_en"),
        ("Giá trị 1 English", "value_1_en"),
        ("value_3_en", "value_3_en"),
        ("Danh mục (tiếng Anh)", "category_en"),
        ("category_en", "category_en"),
    ],
)
def test_english_label_columns_are_recognised(header: str, name: str) -> None:
    assert canonical_column(header) == name


def test_english_labels_are_read_per_attribute() -> None:
    header = map_header(["sku", "attribute_1", "value_1", "attribute_1_en", "value_1_en"])
    row, errors = parse_row(2, ["AT01-DEN", "Màu", "Đen", "Colour", "Black"], header)
    assert errors == []
    assert row.attributes_en == {"Màu": "Colour"}
    assert row.values_en == {"Màu": "Black"}


def test_columns_are_the_documented_order() -> None:
    assert columns(["HCM"]) == [
        "product_code",
        "product_name",
        "category",
        "brand",
        "description",
        "attribute_1",
        "value_1",
        "attribute_2",
        "value_2",
        "attribute_3",
        "value_3",
        "sku",
        "barcode",
        "cost_price",
        "sale_price",
        "vat_rate",
        "reorder_point",
        "weight_grams",
        "media_urls",
        "category_en",
        "attribute_1_en",
        "value_1_en",
        "attribute_2_en",
        "value_2_en",
        "attribute_3_en",
        "value_3_en",
        "stock_HCM",
    ]


# ----------------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("150000", 150_000),
        ("150.000", 150_000),
        ("150,000", 150_000),
        ("150.000đ", 150_000),
        ("150.000 ₫", 150_000),
        ("150 000 VNĐ", 150_000),
        ("1.234.567", 1_234_567),
        ("150000.00", 150_000),
        ("1.234,00", 1234),
        ("1,234.00", 1234),
        (" 99000d ", 99_000),
        (150000, 150_000),
        (150000.0, 150_000),
        ("0", 0),
        ("", None),
        (None, None),
    ],
)
def test_money_cells(cell: object, amount: int | None) -> None:
    assert parse_money(cell) == amount


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("150.5", "not_whole"),
        ("150,50", "not_whole"),
        (150.5, "not_whole"),
        ("1.234,50", "not_whole"),
        ("-5000", "negative"),
        (-1, "negative"),
        ("abc", "invalid_value"),
        ("1234.567", "invalid_value"),
        ("12.34.567", "invalid_value"),
        ("1.234,567.00", "invalid_value"),
        ("đ", "invalid_value"),
        (True, "invalid_value"),
    ],
)
def test_bad_money_cells_say_why(cell: object, code: str) -> None:
    with pytest.raises(CellError) as err:
        parse_money(cell)
    assert err.value.code == code


def test_quantities_take_grouping_but_no_currency() -> None:
    assert parse_quantity("1.000") == 1000
    assert parse_quantity(12) == 12
    for bad in ("12đ", "1.5", "-2", "nhiều"):
        with pytest.raises(CellError):
            parse_quantity(bad)


@pytest.mark.parametrize(
    ("cell", "rate"),
    [
        ("10", 10),
        ("10%", 10),
        (" 8 % ", 8),
        (0.1, 10),
        (0.08, 8),
        (0.05, 5),
        ("0", 0),
        (0, 0),
        ("5,0", 5),
        (10, 10),
        ("", None),
        (None, None),
    ],
)
def test_vat_cells(cell: object, rate: int | None) -> None:
    assert parse_vat(cell) == rate


@pytest.mark.parametrize("cell", ["7", "7%", "0.1%", "10.5", "mười", True, "NaN"])
def test_bad_vat_cells(cell: object) -> None:
    with pytest.raises(CellError) as err:
        parse_vat(cell)
    assert err.value.code == "invalid_vat_rate"


def test_media_split_on_pipes_and_spaces() -> None:
    assert split_media("https://a.vn/1.jpg | https://a.vn/2.jpg\nhttps://a.vn/3.jpg") == [
        "https://a.vn/1.jpg",
        "https://a.vn/2.jpg",
        "https://a.vn/3.jpg",
    ]


# ------------------------------------------------------------------------------------ rows

HEADER = map_header(
    [
        "Mã SP",
        "Tên sản phẩm",
        "Thuộc tính 1",
        "Giá trị 1",
        "Thuộc tính 2",
        "Giá trị 2",
        "attribute_4",
        "value_4",
        "Mã SKU",
        "Mã vạch",
        "Giá bán",
        "Thuế GTGT",
        "Hình ảnh",
        "Tồn kho HCM",
    ]
)


def row(n: int, *cells: object) -> tuple[CatalogRow, list[str]]:
    parsed, errors = parse_row(n, list(cells), HEADER)
    return parsed, [f"{e.column}:{e.code}" for e in errors]


def test_a_good_row_is_typed() -> None:
    r, errors = row(
        2,
        "AT01",
        "Áo thun",
        "Màu",
        "Đen",
        "Size",
        "M",
        "",
        "",
        " AT01-DEN-M ",
        8931234567890,
        "150.000đ",
        "10%",
        "https://a.vn/1.jpg",
        "1.200",
    )
    assert errors == []
    assert (r.product_code, r.product_name, r.sku) == ("AT01", "Áo thun", "AT01-DEN-M")
    assert r.options == {"Màu": "Đen", "Size": "M"}
    assert r.attribute_columns == ["attribute_1", "attribute_2"]
    assert (r.barcode, r.sale_price, r.vat_rate) == ("8931234567890", 150_000, 10)
    assert r.media == ["https://a.vn/1.jpg"]
    assert r.stock == {"HCM": 1200}
    assert r.cost_price is None  # no column: keep / default


def test_every_problem_of_a_row_is_reported() -> None:
    _, errors = row(3, "AT 01", "", "Màu", "", "", "M", "", "", "", "", "1.5", "7", "", "-1")
    assert errors == [
        "Mã SKU:missing_sku",
        "Mã SP:invalid_sku",
        "Giá bán:invalid_price",
        "Thuế GTGT:invalid_vat_rate",
        "Giá trị 1:missing_value",
        "Giá trị 2:missing_attribute",
        "Tồn kho HCM:negative",
    ]


def test_more_than_three_attributes_is_a_row_error() -> None:
    header = map_header(["sku", *[f"{k}_{n}" for n in range(1, 5) for k in ("attribute", "value")]])
    _, errors = parse_row(2, ["G-1", "Màu", "Đen", "Size", "40", "Chất", "Da", "Đế", "Cao"], header)
    assert [(e.column, e.code) for e in errors] == [("attribute_4", "too_many_attributes")]
    _, errors = parse_row(2, ["G-1", "Màu", "Đen", "màu", "Trắng"], header)
    assert [e.column for e in errors] == ["attribute_1"]  # the same name twice


def test_dates_and_odd_spaces_in_cells() -> None:
    r, errors = parse_row(
        2, ["\u00a0AT01\u200b", date(2024, 5, 1)], map_header(["sku", "product_name"])
    )
    assert errors == []
    assert (r.sku, r.product_name) == ("AT01", "2024-05-01")


def test_file_checks_duplicates_and_product_consistency() -> None:
    header = Header(labels={"sku": "Mã SKU"})
    rows = [
        CatalogRow(
            2,
            sku="A-1",
            product_code="A",
            product_name="Áo",
            attributes=["Màu"],
            values=["Đen"],
            attribute_columns=["attribute_1"],
            barcode="111",
        ),
        CatalogRow(
            3,
            sku="a-1",
            product_code="a",
            attributes=["màu"],
            values=["Trắng"],
            attribute_columns=["attribute_1"],
        ),
        CatalogRow(
            4,
            sku="A-3",
            product_code="A",
            product_name="Áo khác",
            attributes=["Size"],
            values=["M"],
            attribute_columns=["attribute_1"],
            barcode="111",
        ),
        CatalogRow(5, sku="A-4", product_code="A"),  # attributes left blank: not compared
    ]
    found = sorted((e.row, e.column, e.code) for e in check_file(rows, header))
    assert found == [
        (3, "Mã SKU", "duplicate_sku"),
        (4, "attribute_1", "inconsistent_attributes"),
        (4, "barcode", "duplicate_barcode"),
        (4, "product_name", "inconsistent_product"),
    ]
    assert merged_product_fields(rows) == {"product_name": "Áo"}


# ------------------------------------------------------------------------------------- CSV


def test_csv_with_bom_and_semicolons() -> None:
    data = '\ufeffMã SP;Giá bán;Mô tả\nAT01;150.000;"Dòng 1\nDòng 2; vẫn ô này"\n'.encode()
    assert read_csv(data) == [
        ["Mã SP", "Giá bán", "Mô tả"],
        ["AT01", "150.000", "Dòng 1\nDòng 2; vẫn ô này"],
    ]


def test_csv_commas_tabs_and_utf16() -> None:
    assert read_csv(b'sku,sale_price\nA,"150,000"\n') == [["sku", "sale_price"], ["A", "150,000"]]
    assert read_csv("sku\tGiá\nA\t1\n".encode("utf-16")) == [["sku", "Giá"], ["A", "1"]]


def test_csv_that_is_not_utf8_is_refused_with_advice() -> None:
    with pytest.raises(InvalidInput) as err:
        read_csv("sku,Giá bán\n".encode("cp1258"))
    assert err.value.code == "bad_encoding"
    assert "CSV UTF-8" in err.value.message


def test_written_csv_reads_back() -> None:
    data = write_csv(["sku", "description"], [["A", "có, dấu phẩy\nvà dòng mới"], ["B", None]])
    assert data.startswith("\ufeff".encode())
    assert read_csv(data) == [["sku", "description"], ["A", "có, dấu phẩy\nvà dòng mới"], ["B", ""]]
