"""Minimal catalogue seeding straight into the tables, for tests of the order core.

The catalogue tools have their own tests; order tests need stock in known places and nothing
else, so they seed it directly (with initial ledger rows, so ledger invariants hold).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.base import utcnow
from storage.database import Database
from storage.models import Customer, Product, StockLevel, StockMove, Variant, Warehouse


@dataclass
class Seeded:
    warehouses: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    customers: list[int] = field(default_factory=list)


async def seed(
    db: Database,
    stock: dict[str, dict[str, int]],
    *,
    prices: dict[str, int] | None = None,
    vat: int = 10,
    customers: int = 2,
    warehouses: tuple[tuple[str, str], ...] = (("HCM", "main"), ("HN", "branch")),
) -> Seeded:
    """``stock={"SKU": {"HCM": 5, "HN": 0}}``; prices default to 100,000đ."""
    out = Seeded()
    now = utcnow()
    async with db.transaction() as tx:
        s = tx.session
        for code, kind in warehouses:
            wh = Warehouse(
                code=code,
                name=f"Kho {code}",
                kind=kind,
                address="",
                manager="",
                active=True,
                created_at=now,
            )
            s.add(wh)
            await s.flush()
            out.warehouses[code] = wh.id
        product = Product(
            code="P1",
            name="Áo thun",
            category="Áo",
            brand="",
            description="",
            specs={},
            media=[],
            attributes=["Size"],
            search_text="ao thun",
            active=True,
            created_at=now,
            updated_at=now,
        )
        s.add(product)
        await s.flush()
        for sku, per_wh in stock.items():
            v = Variant(
                product_id=product.id,
                sku=sku,
                barcode=None,
                options={"Size": sku},
                cost_price=60_000,
                sale_price=(prices or {}).get(sku, 100_000),
                vat_rate=vat,
                reorder_point=2,
                weight_grams=300,
                active=True,
                created_at=now,
            )
            s.add(v)
            await s.flush()
            out.variants[sku] = v.id
            for code, wid in out.warehouses.items():
                qty = per_wh.get(code, 0)
                s.add(StockLevel(variant_id=v.id, warehouse_id=wid, on_hand=qty, reserved=0))
                if qty:
                    s.add(
                        StockMove(
                            variant_id=v.id,
                            warehouse_id=wid,
                            delta_on_hand=qty,
                            delta_reserved=0,
                            reason="initial",
                            note="",
                            actor="test",
                            created_at=now,
                        )
                    )
        for i in range(customers):
            c = Customer(name=f"Khách {i}", language="vi", note="", created_at=now)
            s.add(c)
            await s.flush()
            out.customers.append(c.id)
    return out
