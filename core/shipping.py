"""Shipping fee before a carrier quotes: a flat fee with free shipping above a threshold."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlatShipping:
    fee: int = 30_000
    free_from: int | None = 500_000  # goods total at which the shop pays shipping

    def fee_for(self, goods_total: int) -> int:
        if self.free_from is not None and goods_total >= self.free_from:
            return 0
        return self.fee
