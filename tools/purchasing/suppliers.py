"""Suppliers (nhà cung cấp): adding, listing, and naming one on a purchase order."""

from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound
from core.phone import normalise_phone
from core.tax_code import normalise_tax_code
from storage import purchasing as store
from storage.models import Supplier
from tools.context import ToolContext
from tools.purchasing.schemas import (
    CreateSupplierIn,
    ListSuppliersIn,
    ListSuppliersOut,
    SupplierOut,
)
from tools.registry import ACCOUNTING, MANAGERS, WAREHOUSE, tool


@tool(
    name="create_supplier",
    description="""Add a supplier (nhà cung cấp) that purchase orders can be placed with. The
    code is unique (stored upper case); the phone is normalised to +84...; the tax code (mã số
    thuế) is checked.""",
    roles=MANAGERS | ACCOUNTING,
)
async def create_supplier(ctx: ToolContext, inp: CreateSupplierIn) -> SupplierOut:
    code = inp.code.strip().upper()
    if not code:
        raise InvalidInput("The supplier needs a code.", field="code")
    name = inp.name.strip()
    if not name:
        raise InvalidInput("The supplier needs a name.", field="name")
    phone = normalise_phone(inp.phone, field="phone") if inp.phone and inp.phone.strip() else None
    tax_code = (
        normalise_tax_code(inp.tax_code, field="tax_code")
        if inp.tax_code and inp.tax_code.strip()
        else None
    )
    if await store.supplier_code_taken(ctx.tx, code):
        raise Conflict(
            f"Supplier code {code} is already used.", field="code", code="duplicate_code"
        )
    supplier = Supplier(
        code=code,
        name=name,
        contact_name=inp.contact_name.strip(),
        phone=phone,
        email=inp.email.strip().lower() if inp.email else None,
        address=inp.address.strip(),
        tax_code=tax_code,
        note=inp.note,
        created_at=ctx.now,
    )
    return SupplierOut.model_validate(await store.add_supplier(ctx.tx, supplier))


@tool(
    name="list_suppliers",
    description="List suppliers by code, optionally filtered by part of their code or name.",
    roles=MANAGERS | ACCOUNTING | WAREHOUSE,
    write=False,
)
async def list_suppliers(ctx: ToolContext, inp: ListSuppliersIn) -> ListSuppliersOut:
    search = inp.search.strip() if inp.search else None
    found = await store.list_suppliers(ctx.tx, search or None, inp.limit)
    return ListSuppliersOut(suppliers=[SupplierOut.model_validate(s) for s in found])


async def named_supplier(ctx: ToolContext, supplier_id: int | None, code: str | None) -> Supplier:
    """The supplier a caller named by id or by code (exactly one of them)."""
    if (supplier_id is None) == (code is None or not code.strip()):
        raise InvalidInput(
            "Name the supplier by supplier_code or by supplier_id (one of them).",
            field="supplier_code",
        )
    found = await store.find_supplier(
        ctx.tx, supplier_id=supplier_id, code=(code or "").strip().upper()
    )
    if found is None:
        raise NotFound(
            f"Supplier {supplier_id if supplier_id is not None else code} does not exist.",
            field="supplier_id" if supplier_id is not None else "supplier_code",
            code="unknown_supplier",
        )
    return found
