"""Vetting an import: every row checked against the shop before anything is written, and
the plan of what the file will do."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.catalog_rows import (
    MEDIA_COLUMN,
    MONEY_COLUMNS,
    QUANTITY_COLUMNS,
    STOCK_PREFIX,
    CatalogRow,
    Header,
    RowError,
    check_file,
    merged_product_fields,
    product_key,
    reference_attributes,
)
from core.errors import DomainError
from core.text import fold
from storage import catalog_io as store
from storage import warehouses as warehouse_store
from storage.models import Product, Variant, Warehouse
from tools.catalog.schemas import (
    AddVariantIn,
    CreateProductIn,
    UpdateProductIn,
    VariantIn,
    VariantPatch,
)
from tools.catalog.validation import _check_new_variants
from tools.catalog_io_labels import attribute_labels, label_changes
from tools.context import ToolContext
from tools.stock import AdjustStockIn, adjust_stock, ordered_options
from tools.stock_ops import Level, Move, lock_levels

IMPORT_NOTE = "catalog import"
_VARIANT_FIELD = re.compile(r"^variants\.(\d+)(?:\.(\w+))?(?:\.(\d+))?")
_PATCHABLE = (*MONEY_COLUMNS, "vat_rate", *QUANTITY_COLUMNS)


@dataclass
class _Existing:
    variant: Variant
    product: Product


@dataclass
class Plan:
    """What the file will do, decided before anything is written."""

    updates: list[UpdateProductIn] = field(default_factory=list)
    additions: list[AddVariantIn] = field(default_factory=list)
    creates: list[CreateProductIn] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    products_updated: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    opening_stock_rows: int = 0


class Vetting:
    """Checks every row against the shop and builds the plan; collects errors per row."""

    def __init__(
        self,
        ctx: ToolContext,
        header: Header,
        warehouses: dict[str, Warehouse],
        rows: list[CatalogRow],
        errors: Iterable[RowError],
    ) -> None:
        self.ctx = ctx
        self.header = header
        self.warehouses = warehouses
        self.rows = rows
        self.errors: list[RowError] = []
        self.bad: set[int] = set()
        self.add(errors)
        self.plan = Plan()
        self.by_sku: dict[str, _Existing] = {}
        self.products: dict[str, Product] = {}
        self.barcode_owner: dict[str, tuple[int, str]] = {}
        self.levels: dict[tuple[int, int], Level] = {}

    # -- errors

    def add(self, errors: Iterable[RowError]) -> None:
        for e in errors:
            self.errors.append(e)
            self.bad.add(e.row)

    def fail(self, r: CatalogRow, column: str, message: str, code: str) -> None:
        self.add([RowError(r.row, self.header.label(column), message, code)])

    def is_good(self, r: CatalogRow) -> bool:
        return r.row not in self.bad

    def fail_validation(self, r: CatalogRow, exc: ValidationError, *, new: bool) -> None:
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            column = self.column_for(r, loc)
            label = self.header.label(column)
            if e.get("type") == "missing":
                message = f"{label} is required for a new SKU." if new else f"{label} is missing."
            else:
                message = f"{label}: {e.get('msg')} (got {_shown(e.get('input'))})."
            self.fail(r, column, message, "invalid_value")

    def column_for(self, r: CatalogRow, loc: Sequence[str]) -> str:
        """The file column behind a model field (``stock.1.quantity`` -> ``stock_HN``)."""
        name = loc[0] if loc else "sku"
        if name == "stock" and len(loc) > 1 and loc[1].isdigit():
            codes = list(r.stock)
            index = int(loc[1])
            return STOCK_PREFIX + codes[index] if index < len(codes) else "sku"
        if name == "options":
            return r.attribute_columns[0] if r.attribute_columns else "attribute_1"
        if name == "media":
            return MEDIA_COLUMN
        if name == "name":
            return "product_name"
        if name == "code":
            return "product_code"
        return name

    # -- the run

    async def run(self) -> None:
        await self.load_existing()
        self.resolve_products()
        self.add(check_file(self.rows, self.header))
        await self.lock_stock()
        groups: dict[str, list[CatalogRow]] = {}
        for r in self.rows:
            if r.product_code:
                groups.setdefault(product_key(r.product_code), []).append(r)
        for key, members in groups.items():
            product = self.products.get(key)
            if product is None:
                await self.vet_new_product(members)
            else:
                await self.vet_existing_product(product, members)

    async def load_existing(self) -> None:
        """Existing variants of the file's SKUs, products of its codes, owners of its
        barcodes: three kinds of queries, in chunks, whatever the file's length."""
        tx = self.ctx.tx
        skus = sorted({r.sku.casefold() for r in self.rows if r.sku})
        for v, p in await store.variants_by_sku(tx, skus):
            self.by_sku[v.sku.casefold()] = _Existing(v, p)
            self.products[product_key(p.code)] = p
        codes = sorted({product_key(r.product_code) for r in self.rows if r.product_code})
        for p in await store.products_by_code(tx, codes):
            self.products[product_key(p.code)] = p
        barcodes = sorted({r.barcode for r in self.rows if r.barcode})
        self.barcode_owner.update(await store.barcode_owners(tx, barcodes))

    def resolve_products(self) -> None:
        """A row's SKU, if it exists, decides its product: a blank product_code is filled in
        (a price list needs only sku and price) and a different one is refused."""
        for r in self.rows:
            if not r.sku:
                continue
            found = self.by_sku.get(r.sku.casefold())
            if found is None:
                if not r.product_code:
                    self.fail(
                        r,
                        "product_code",
                        f"SKU {r.sku} is new: give its product_code "
                        "(Mã SP) to say which product it belongs to.",
                        "missing_product_code",
                    )
                continue
            code = found.product.code
            if not r.product_code:
                r.product_code = code
            elif product_key(r.product_code) != product_key(code):
                self.fail(
                    r,
                    "product_code",
                    f"SKU {r.sku} belongs to product {code}, not "
                    f"{r.product_code}; a SKU cannot move to another product.",
                    "sku_of_other_product",
                )

    async def lock_stock(self) -> None:
        """Locks the levels the file will set, so the numbers checked are the numbers changed."""
        ids = [
            self.by_sku[r.sku.casefold()].variant.id
            for r in self.rows
            if r.stock and r.sku.casefold() in self.by_sku
        ]
        if ids:
            self.levels = await lock_levels(self.ctx, ids)

    # -- new products

    async def vet_new_product(self, members: list[CatalogRow]) -> None:
        code = members[0].product_code
        fields = merged_product_fields(members)
        attributes, _ = reference_attributes(members)
        good = [r for r in members if self.is_good(r)]
        if not good:
            return
        if not fields.get("product_name"):
            for r in good:
                self.fail(
                    r,
                    "product_name",
                    f"Product {code} is new: give its product_name (Tên sản phẩm).",
                    "missing_product_name",
                )
            return
        if not attributes and len(good) > 1:
            for r in good[1:]:
                self.fail(
                    r,
                    "attribute_1",
                    f"Product {code} has no attributes (attribute_1..3), "
                    f"so it has one variant (row {good[0].row}); name the attributes, e.g. "
                    "Màu and Size, to sell several.",
                    "one_variant_expected",
                )
            good = good[:1]
        items = self.variant_inputs(good, attributes)
        vetted = await self.vet_new_variants(attributes, items, [])
        if not vetted:
            return
        data: dict[str, Any] = {
            "code": code,
            "name": fields["product_name"],
            "attributes": attributes,
            "variants": [v for _, v in vetted],
        }
        for name in ("category", "brand", "description", "media", "category_en"):
            if name in fields:
                data[name] = fields[name]
        if names_en := attribute_labels(members, attributes):
            data["attributes_en"] = names_en
        try:
            create = CreateProductIn.model_validate(data)
        except ValidationError as exc:
            self.fail_product(members, [r for r, _ in vetted], exc)
            return
        self.plan.creates.append(create)
        self.plan.opening_stock_rows += sum(
            1 for v in create.variants for s in v.stock if s.quantity > 0
        )

    def fail_product(
        self, members: list[CatalogRow], rows: list[CatalogRow], exc: ValidationError
    ) -> None:
        """A product column is wrong: it is reported on the row that gave it, and the product's
        other rows are skipped with a pointer there."""
        first_row: int | None = None
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            column = self.column_for(members[0], loc)
            attr = "media" if column == MEDIA_COLUMN else column
            source = next((r for r in members if getattr(r, attr, None)), rows[0])
            got = _shown(e.get("input"))
            self.fail(
                source,
                column,
                f"{self.header.label(column)}: {e.get('msg')} (got {got}).",
                "invalid_value",
            )
            first_row = first_row or source.row
        for r in rows:
            if self.is_good(r):
                self.fail(
                    r,
                    "product_code",
                    f"Product {r.product_code} is not imported: see row {first_row}.",
                    "product_refused",
                )

    def variant_inputs(
        self, rows: Iterable[CatalogRow], attributes: list[str]
    ) -> list[tuple[CatalogRow, VariantIn]]:
        """VariantIn per row (the tool's own input model and limits); bad rows are reported."""
        by_fold = {fold(a): a for a in attributes}
        out: list[tuple[CatalogRow, VariantIn]] = []
        for r in rows:
            data: dict[str, Any] = {
                "sku": r.sku,
                "options": {by_fold.get(fold(n), n): v for n, v in r.options.items()},
                "stock": [{"warehouse_code": c, "quantity": q} for c, q in r.stock.items()],
            }
            if r.barcode:
                data["barcode"] = r.barcode
            if r.values_en:
                data["options_en"] = {by_fold.get(fold(n), n): v for n, v in r.values_en.items()}
            for name in _PATCHABLE:
                if getattr(r, name) is not None:
                    data[name] = getattr(r, name)
            try:
                out.append((r, VariantIn.model_validate(data)))
            except ValidationError as exc:
                self.fail_validation(r, exc, new=True)
        return out

    async def vet_new_variants(
        self,
        attributes: list[str],
        items: list[tuple[CatalogRow, VariantIn]],
        existing_options: Sequence[dict[str, str]],
    ) -> list[tuple[CatalogRow, VariantIn]]:
        """Runs the catalogue's own check for new variants (options, SKUs and barcodes in use,
        warehouses). It stops at the first problem, so the row at fault is reported and left
        out and the rest checked again, until what remains passes."""
        pending = list(items)
        while pending:
            try:
                await _check_new_variants(
                    self.ctx,
                    attributes,
                    [(f"variants.{i}", v) for i, (_, v) in enumerate(pending)],
                    existing_options,
                )
                return pending
            except DomainError as exc:
                m = _VARIANT_FIELD.match(exc.field or "")
                if m is None or int(m.group(1)) >= len(pending):
                    for r, _ in pending:
                        self.fail(r, "sku", exc.message, exc.code)
                    return []
                r, _ = pending.pop(int(m.group(1)))
                loc = [p for p in m.groups()[1:] if p is not None]
                self.fail(r, self.column_for(r, loc), exc.message, exc.code)
        return []

    # -- existing products

    async def vet_existing_product(self, product: Product, members: list[CatalogRow]) -> None:
        good = [r for r in members if self.is_good(r)]
        if not good:
            return
        attributes = list(product.attributes)
        existing_rows = [r for r in good if r.sku.casefold() in self.by_sku]
        new_rows = [r for r in good if r.sku.casefold() not in self.by_sku]

        patches: list[tuple[CatalogRow, VariantPatch]] = []
        moves: list[Move] = []
        unchanged = 0
        for r in existing_rows:
            patch = self.vet_existing_variant(product, r)
            row_moves = self.stock_moves(r)
            if not self.is_good(r):
                continue
            if patch is not None:
                patches.append((r, patch))
            moves += row_moves
            unchanged += patch is None and not row_moves

        additions: list[AddVariantIn] = []
        if new_rows and not attributes:
            for r in new_rows:
                self.fail(
                    r,
                    "sku",
                    f"Product {product.code} has no attributes, so it has a "
                    f"single variant; SKU {r.sku} cannot be added to it.",
                    "one_variant_expected",
                )
        elif new_rows:
            vetted = await self.vet_new_variants(
                attributes,
                self.variant_inputs(new_rows, attributes),
                await store.variant_options(self.ctx.tx, product.id),
            )
            additions = [AddVariantIn(code=product.code, variant=v) for _, v in vetted]

        changes = self.product_changes(product, members)
        if changes or patches:
            try:
                update = UpdateProductIn.model_validate(
                    {"code": product.code, **changes, "variants": [p for _, p in patches]}
                )
            except ValidationError as exc:
                self.fail_product(members, good, exc)
                return
            self.plan.updates.append(update)
            self.plan.variants_updated += len(patches)
        self.plan.additions += additions
        self.plan.opening_stock_rows += sum(
            1 for a in additions for s in a.variant.stock if s.quantity > 0
        )
        self.plan.moves += moves
        self.plan.variants_unchanged += unchanged
        if changes or patches or additions:
            self.plan.products_updated += 1

    def vet_existing_variant(self, product: Product, r: CatalogRow) -> VariantPatch | None:
        """The row's changes to an existing SKU as update_product's patch, None if none."""
        variant = self.by_sku[r.sku.casefold()].variant
        if r.attributes:
            want = {fold(k): fold(v) for k, v in variant.options.items()}
            given = {fold(k): fold(v) for k, v in r.options.items()}
            if given != want:
                label = " / ".join(ordered_options(variant.options, product.attributes).values())
                self.fail(
                    r,
                    r.attribute_columns[0],
                    f"SKU {variant.sku} is '{label or 'no options'}' in the shop; an "
                    "existing SKU's options cannot be changed by import (add a new SKU).",
                    "options_changed",
                )
                return None
        diff: dict[str, Any] = {
            name: getattr(r, name)
            for name in _PATCHABLE
            if getattr(r, name) is not None and getattr(r, name) != getattr(variant, name)
        }
        if r.barcode and r.barcode != (variant.barcode or ""):
            owner = self.barcode_owner.get(r.barcode)
            if owner is not None and owner[0] != variant.id:
                self.fail(
                    r,
                    "barcode",
                    f"Barcode {r.barcode} is already used by SKU {owner[1]}.",
                    "duplicate_barcode",
                )
                return None
            diff["barcode"] = r.barcode
        if not diff:
            return None
        try:
            return VariantPatch.model_validate({"sku": variant.sku, **diff})
        except ValidationError as exc:
            self.fail_validation(r, exc, new=False)
            return None

    def stock_moves(self, r: CatalogRow) -> list[Move]:
        """Adjustments that set an existing SKU's on-hand to the file's numbers (a refused
        number fails the row). Stock reserved for orders cannot be counted away, and only the
        roles that may use adjust_stock may change existing stock this way."""
        variant = self.by_sku[r.sku.casefold()].variant
        moves: list[Move] = []
        for code, quantity in r.stock.items():
            wh = self.warehouses[code]
            column = STOCK_PREFIX + code
            try:
                AdjustStockIn(
                    sku=variant.sku, warehouse_code=code, set_to=quantity, note=IMPORT_NOTE
                )
            except ValidationError as exc:
                self.fail(
                    r,
                    column,
                    f"{self.header.label(column)}: {exc.errors()[0].get('msg')}.",
                    "invalid_value",
                )
                continue
            level = self.levels.get((variant.id, wh.id)) or Level(variant.id, wh.id, 0, 0, 0)
            delta = quantity - level.on_hand
            if delta == 0:
                continue
            if quantity < level.reserved:
                self.fail(
                    r,
                    column,
                    f"{variant.sku} at {code}: {level.reserved} units are "
                    f"reserved for orders, so on hand cannot be set to {quantity}.",
                    "insufficient_stock",
                )
            elif not adjust_stock.allows(self.ctx.actor.role):
                self.fail(
                    r,
                    column,
                    f"A {self.ctx.actor.role.value} may not change the stock of "
                    f"an existing SKU ({variant.sku} at {code} is {level.on_hand}); leave "
                    "the stock columns blank or ask warehouse staff.",
                    "permission_denied",
                )
            else:
                moves.append(
                    Move(
                        variant.id,
                        wh.id,
                        d_on_hand=delta,
                        reason="adjustment",
                        ref_type="catalog_import",
                        note=IMPORT_NOTE,
                    )
                )
        return moves

    def product_changes(self, product: Product, members: list[CatalogRow]) -> dict[str, Any]:
        """Product columns that differ from the shop; blank cells keep what is there."""
        fields = merged_product_fields(members)
        changes: dict[str, Any] = {}
        for name, column in (
            ("product_name", "name"),
            ("category", "category"),
            ("brand", "brand"),
            ("description", "description"),
        ):
            value = fields.get(name)
            if value and value != (getattr(product, column) or "").strip():
                changes[column] = value
        media = fields.get("media")
        if media and media != list(product.media):
            changes["media"] = media
        changes.update(label_changes(product, members))
        return changes


def _shown(value: object) -> str:
    """A cell value quoted in a message, cut short: a message should not repeat a whole
    description."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


async def warehouse_columns(
    ctx: ToolContext, header: Header, header_row: int
) -> dict[str, Warehouse]:
    """The stock_ columns must name active warehouses; a wrong one is a header error because
    every row would be wrong."""
    found = await warehouse_store.by_code(ctx.tx)
    out: dict[str, Warehouse] = {}
    for code in header.warehouses:
        wh = found.get(code)
        column = header.label(STOCK_PREFIX + code)
        if wh is None:
            known = ", ".join(sorted(c for c, w in found.items() if w.active)) or "none yet"
            header.errors.append(
                RowError(
                    header_row,
                    column,
                    f"There is no warehouse {code} (column {column}); warehouses: {known}.",
                    "unknown_warehouse",
                )
            )
        elif not wh.active:
            header.errors.append(
                RowError(
                    header_row, column, f"Warehouse {code} is not active.", "warehouse_inactive"
                )
            )
        else:
            out[code] = wh
    return out
