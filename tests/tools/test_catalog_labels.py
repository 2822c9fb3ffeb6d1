"""English labels for categories, attribute names and values, falling back to the Vietnamese."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.labels import attribute_label, category_label, label, options_label, value_label
from tests.conftest import Caller
from tests.factories import CUSTOMER, make_product, make_warehouses


@pytest.fixture
async def labelled(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        category="Áo thun",
        category_en="T-shirts",
        attributes_en={"Màu": "Colour"},
        variants=[
            {
                "sku": "AT01-DEN-M",
                "options": {"Màu": "Đen", "Size": "M"},
                "options_en": {"Màu": "Black"},
            },
            {"sku": "AT01-TRANG-L", "options": {"Màu": "Trắng", "Size": "L"}},
        ],
    )
    await make_product(shop, "QJ01", "Quần jean", category="Quần")


async def test_product_outputs_carry_english_with_vietnamese_fallback(
    shop: Caller, labelled: None
) -> None:
    out = await shop("get_product", CUSTOMER, code="AT01")
    assert out["category_en"] == "T-shirts"
    assert out["attributes_en"] == {"Màu": "Colour", "Size": "Size"}
    black, white = out["variants"]
    assert black["options_en"] == {"Màu": "Black", "Size": "M"}
    assert black["label_en"] == "Black / M"
    assert white["options_en"] == {"Màu": "Trắng", "Size": "L"}  # none given: Vietnamese
    plain = await shop("get_product", CUSTOMER, code="QJ01")
    assert plain["category_en"] == "Quần"
    hits = await shop("search_products", CUSTOMER, query="ao thun")
    assert hits["results"][0]["category_en"] == "T-shirts"
    cats = await shop("list_categories", CUSTOMER)
    assert [(c["name"], c["name_en"]) for c in cats["categories"]] == [
        ("Áo thun", "T-shirts"),
        ("Quần", "Quần"),
    ]


async def test_labels_are_set_and_removed_by_update_and_add_variant(
    shop: Caller, labelled: None
) -> None:
    await shop(
        "update_product",
        code="AT01",
        values_en={"Màu": {"Trắng": "White", "Đen": ""}},
        attributes_en={"Size": "Size (EU)"},
        category_en="",
    )
    await shop(
        "add_variant",
        code="AT01",
        variant={
            "sku": "AT01-DO-M",
            "sale_price": 150_000,
            "options": {"Màu": "Đỏ", "Size": "M"},
            "options_en": {"Màu": "Red"},
        },
    )
    out = await shop("get_product", CUSTOMER, code="AT01")
    assert out["category_en"] == "Áo thun"
    assert out["attributes_en"] == {"Màu": "Colour", "Size": "Size (EU)"}
    assert [v["label_en"] for v in out["variants"]] == ["Đen / M", "White / L", "Red / M"]


async def test_a_label_for_an_attribute_the_product_lacks_is_refused(
    shop: Caller, labelled: None
) -> None:
    with pytest.raises(InvalidInput) as err:
        await shop("update_product", code="AT01", attributes_en={"Chất liệu": "Material"})
    assert err.value.field == "attributes_en.Chất liệu"


def test_label_picks_the_language_and_falls_back() -> None:
    labels = {
        "category": "T-shirts",
        "attributes": {"Màu": "Colour"},
        "values": {"Màu": {"Đen": "Black"}},
    }
    assert label("Đen", "Black", "en") == "Black"
    assert label("Đen", "Black", "vi") == "Đen"
    assert label("Đen", "  ", "en") == "Đen"
    assert category_label(labels, "Áo thun", "en") == "T-shirts"
    assert category_label(None, "Áo thun", "en") == "Áo thun"
    assert attribute_label(labels, "Size", "en") == "Size"
    assert value_label(labels, "Màu", "Đen", "en") == "Black"
    assert options_label(labels, {"Màu": "Đen", "Size": "M"}, "vi") == {"Màu": "Đen", "Size": "M"}
