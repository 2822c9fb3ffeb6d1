from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor, Role
from storage.database import Database
from storage.models import OutboxEvent, Product, StockLevel, StockMove, Variant
from tests.conftest import Caller
from tests.factories import (
    ACCOUNTANT,
    CUSTOMER,
    KEEPER,
    SALES,
    count_rows,
    hold_stock,
    in_tx,
    ledger_mismatches,
    make_product,
    make_warehouses,
    reserve_stock,
)
from tools.context import ToolContext
from tools.registry import Registry

WRITES = (Product, Variant, StockLevel, StockMove, OutboxEvent)


def variant(sku: str, options: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "options": options or {}, "sale_price": 100_000, **kw}


async def search_text(db: Database, code: str) -> str:
    async def run(ctx: ToolContext) -> str:
        q = select(Product.search_text).where(Product.code == code)
        return str(await ctx.tx.session.scalar(q))

    return await in_tx(db, run)


# ---------------------------------------------------------------------------- create_product


async def test_create_product_with_variants_and_opening_stock(shop: Caller, db: Database) -> None:
    wh = await make_warehouses(shop)
    out = await shop(
        "create_product",
        code="AT01",
        name="Áo thun cotton",
        category="Áo",
        brand="Coolmate",
        specs={"Chất liệu": "Cotton 100%"},
        media=["https://cdn.example.vn/at01.jpg"],
        attributes=["Màu", "Size"],
        variants=[
            variant(
                "AT01-DEN-M",
                {"Size": "M", "Màu": "Đen"},
                cost_price=90_000,
                vat_rate=8,
                barcode="8931234567890",
                stock=[
                    {"warehouse_code": "hcm", "quantity": 10},
                    {"warehouse_code": "HN", "quantity": 3},
                ],
            ),
            variant(
                "AT01-TRANG-L",
                {"Màu": "Trắng", "Size": "L"},
                cost_price=80_000,
                stock=[{"warehouse_code": "HCM", "quantity": 5}],
            ),
        ],
    )
    assert out["code"] == "AT01"
    assert out["attributes"] == ["Màu", "Size"]
    first, second = out["variants"]
    # Options follow the product's attribute order whatever order they were given in.
    assert list(first["options"]) == ["Màu", "Size"]
    assert first["label"] == "Đen / M"
    assert first["available"] == 13
    assert second["available"] == 5
    assert out["available"] == 18
    assert first["vat_rate"] == 8
    assert first["barcode"] == "8931234567890"
    assert first["profit"] == 10_000
    assert first["margin_percent"] == 10.0
    assert {s["warehouse_code"]: s["on_hand"] for s in first["stock"]} == {"HCM": 10, "HN": 3}
    assert (out["price_min"], out["price_max"]) == (100_000, 100_000)

    async def levels(ctx: ToolContext) -> set[tuple[str, int, int]]:
        rows = await ctx.tx.session.execute(
            select(Variant.sku, StockLevel.warehouse_id, StockLevel.on_hand).join(
                StockLevel, StockLevel.variant_id == Variant.id
            )
        )
        return set(rows)

    # A stock row for every (variant, active warehouse), zero where nothing was given.
    assert await in_tx(db, levels) == {
        ("AT01-DEN-M", wh["HCM"], 10),
        ("AT01-DEN-M", wh["HN"], 3),
        ("AT01-TRANG-L", wh["HCM"], 5),
        ("AT01-TRANG-L", wh["HN"], 0),
    }
    assert await ledger_mismatches(db) == []
    ledger = await shop("stock_ledger", sku="AT01-DEN-M")
    assert {(r["reason"], r["delta_on_hand"]) for r in ledger["rows"]} == {
        ("initial", 10),
        ("initial", 3),
    }


async def test_search_text_is_folded_from_product_and_variants(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", name="Áo Thun Cotton", brand="Đông Á", category="Áo")
    text = await search_text(db, "AT01")
    for word in ("ao thun cotton", "dong a", "at01-den-m", "trang", "den"):
        assert word in text
    assert text == text.lower()
    assert "á" not in text
    assert "đ" not in text


async def test_more_than_three_attributes_is_refused_and_nothing_written(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    before = await count_rows(db, *WRITES)
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_product",
            code="X1",
            name="Giày",
            attributes=["Màu", "Size", "Chất", "Đế"],
            variants=[
                variant(
                    "X1-A",
                    {"Màu": "Đen", "Size": "40", "Chất": "Da", "Đế": "Cao"},
                    stock=[{"warehouse_code": "HCM", "quantity": 5}],
                )
            ],
        )
    assert err.value.code == "too_many_attributes"
    assert err.value.field == "attributes"
    assert await count_rows(db, *WRITES) == before


async def test_product_without_attributes_has_exactly_one_variant(shop: Caller) -> None:
    await make_warehouses(shop)
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_product",
            code="MU01",
            name="Mũ lưỡi trai",
            variants=[variant("MU01-A"), variant("MU01-B")],
        )
    assert err.value.code == "one_variant_expected"
    out = await shop("create_product", code="MU01", name="Mũ lưỡi trai", variants=[variant("MU01")])
    assert out["variants"][0]["options"] == {}
    assert out["variants"][0]["label"] == ""
    with pytest.raises(InvalidInput) as err:
        await shop("add_variant", code="MU01", variant=variant("MU01-B"))
    assert err.value.code == "one_variant_expected"


async def test_duplicate_sku_in_request_names_the_later_variant(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    with pytest.raises(Conflict) as err:
        await shop(
            "create_product",
            code="AT01",
            name="Áo",
            attributes=["Size"],
            variants=[variant("AT01-M", {"Size": "M"}), variant("at01-m", {"Size": "L"})],
        )
    assert (err.value.code, err.value.field) == ("duplicate_sku", "variants.1.sku")
    assert (await count_rows(db, Product))["products"] == 0


async def test_sku_taken_by_another_product_is_refused(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01")
    before = await count_rows(db, *WRITES)
    with pytest.raises(Conflict) as err:
        await shop(
            "create_product",
            code="AT02",
            name="Áo khác",
            attributes=["Size"],
            variants=[variant("AT02-S", {"Size": "S"}), variant("AT01-DEN-M", {"Size": "M"})],
        )
    assert (err.value.code, err.value.field) == ("duplicate_sku", "variants.1.sku")
    assert await count_rows(db, *WRITES) == before


async def test_duplicate_barcode_and_code_are_refused(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(
        shop, code="AT01", variants=[{"sku": "AT01-M", "options": {"Size": "M"}, "barcode": "111"}]
    )
    with pytest.raises(Conflict) as err:
        await shop(
            "create_product", code="AT02", name="Áo", variants=[variant("AT02", barcode="111")]
        )
    assert (err.value.code, err.value.field) == ("duplicate_barcode", "variants.0.barcode")
    with pytest.raises(Conflict) as err:
        await shop(
            "create_product",
            code="AT02",
            name="Áo",
            attributes=["Size"],
            variants=[
                variant("AT02-M", {"Size": "M"}, barcode="222"),
                variant("AT02-L", {"Size": "L"}, barcode="222"),
            ],
        )
    assert err.value.field == "variants.1.barcode"
    with pytest.raises(Conflict) as err:
        await shop("create_product", code="at01", name="Áo", variants=[variant("AT09")])
    assert (err.value.code, err.value.field) == ("duplicate_code", "code")


async def test_unknown_warehouse_is_not_found_and_nothing_written(
    shop: Caller, db: Database
) -> None:
    await make_warehouses(shop)
    before = await count_rows(db, *WRITES)
    with pytest.raises(NotFound) as err:
        await shop(
            "create_product",
            code="AT01",
            name="Áo",
            variants=[
                variant(
                    "AT01",
                    stock=[
                        {"warehouse_code": "HCM", "quantity": 2},
                        {"warehouse_code": "DN", "quantity": 1},
                    ],
                )
            ],
        )
    assert err.value.code == "unknown_warehouse"
    assert err.value.field == "variants.0.stock.1.warehouse_code"
    assert await count_rows(db, *WRITES) == before


async def test_variant_options_must_match_attributes(shop: Caller) -> None:
    await make_warehouses(shop)
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_product",
            code="AT01",
            name="Áo",
            attributes=["Màu", "Size"],
            variants=[
                variant("AT01-A", {"Màu": "Đen", "Size": "M"}),
                variant("AT01-B", {"Màu": "Đen"}),
            ],
        )
    assert err.value.field == "variants.1.options"
    with pytest.raises(Conflict) as err2:
        await shop(
            "create_product",
            code="AT01",
            name="Áo",
            attributes=["Size"],
            variants=[variant("AT01-A", {"Size": "M"}), variant("AT01-B", {"Size": "M "})],
        )
    assert (err2.value.code, err2.value.field) == ("duplicate_options", "variants.1.options")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vat_rate": 7}, "variants.0.vat_rate"),
        ({"sale_price": -1}, "variants.0.sale_price"),
        ({"sku": "bad sku!"}, "variants.0.sku"),
        ({"stock": [{"warehouse_code": "HCM", "quantity": -5}]}, "variants.0.stock.0.quantity"),
    ],
)
async def test_bad_variant_fields_are_named(
    shop: Caller, change: dict[str, Any], field: str
) -> None:
    await make_warehouses(shop)
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_product", code="AT01", name="Áo", variants=[{**variant("AT01"), **change}]
        )
    assert err.value.field == field


async def test_media_must_be_urls(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop(
            "create_product",
            code="AT01",
            name="Áo",
            media=["not a url"],
            variants=[variant("AT01")],
        )
    assert err.value.field == "media.0"


# ---------------------------------------------------------------------- update / add_variant


async def test_update_product_fields_prices_and_search_text(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", name="Áo thun cotton")
    out = await shop(
        "update_product",
        code="at01",
        name="Áo polo nam",
        brand="Yody",
        variants=[
            {
                "sku": "AT01-DEN-M",
                "sale_price": 199_000,
                "cost_price": 120_000,
                "vat_rate": 5,
                "barcode": "999",
            },
            {"sku": "AT01-TRANG-L", "active": False},
        ],
    )
    assert out["name"] == "Áo polo nam"
    assert out["brand"] == "Yody"
    den, trang = out["variants"]
    assert (den["sale_price"], den["cost_price"], den["vat_rate"], den["barcode"]) == (
        199_000,
        120_000,
        5,
        "999",
    )
    assert den["profit"] == 79_000
    assert trang["active"] is False
    assert (out["price_min"], out["price_max"]) == (199_000, 199_000)  # active variants only
    text = await search_text(db, "AT01")
    assert "ao polo nam" in text
    assert "yody" in text
    assert "thun" not in text
    found = await shop("search_products", CUSTOMER, query="polo")
    assert [r["code"] for r in found["results"]] == ["AT01"]
    # The inactive variant is gone for customers.
    got = await shop("get_product", CUSTOMER, code="AT01")
    assert [v["sku"] for v in got["variants"]] == ["AT01-DEN-M"]


async def test_update_with_unknown_sku_changes_nothing(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01")
    with pytest.raises(NotFound) as err:
        await shop(
            "update_product",
            code="AT01",
            name="Tên mới",
            variants=[{"sku": "AT01-DEN-M", "sale_price": 1}, {"sku": "NOPE", "sale_price": 2}],
        )
    assert err.value.field == "variants.1.sku"
    got = await shop("get_product", code="AT01")
    assert got["name"] == "Áo thun cotton"
    assert got["variants"][0]["sale_price"] == 150_000
    with pytest.raises(InvalidInput) as err2:
        await shop("update_product", code="AT01")
    assert err2.value.code == "nothing_to_change"


async def test_update_barcode_taken_by_other_variant(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        code="AT01",
        variants=[
            {"sku": "A", "options": {"Size": "M"}, "barcode": "111"},
            {"sku": "B", "options": {"Size": "L"}},
        ],
    )
    with pytest.raises(Conflict) as err:
        await shop("update_product", code="AT01", variants=[{"sku": "B", "barcode": "111"}])
    assert err.value.field == "variants.0.barcode"
    out = await shop("update_product", code="AT01", variants=[{"sku": "A", "barcode": ""}])
    assert out["variants"][0]["barcode"] is None


async def test_add_variant_checks_options_and_adds_stock(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01")
    with pytest.raises(InvalidInput) as err:
        await shop("add_variant", code="AT01", variant=variant("AT01-XL", {"Size": "XL"}))
    assert err.value.field == "variant.options"
    with pytest.raises(Conflict) as err2:
        await shop(
            "add_variant", code="AT01", variant=variant("AT01-X", {"Màu": "Đen", "Size": "M"})
        )
    assert err2.value.code == "duplicate_options"
    out = await shop(
        "add_variant",
        code="AT01",
        variant=variant(
            "AT01-DO-XL",
            {"Màu": "Đỏ", "Size": "XL"},
            stock=[{"warehouse_code": "HN", "quantity": 4}],
        ),
    )
    assert [v["sku"] for v in out["variants"]][-1] == "AT01-DO-XL"
    assert out["variants"][-1]["available"] == 4
    assert "do xl" in await search_text(db, "AT01")
    assert await ledger_mismatches(db) == []


# ------------------------------------------------------------------------------- get_product


async def test_customers_never_see_cost_margin_or_warehouses(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", cost_price=87_654, stock={"HCM": 4, "HN": 2})
    staff = await shop("get_product", SALES, sku="AT01-DEN-M")
    assert staff["variants"][0]["cost_price"] == 87_654
    assert len(staff["variants"][0]["stock"]) == 2
    cust = await shop("get_product", CUSTOMER, sku="AT01-DEN-M")
    for v in cust["variants"]:
        assert v["cost_price"] is None
        assert v["profit"] is None
        assert v["margin_percent"] is None
        assert v["stock"] is None
        assert v["reorder_point"] is None
        assert v["available"] == 6
    assert "87654" not in str(cust)
    # Every lookup path behaves the same.
    by_id = await shop("get_product", CUSTOMER, product_id=cust["id"])
    assert by_id == cust == await shop("get_product", CUSTOMER, code="AT01")


async def test_inactive_products_do_not_exist_for_customers(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", category="Áo")
    await shop("update_product", code="AT01", active=False)
    with pytest.raises(NotFound):
        await shop("get_product", CUSTOMER, code="AT01")
    with pytest.raises(NotFound):
        await shop("get_product", CUSTOMER, sku="AT01-DEN-M")
    assert (await shop("get_product", SALES, code="AT01"))["active"] is False
    assert (await shop("search_products", CUSTOMER, query="ao thun"))["results"] == []
    assert (await shop("search_products", CUSTOMER, query="ao thun", include_inactive=True))[
        "results"
    ] == []
    staff = await shop("search_products", SALES, query="ao thun", include_inactive=True)
    assert [r["code"] for r in staff["results"]] == ["AT01"]
    assert (await shop("list_categories", CUSTOMER))["categories"] == []


async def test_available_subtracts_reserved_and_live_holds_only(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="AT01", stock={"HCM": 10, "HN": 1})
    await reserve_stock(db, "AT01-DEN-M", "HCM", 3)
    await hold_stock(db, "AT01-DEN-M", "HCM", 2)
    await hold_stock(db, "AT01-DEN-M", "HCM", 4, minutes=-1)  # expired: does not count
    await hold_stock(db, "AT01-DEN-M", "HN", 5)  # more than on hand: never below zero
    got = await shop("get_product", code="AT01")
    den = got["variants"][0]
    hcm = next(s for s in den["stock"] if s["warehouse_code"] == "HCM")
    assert (hcm["on_hand"], hcm["reserved"], hcm["held"], hcm["available"]) == (10, 3, 2, 5)
    assert den["available"] == 5
    cust = await shop("get_product", CUSTOMER, code="AT01")
    assert cust["variants"][0]["available"] == 5


async def test_get_product_needs_exactly_one_reference(shop: Caller) -> None:
    with pytest.raises(InvalidInput):
        await shop("get_product")
    with pytest.raises(InvalidInput):
        await shop("get_product", code="AT01", sku="AT01-DEN-M")
    with pytest.raises(NotFound) as err:
        await shop("get_product", code="NOPE")
    assert err.value.field == "code"


# ---------------------------------------------------------------------------- search_products


async def catalogue(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        code="AT01",
        name="Áo thun cotton",
        category="Áo",
        media=["https://cdn.example.vn/at01.jpg"],
        sale_price=150_000,
    )
    await make_product(
        shop, code="AK01", name="Áo khoác gió", category="Áo", stock={"HCM": 0}, sale_price=350_000
    )
    await make_product(
        shop,
        code="QJ01",
        name="Quần jean nam",
        category="Quần",
        brand="Levi's",
        variants=[
            {"sku": "QJ01-30", "options": {"Size": "30"}, "sale_price": 400_000},
            {"sku": "QJ01-32", "options": {"Size": "32"}, "sale_price": 450_000},
        ],
    )
    await make_product(shop, code="BT01", name="Bao tay len", category="Phụ kiện")


async def codes(shop: Caller, actor: Actor = CUSTOMER, **args: Any) -> list[str]:
    return [r["code"] for r in (await shop("search_products", actor, **args))["results"]]


async def test_search_ignores_diacritics_and_case(shop: Caller) -> None:
    await catalogue(shop)
    for q in ("ao thun", "Áo Thun", "ÁO THUN COTTON", "áo thun"):
        assert (await codes(shop, query=q))[0] == "AT01"
    assert "QJ01" not in await codes(shop, query="ao thun")
    assert await codes(shop, query="quần") == ["QJ01"]
    hit = (await shop("search_products", CUSTOMER, query="ao thun"))["results"][0]
    assert hit["match"] == "exact"
    assert hit["image"] == "https://cdn.example.vn/at01.jpg"
    assert (hit["price_min"], hit["price_max"], hit["available"]) == (150_000, 150_000, 20)


async def test_search_tolerates_typos(shop: Caller) -> None:
    await catalogue(shop)
    results = (await shop("search_products", CUSTOMER, query="ao thung"))["results"]
    assert results[0]["code"] == "AT01"
    assert results[0]["match"] == "fuzzy"
    assert (await codes(shop, query="quan jaen")) == ["QJ01"]
    assert (await codes(shop, query="khaoc")) == ["AK01"]
    assert await codes(shop, query="dien thoai") == []  # not "den" (black) as a partial match
    # A short word never matches another short word by "similarity" ("bao" is not "ao").
    assert await codes(shop, query="bao") == ["BT01"]


async def test_exact_matches_rank_before_fuzzy_and_whole_words_first(shop: Caller) -> None:
    await catalogue(shop)
    # "ao" is a substring of "bao": both match by LIKE, but the whole word ranks higher.
    found = await codes(shop, query="ao", limit=50)
    assert set(found[:2]) == {"AT01", "AK01"}
    assert found[2] == "BT01"


async def test_name_matches_outrank_category_only_matches(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, code="PL01", name="Áo polo nam", category="Áo thun")
    await make_product(shop, code="AT01", name="Áo thun cotton", category="Áo thun")
    found = (await shop("search_products", CUSTOMER, query="ao thun"))["results"]
    assert [(r["code"], r["match"]) for r in found] == [("AT01", "exact"), ("PL01", "exact")]


async def test_partial_matches_only_when_nothing_else(shop: Caller) -> None:
    await catalogue(shop)
    found = (await shop("search_products", CUSTOMER, query="quần kaki"))["results"]
    assert [(r["code"], r["match"]) for r in found] == [("QJ01", "partial")]
    # With a full match available, partial ones are not offered.
    assert {
        r["match"] for r in (await shop("search_products", CUSTOMER, query="quan jean"))["results"]
    } == {"exact"}
    # One word has nothing to be partial about.
    assert await codes(shop, query="kaki") == []


async def test_english_plurals_find_the_singular_the_catalogue_uses(shop: Caller) -> None:
    await catalogue(shop)
    found = (await shop("search_products", CUSTOMER, query="jeans"))["results"]
    assert [(r["code"], r["match"]) for r in found] == [("QJ01", "exact")]
    assert (await shop("search_products", CUSTOMER, query="Levis jeans"))["results"][0][
        "match"
    ] == "exact"
    # A word the catalogue has as it is typed is not cut ("bao" stays, "ao" is not searched).
    assert await codes(shop, query="bao") == ["BT01"]
    assert await codes(shop, query="kakis") == []  # no singular in the catalogue either


async def test_partial_matches_ignore_words_no_product_has(shop: Caller) -> None:
    await catalogue(shop)
    # Two of the three words are in no product: the jean is still the closest.
    found = (await shop("search_products", CUSTOMER, query="quần jean xịn rẻ"))["results"]
    assert [(r["code"], r["match"]) for r in found] == [("QJ01", "partial")]
    # Words no product has, beside a size or a number only: nothing, not every size M.
    assert await codes(shop, query="asdf qwer m") == []
    assert await codes(shop, query="asdf 32") == []
    assert await codes(shop, query="asdf qwer zxcv") == []


async def test_search_by_sku_code_and_brand_counts_matching_variants(shop: Caller) -> None:
    await catalogue(shop)
    assert await codes(shop, query="qj01-32") == ["QJ01"]
    assert await codes(shop, query="levis") == ["QJ01"]
    hit = (await shop("search_products", CUSTOMER, query="ao thun den"))["results"][0]
    assert (hit["code"], hit["variant_count"], hit["matching_variants"]) == ("AT01", 2, 1)
    jean = (await shop("search_products", CUSTOMER, query="quan jean"))["results"][0]
    assert (jean["price_min"], jean["price_max"]) == (400_000, 450_000)
    assert jean["matching_variants"] == 2


async def test_category_listing_and_in_stock_filter(shop: Caller) -> None:
    await catalogue(shop)
    assert await codes(shop, category="ao") == ["AK01", "AT01"]  # by name: "Áo k" < "Áo t"
    assert await codes(shop, category="ÁO", in_stock_only=True) == ["AT01"]
    assert await codes(shop, query="ao", in_stock_only=True, limit=50) == ["AT01", "BT01"]
    assert await codes(shop, category="phu kien") == ["BT01"]
    assert await codes(shop, category="Giày") == []
    assert len(await codes(shop, limit=2)) == 2
    cats = await shop("list_categories", CUSTOMER)
    assert cats["categories"] == [  # Vietnamese order: "Áo" is among the a's, not last
        {"name": "Áo", "name_en": "Áo", "product_count": 2},
        {"name": "Phụ kiện", "name_en": "Phụ kiện", "product_count": 1},
        {"name": "Quần", "name_en": "Quần", "product_count": 1},
    ]


async def test_search_limit_is_bounded(shop: Caller) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("search_products", CUSTOMER, query="ao", limit=51)
    assert err.value.field == "limit"


# -------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("actor", [CUSTOMER, KEEPER, ACCOUNTANT])
async def test_only_managers_and_sales_edit_the_catalogue(shop: Caller, actor: Actor) -> None:
    await make_warehouses(shop)
    with pytest.raises(PermissionDenied):
        await shop("create_product", actor, code="AT01", name="Áo", variants=[variant("AT01")])
    await make_product(shop, code="AT01")
    with pytest.raises(PermissionDenied):
        await shop("update_product", actor, code="AT01", name="X")
    with pytest.raises(PermissionDenied):
        await shop(
            "add_variant", actor, code="AT01", variant=variant("Y", {"Màu": "Y", "Size": "Y"})
        )


async def test_sales_can_create_products(shop: Caller) -> None:
    await make_warehouses(shop)
    skus = await make_product(shop, code="AT01", actor=SALES)
    assert skus == ["AT01-DEN-M", "AT01-TRANG-L"]


def test_registry_roles(registry: Registry) -> None:
    for name in ("get_product", "search_products", "list_categories"):
        t = registry.get(name)
        assert t.customer_safe
        assert not t.write
    for name in ("create_product", "update_product", "add_variant"):
        t = registry.get(name)
        assert not t.customer_safe
        assert t.write
        assert Role.SALES in t.roles
        assert Role.WAREHOUSE not in t.roles
