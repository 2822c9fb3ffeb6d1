"""What the tools need to know about the shop; built from Settings by the composition root."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.shipping import FlatShipping
from core.vietqr import BankAccount, bank_account


class ToolConfig(BaseModel):
    shop_name: str = "Shopbot Demo"
    prices_include_vat: bool = True
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Abuse limits on quote holds (docs/stock.md): units one customer may hold at once, and
    # the share of a row's free stock that holds may keep from other buyers.
    hold_max_units_per_customer: int = Field(default=50, ge=0, le=1_000_000)
    hold_share_percent: int = Field(default=100, ge=0, le=100)
    shipping_fee: int = Field(default=30_000, ge=0)
    free_shipping_from: int | None = Field(default=500_000, ge=0)
    timezone: str = "Asia/Ho_Chi_Minh"
    # Where uploaded product images are stored (SHOPBOT_MEDIA_DIR); None: uploads are refused.
    media_dir: str | None = None
    # lookup_order attempts per caller per hour, and failed ones per phone per hour.
    order_lookup_per_hour: int = Field(default=10, ge=1, le=10_000)
    # Bank transfers (checked by Settings; None: staff send payment details themselves).
    bank_bin: str | None = None
    bank_name: str = ""
    bank_account_number: str | None = None
    bank_account_name: str | None = None
    # The shop's answers to common questions ("" : core.shop_policies' default).
    delivery_time: str = ""
    delivery_time_en: str = ""
    opening_hours: str = ""
    opening_hours_en: str = ""
    return_policy: str = ""
    return_policy_en: str = ""

    @property
    def shipping(self) -> FlatShipping:
        return FlatShipping(fee=self.shipping_fee, free_from=self.free_shipping_from)

    @property
    def bank(self) -> BankAccount | None:
        return bank_account(
            self.bank_bin, self.bank_account_number, self.bank_account_name, self.bank_name
        )
