"""get_payment_details: the shop's account, what is still due and a VietQR code for exactly
that, for the order's customer and for staff."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.roles import Actor
from core.vietqr import crc16_ccitt_false
from storage.database import Database
from tests.conftest import Caller
from tests.factories import ACCOUNTANT, ADDRESS, BANK, DEN, SALES, make_product, make_warehouses
from tools.config import ToolConfig
from tools.registry import Registry
from tools.runner import ToolRunner


@pytest.fixture
def config() -> ToolConfig:
    return BANK


def tlv(payload: str) -> dict[str, str]:
    out, i = {}, 0
    while i < len(payload):
        size = int(payload[i + 2 : i + 4])
        out[payload[i : i + 2]] = payload[i + 4 : i + 4 + size]
        i += 4 + size
    return out


async def bank_order(shop: Caller, customer: int) -> dict[str, Any]:
    await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 10})
    return await shop(
        "place_order",
        Actor.customer(customer),
        buyer_name="Lan",
        buyer_phone="0912345678",
        address=ADDRESS,
        payment_method="bank_transfer",
        lines=[{"sku": DEN, "quantity": 2}],
    )


async def test_the_code_asks_for_what_is_still_due(shop: Caller) -> None:
    lan = (await shop("create_customer", name="Lan"))["id"]
    order = await bank_order(shop, lan)
    details = await shop("get_payment_details", Actor.customer(lan), number=order["number"])
    assert details["bank"] == {
        "bank_name": "Vietcombank",
        "bin": "970436",
        "account_number": "0071000123456",
        "account_name": "CONG TY TNHH AO DEP",
    }
    assert details["amount_due"] == order["total"]
    assert details["transfer_note"] == order["number"]
    code = details["vietqr"]
    assert crc16_ccitt_false(code[:-4]) == code[-4:]
    top = tlv(code)
    assert top["54"] == str(order["total"])
    assert tlv(tlv(top["38"])["01"]) == {"00": "970436", "01": "0071000123456"}
    assert tlv(top["62"]) == {"08": order["number"]}

    await shop("record_payment", SALES, order_id=order["id"], amount=100_000)
    part = await shop("get_payment_details", SALES, order_id=order["id"])
    assert part["amount_due"] == order["total"] - 100_000
    assert tlv(part["vietqr"])["54"] == str(order["total"] - 100_000)

    await shop("record_payment", SALES, order_id=order["id"], amount=part["amount_due"])
    paid = await shop("get_payment_details", Actor.customer(lan), order_id=order["id"])
    assert (paid["amount_due"], paid["payment_status"], paid["vietqr"]) == (0, "paid", None)


async def test_other_customers_orders_stay_hidden(shop: Caller) -> None:
    lan = (await shop("create_customer", name="Lan"))["id"]
    minh = (await shop("create_customer", name="Minh"))["id"]
    order = await bank_order(shop, lan)
    with pytest.raises(NotFound):
        await shop("get_payment_details", Actor.customer(minh), order_id=order["id"])


async def test_without_an_account_staff_send_the_details(
    db: Database, registry: Registry, shop: Caller
) -> None:
    lan = (await shop("create_customer", name="Lan"))["id"]
    order = await bank_order(shop, lan)
    plain = Caller(ToolRunner(db, registry, ToolConfig()))
    details = await plain("get_payment_details", Actor.customer(lan), order_id=order["id"])
    assert (details["bank"], details["vietqr"]) == (None, None)
    assert details["amount_due"] == order["total"]


async def test_a_cancelled_prepaid_order_is_refunded_and_says_so(shop: Caller) -> None:
    lan = (await shop("create_customer", name="Lan"))["id"]
    order = await bank_order(shop, lan)
    await shop("record_payment", SALES, order_id=order["id"], amount=order["total"])
    cancelled = await shop("cancel_order", SALES, order_id=order["id"], reason="hết size")
    assert (cancelled["amount_due"], cancelled["refund_due"]) == (0, order["total"])
    with pytest.raises(PermissionDenied):  # money goes back by accounting
        await shop("refund_payment", SALES, order_id=order["id"])
    done = await shop(
        "refund_payment",
        ACCOUNTANT,
        order_id=order["id"],
        reference="CK hoàn 123",
        reason="khách hủy",
    )
    assert (done["paid_amount"], done["refund_due"], done["payment_status"]) == (0, 0, "refunded")
    with pytest.raises(Conflict) as err:
        await shop("refund_payment", ACCOUNTANT, order_id=order["id"])
    assert err.value.code == "nothing_to_refund"
    events = (await shop("get_order", order_id=order["id"]))["events"]
    assert events[-1]["kind"] == "refund"
    assert "CK hoàn 123" in events[-1]["note"]


async def test_an_order_edited_below_what_was_paid_gives_back_the_difference(
    shop: Caller,
) -> None:
    lan = (await shop("create_customer", name="Lan"))["id"]
    order = await bank_order(shop, lan)  # 2 units
    await shop("record_payment", SALES, order_id=order["id"], amount=order["total"])
    smaller = await shop(
        "update_order", SALES, order_id=order["id"], lines=[{"sku": DEN, "quantity": 1}]
    )
    back = order["total"] - smaller["total"]
    assert (smaller["amount_due"], smaller["refund_due"]) == (0, back)
    with pytest.raises(InvalidInput) as err:
        await shop("refund_payment", ACCOUNTANT, order_id=order["id"], amount=back + 1)
    assert (err.value.code, err.value.field) == ("refund_exceeds_due", "amount")
    part = await shop("refund_payment", ACCOUNTANT, order_id=order["id"], amount=back - 1_000)
    assert part["refund_due"] == 1_000
    rest = await shop("refund_payment", ACCOUNTANT, order_id=order["id"])
    assert (rest["paid_amount"], rest["refund_due"], rest["amount_due"]) == (
        smaller["total"],
        0,
        0,
    )
    assert rest["payment_status"] == "paid"
