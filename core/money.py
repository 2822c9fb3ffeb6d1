"""Money is an integer number of đồng. VAT is computed per line with one rounding rule.

The rule (also in docs/money.md):

* Sale prices are VAT-inclusive when the shop says so (``prices_include_vat``, the default,
  as Vietnamese retail and marketplaces quote them) and VAT-exclusive otherwise.
* An order-level discount is spread over the lines in proportion to their gross amount;
  the remainder đồng go to the lines with the largest fractional shares (largest remainder),
  so the line discounts always add up to the order discount exactly.
* Per line, after its discount: inclusive prices give
  ``vat = round_half_up(gross * rate / (100 + rate))`` and ``net = gross - vat``;
  exclusive prices give ``vat = round_half_up(net * rate / 100)`` and ``gross = net + vat``.
* Rounding is half-up to the whole đồng, on each line, never on the order total; the order VAT
  is the sum of the line VATs, which is what an e-invoice lists.
"""

from __future__ import annotations

from dataclasses import dataclass

VAT_RATES: frozenset[int] = frozenset({0, 5, 8, 10})
# The largest amount an order stores (its money columns are 32-bit integers).
MAX_AMOUNT = 2_147_483_647


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (amounts here are never negative)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        return -round_half_up_div(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class LineAmounts:
    gross: int  # what the buyer pays for the line, VAT included, after discount
    discount: int
    net: int  # before VAT
    vat: int


def split_discount(weights: list[int], discount: int) -> list[int]:
    """Spread ``discount`` over lines by weight (largest remainder). Sums exactly to discount."""
    total = sum(weights)
    if discount <= 0 or total <= 0:
        return [0] * len(weights)
    discount = min(discount, total)
    shares = [w * discount // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(weights[i] * discount % total), i))
    for i in remainders[: discount - sum(shares)]:
        shares[i] += 1
    return shares


def line_amounts(
    unit_price: int, quantity: int, vat_rate: int, discount: int, *, prices_include_vat: bool
) -> LineAmounts:
    if vat_rate not in VAT_RATES:
        raise ValueError(f"unsupported VAT rate {vat_rate}")
    base = unit_price * quantity - discount
    if prices_include_vat:
        vat = round_half_up_div(base * vat_rate, 100 + vat_rate)
        return LineAmounts(gross=base, discount=discount, net=base - vat, vat=vat)
    vat = round_half_up_div(base * vat_rate, 100)
    return LineAmounts(gross=base + vat, discount=discount, net=base, vat=vat)


@dataclass(frozen=True, slots=True)
class PricedLine:
    unit_price: int
    quantity: int
    vat_rate: int


@dataclass(frozen=True, slots=True)
class OrderTotals:
    lines: tuple[LineAmounts, ...]
    subtotal: int  # sum of unit_price * quantity before discount
    discount: int
    vat_total: int
    shipping_fee: int  # what the buyer pays for shipping (0 when the seller pays)
    total: int  # what the buyer pays in all

    @property
    def goods_total(self) -> int:
        return sum(line.gross for line in self.lines)


def order_totals(
    lines: list[PricedLine],
    *,
    discount: int = 0,
    shipping_fee: int = 0,
    seller_pays_shipping: bool = False,
    prices_include_vat: bool = True,
) -> OrderTotals:
    if discount < 0 or shipping_fee < 0:
        raise ValueError("discount and shipping fee cannot be negative")
    bases = [line.unit_price * line.quantity for line in lines]
    subtotal = sum(bases)
    discounts = split_discount(bases, discount)
    amounts = tuple(
        line_amounts(
            line.unit_price,
            line.quantity,
            line.vat_rate,
            line_discount,
            prices_include_vat=prices_include_vat,
        )
        for line, line_discount in zip(lines, discounts, strict=True)
    )
    buyer_shipping = 0 if seller_pays_shipping else shipping_fee
    goods = sum(a.gross for a in amounts)
    return OrderTotals(
        lines=amounts,
        subtotal=subtotal,
        discount=sum(discounts),
        vat_total=sum(a.vat for a in amounts),
        shipping_fee=buyer_shipping,
        total=goods + buyer_shipping,
    )


def balance(total: int, paid: int, *, cancelled: bool = False) -> tuple[int, int]:
    """(still to pay, to give back) for an order: a cancelled order owes nothing and is owed
    back everything paid on it; otherwise the difference between its total and what was paid
    (an order edited below what was already paid has money to give back)."""
    if cancelled:
        return 0, paid
    return max(0, total - paid), max(0, paid - total)


def margin_percent(sale_price: int, cost_price: int) -> float | None:
    """Margin on the sale price, for display only (never stored, never summed)."""
    if sale_price <= 0:
        return None
    return round((sale_price - cost_price) * 100 / sale_price, 2)


def format_vnd(amount: int) -> str:
    """``1234500`` -> ``1.234.500₫`` (Vietnamese grouping)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + "₫"
