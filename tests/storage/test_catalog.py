"""storage.catalog and storage.catalog_io: typed values, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import catalog, catalog_io, warehouses
from storage.catalog import ProductScope
from storage.database import Database
from tests.conftest import Caller
from tests.factories import make_product, make_warehouses


async def test_search_reads_are_folded_docs_within_the_scope(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, category="Áo")
    await make_product(shop, "QJ01", "Quần jean", category="Quần")
    await shop("update_product", code="QJ01", active=False)
    async with db.transaction(write=False) as tx:
        found = list(
            (await catalog.docs_containing(tx, ProductScope(), ["ao", "thun"], 10)).values()
        )
        assert [(d.name, d.category) for d in found] == [("Áo thun cotton", "Áo")]
        assert "ao thun cotton" in found[0].search_text  # folded: no accents, lower case
        assert len(await catalog.product_ids_by_name(tx, ProductScope())) == 1
        assert len(await catalog.product_ids_by_name(tx, ProductScope(include_inactive=True))) == 2
        only = ProductScope(include_inactive=True, categories=("Quần",))
        assert [d.name for d in (await catalog.all_docs(tx, only)).values()] == ["Quần jean"]
        assert await catalog.category_names(tx, include_inactive=False) == ["Áo"]


async def test_products_and_variants_come_back_typed(shop: Caller, db: Database) -> None:
    await make_warehouses(shop)
    await make_product(shop, category="Áo", category_en="Tops")
    async with db.transaction(write=False) as tx:
        product = await catalog.find_product(tx, sku="at01-den-m")  # SKUs ignore case
        assert product is not None
        assert product.code == "AT01"
        assert await catalog.find_product(tx, code="at01") is product
        variants = (await catalog.variants_of(tx, [product.id]))[product.id]
        assert [v.sku for v in variants] == ["AT01-DEN-M", "AT01-TRANG-L"]
        assert variants[0].options == {"Màu": "Đen", "Size": "M"}  # JSON decoded
        assert variants[0].active is True
        assert product.created_at.tzinfo is not None
        [(category, labels)] = await catalog.active_category_labels(tx)
        assert (category, labels["category"]) == ("Áo", "Tops")  # JSON decoded
        assert await catalog.active_category_counts(tx) == [("Áo", 1)]
        assert await catalog.taken_skus(tx, {"at01-den-m", "zz-1"}) == ["AT01-DEN-M"]
        assert await catalog.code_taken(tx, "at01") is True
        assert await catalog.code_taken(tx, "AT02") is False
        codes = await warehouses.by_code(tx, {"HCM", "XX"})
        assert list(codes) == ["HCM"]
        assert codes["HCM"].active is True


async def test_import_lookups_and_the_export_dump(shop: Caller, db: Database) -> None:
    wh = await make_warehouses(shop)
    await make_product(
        shop,
        category="Áo",
        variants=[
            {"sku": "AT01-DEN-M", "options": {"Màu": "Đen", "Size": "M"}, "barcode": "8930001"},
            {"sku": "AT01-TRANG-L", "options": {"Màu": "Trắng", "Size": "L"}},
        ],
    )
    async with db.transaction(write=False) as tx:
        pairs = await catalog_io.variants_by_sku(tx, ["at01-trang-l"])
        assert [(v.sku, p.code) for v, p in pairs] == [("AT01-TRANG-L", "AT01")]
        assert [p.code for p in await catalog_io.products_by_code(tx, ["at01", "nope"])] == ["AT01"]
        owners = await catalog_io.barcode_owners(tx, ["8930001", "0000"])
        assert list(owners) == ["8930001"]
        assert owners["8930001"][1] == "AT01-DEN-M"
        product_id = pairs[0][1].id
        assert sorted(o["Màu"] for o in await catalog_io.variant_options(tx, product_id)) == [
            "Trắng",
            "Đen",
        ]
        everything = await catalog_io.catalog_dump(tx, include_inactive=False, categories=None)
        assert [w.code for w in everything.warehouses] == ["HCM", "HN"]
        assert len(everything.variants[product_id]) == 2
        first = everything.variants[product_id][0].id
        assert everything.on_hand[(first, wh["HCM"])] == 10
        assert everything.on_hand[(first, wh["HN"])] == 0
        nothing = await catalog_io.catalog_dump(tx, include_inactive=False, categories=[])
        assert nothing.products == []
        assert nothing.variants == {}
        assert nothing.on_hand == {}
