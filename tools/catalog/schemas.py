"""What the catalogue tools take and give, and the catalogue's limits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from tools.registry import MANAGERS, SALES
from tools.stock import (
    WarehouseStockOut,
)

CATALOG_EDITORS = MANAGERS | SALES
LABEL_FIELDS = ("category_en", "attributes_en", "values_en")
MAX_PRICE = 2_000_000_000  # đồng; the columns are 32-bit integers
MAX_QUANTITY = 1_000_000
# How many exact (LIKE) matches are ranked per search; the rest are not looked at.
MAX_CANDIDATES = 500

Vat = Literal[0, 5, 8, 10]
# A web address, or an image uploaded to the shop (upload_product_image, storage/media.py).
MediaUrl = Annotated[
    str,
    Field(pattern=r"^(?:https?://\S+|/media/[0-9a-f]{32}\.(?:jpg|png|webp))$", max_length=2000),
]
SpecValue = str | int | float | bool


# ------------------------------------------------------------------------------------- inputs


class StockIn(BaseModel):
    warehouse_code: str = Field(min_length=1, max_length=32, description="e.g. HCM")
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="Units on hand to record")


class VariantIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64, description="Unique stock keeping unit")
    barcode: str | None = Field(default=None, max_length=64, description="EAN/UPC if any")
    options: dict[str, str] = Field(
        default_factory=dict,
        description="One value per product attribute, e.g. {'Màu': 'Đen', 'Size': 'M'}; "
        "{} when the product has no attributes",
    )
    cost_price: int = Field(default=0, ge=0, le=MAX_PRICE, description="Purchase cost, đồng")
    sale_price: int = Field(ge=0, le=MAX_PRICE, description="Selling price, đồng")
    vat_rate: Vat = Field(default=10, description="VAT %: 0, 5, 8 or 10")
    reorder_point: int = Field(
        default=5, ge=0, le=MAX_QUANTITY, description="Warn when available falls to this"
    )
    weight_grams: int = Field(default=300, ge=0, le=MAX_QUANTITY)
    stock: list[StockIn] = Field(
        default_factory=list, max_length=50, description="Opening stock per warehouse"
    )
    options_en: dict[str, str] = Field(
        default_factory=dict,
        description="Optional English for this variant's values, by attribute: {'Màu': 'Black'}",
    )


class ProductRef(BaseModel):
    product_id: int | None = Field(default=None, gt=0)
    code: str | None = Field(default=None, max_length=64, description="Product code")


class CreateProductIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="Unique product code, e.g. AT01")
    name: str = Field(min_length=1, max_length=300)
    category: str = Field(default="", max_length=120)
    category_en: str = Field(default="", max_length=120, description="Optional English label")
    brand: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=20_000)
    specs: dict[str, SpecValue] = Field(
        default_factory=dict, description="Specifications, e.g. {'Chất liệu': 'Cotton'}"
    )
    media: list[MediaUrl] = Field(
        default_factory=list,
        max_length=30,
        description="Image/video URLs; the first is the main image",
    )
    attributes: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Names of the attributes variants differ by, at most 3, e.g. ['Màu', 'Size']",
    )
    attributes_en: dict[str, str] = Field(
        default_factory=dict, description="Optional English names: {'Màu': 'Colour'}"
    )
    variants: list[VariantIn] = Field(
        min_length=1,
        max_length=300,
        description="One per attribute combination; exactly one (options {}) without attributes",
    )
    active: bool = True


class VariantPatch(BaseModel):
    sku: str = Field(min_length=1, max_length=64, description="The variant to change")
    sale_price: int | None = Field(default=None, ge=0, le=MAX_PRICE)
    cost_price: int | None = Field(default=None, ge=0, le=MAX_PRICE)
    vat_rate: Vat | None = None
    reorder_point: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    weight_grams: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    active: bool | None = None
    barcode: str | None = Field(default=None, max_length=64, description="'' removes it")


class UpdateProductIn(ProductRef):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=120)
    category_en: str | None = Field(default=None, max_length=120, description="'' removes it")
    attributes_en: dict[str, str] | None = Field(
        default=None, description="English attribute names to set ('' removes one)"
    )
    values_en: dict[str, dict[str, str]] | None = Field(
        default=None,
        description="English values to set, by attribute: {'Màu': {'Đen': 'Black'}} ('' removes)",
    )
    brand: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=20_000)
    specs: dict[str, SpecValue] | None = Field(default=None, description="Replaces all specs")
    media: list[MediaUrl] | None = Field(default=None, max_length=30, description="Replaces all")
    active: bool | None = Field(default=None, description="false hides it from customers")
    variants: list[VariantPatch] = Field(
        default_factory=list, max_length=300, description="Per-variant changes, addressed by SKU"
    )


class AddVariantIn(ProductRef):
    variant: VariantIn


class GetProductIn(ProductRef):
    sku: str | None = Field(default=None, max_length=64, description="Any variant's SKU")


class SearchProductsIn(BaseModel):
    query: str = Field(
        default="",
        max_length=200,
        description="Product words: name, type, colour, size, brand or code. Accents and small "
        "typos are fine. Leave empty to list a category.",
    )
    category: str | None = Field(default=None, max_length=120)
    in_stock_only: bool = False
    limit: int = Field(default=10, ge=1, le=50)
    include_inactive: bool = Field(default=False, description="Staff only")


class ListCategoriesIn(BaseModel):
    pass


# ------------------------------------------------------------------------------------ outputs


class VariantOut(BaseModel):
    sku: str
    barcode: str | None
    options: dict[str, str]
    label: str = Field(description="Option values joined, e.g. 'Đen / M'")
    options_en: dict[str, str] = Field(
        default_factory=dict, description="The values in English (Vietnamese where none given)"
    )
    label_en: str = Field(default="", description="label in English, e.g. 'Black / M'")
    sale_price: int
    vat_rate: int
    available: int = Field(description="Units that can be sold now, all warehouses together")
    weight_grams: int
    active: bool
    # Staff only (None for customers):
    cost_price: int | None = None
    profit: int | None = Field(default=None, description="sale_price - cost_price")
    margin_percent: float | None = None
    reorder_point: int | None = None
    stock: list[WarehouseStockOut] | None = None


class ProductOut(BaseModel):
    id: int
    code: str
    name: str
    category: str
    category_en: str = Field(default="", description="In English (Vietnamese where none given)")
    brand: str
    description: str
    specs: dict[str, Any]
    media: list[str]
    attributes: list[str]
    attributes_en: dict[str, str] = Field(
        default_factory=dict, description="Attribute names in English, by Vietnamese name"
    )
    image_url: str | None = Field(default=None, description="The main image (media[0])")
    thumbnail_url: str | None = Field(default=None, description="Its small version, for cards")
    active: bool
    price_min: int | None = Field(description="Lowest sale price of the active variants")
    price_max: int | None
    available: int
    variants: list[VariantOut]


class ProductHit(BaseModel):
    product_id: int
    code: str
    name: str
    category: str
    category_en: str = ""
    brand: str
    price_min: int | None
    price_max: int | None
    available: int
    image: str | None = Field(description="First media URL")
    image_url: str | None = Field(default=None, description="The main image, as image")
    thumbnail_url: str | None = Field(default=None, description="Its small version, for cards")
    variant_count: int
    matching_variants: int = Field(description="Variants whose own options match the query too")
    match: Literal["exact", "fuzzy", "partial", "list"] = Field(
        description="exact: every word found; fuzzy: close spelling (ask to confirm); "
        "partial: only some words found (nothing better; say so); list: no query"
    )
    score: float | None = None


class SearchProductsOut(BaseModel):
    results: list[ProductHit]


class CategoryOut(BaseModel):
    name: str
    name_en: str = Field(default="", description="In English (the name where none given)")
    product_count: int


class ListCategoriesOut(BaseModel):
    categories: list[CategoryOut]
