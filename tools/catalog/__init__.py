"""The catalogue: products, their variants (one per combination of up to 3 attributes) and search.

Customers see prices and what can be sold; cost, margin and per-warehouse stock are for staff
only, and inactive products do not exist for customers. Search ignores diacritics and case
and tolerates typos, because chat customers type "ao thung den" for "Áo thun đen".

Modules: schemas (inputs, outputs, limits), validation (new variants checked and written),
reading (one product and what each person sees of it), editing (create, update, add a variant)
and search (search_products, list_categories). This package offers the names other modules use.
"""

from __future__ import annotations

from tools.catalog.editing import (
    _add_variant,
    _create_product,
    _update_product,
    add_variant,
    create_product,
    update_product,
)
from tools.catalog.reading import _find_product, _load_out, get_product
from tools.catalog.schemas import (
    CATALOG_EDITORS,
    LABEL_FIELDS,
    MAX_CANDIDATES,
    MAX_PRICE,
    MAX_QUANTITY,
    AddVariantIn,
    CategoryOut,
    CreateProductIn,
    GetProductIn,
    ListCategoriesIn,
    ListCategoriesOut,
    ProductHit,
    ProductOut,
    ProductRef,
    SearchProductsIn,
    SearchProductsOut,
    StockIn,
    UpdateProductIn,
    VariantIn,
    VariantOut,
    VariantPatch,
)
from tools.catalog.search import _matching_categories, list_categories, search_products
from tools.catalog.validation import _check_new_variants

__all__ = [
    "CATALOG_EDITORS",
    "LABEL_FIELDS",
    "MAX_CANDIDATES",
    "MAX_PRICE",
    "MAX_QUANTITY",
    "AddVariantIn",
    "CategoryOut",
    "CreateProductIn",
    "GetProductIn",
    "ListCategoriesIn",
    "ListCategoriesOut",
    "ProductHit",
    "ProductOut",
    "ProductRef",
    "SearchProductsIn",
    "SearchProductsOut",
    "StockIn",
    "UpdateProductIn",
    "VariantIn",
    "VariantOut",
    "VariantPatch",
    "_add_variant",
    "_check_new_variants",
    "_create_product",
    "_find_product",
    "_load_out",
    "_matching_categories",
    "_update_product",
    "add_variant",
    "create_product",
    "get_product",
    "list_categories",
    "search_products",
    "update_product",
]
