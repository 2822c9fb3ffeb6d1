"""Staff answers in a handed-off chat: text, a product card the customer can open, and an
order's payment details with its VietQR code."""

from __future__ import annotations

import pytest

from agents.conversation import ChatService
from agents.staff.desk import StaffDesk
from core.roles import Actor, Role
from core.vietqr import is_payload
from storage.database import Database
from tests.conftest import SYSTEM, Caller
from tests.factories import BANK, make_order, make_product, make_warehouses
from tests.tools.test_handoffs import ask_for_staff
from tools.config import ToolConfig
from tools.runner import ToolRunner

SESSION = "session-replies-0001"


@pytest.fixture
def config() -> ToolConfig:
    return BANK


async def test_a_product_card_and_a_payment_code_reach_the_web_customer(
    shop: Caller, runner: ToolRunner, db: Database
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1}, payment_method="bank_transfer")
    lan = await shop("add_staff", SYSTEM, name="Lan", role="sales")
    actor = Actor(role=Role.SALES, staff_id=lan["id"], name="Lan")
    chat = ChatService(runner, db, shop_name="Shop")
    await ask_for_staff(chat, "web", SESSION)
    desk = StaffDesk(runner)
    [item] = (await desk.inbox(actor)).handoffs
    assert [b.label for b in item.buttons] == ["Nhận trả lời"]
    taken = await desk.press(actor, item.buttons[0].payload)
    assert taken.handoffs[0].mine

    sent = await desk.reply(actor, item.id, text="Mẫu này nhé", product_code="AT01")
    assert sent.ok, sent.text
    paid = await desk.reply(actor, item.id, order_number=order["number"])
    assert paid.ok, paid.text

    card_msg, pay_msg = (await chat.transcript("web", SESSION)).messages[-2:]
    assert (card_msg.role, card_msg.text) == ("staff", "Mẫu này nhé")
    assert card_msg.cards[0]["title"] == "Áo thun cotton"
    assert card_msg.cards[0]["buttons"][0]["title"] == "Xem"
    assert pay_msg.qr is not None
    assert is_payload(pay_msg.qr)
    assert order["number"] in pay_msg.text
    assert "0071000123456" in pay_msg.text


async def test_a_reply_for_an_order_with_nothing_due_says_so(
    shop: Caller, runner: ToolRunner, db: Database
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1})
    await shop("record_payment", order_id=order["id"], amount=order["total"])
    lan = await shop("add_staff", SYSTEM, name="Lan", role="sales")
    actor = Actor(role=Role.SALES, staff_id=lan["id"], name="Lan")
    await ask_for_staff(ChatService(runner, db, shop_name="Shop"), "telegram", "4242")
    desk = StaffDesk(runner)
    [item] = (await desk.inbox(actor)).handoffs
    await desk.press(actor, item.buttons[0].payload)
    reply = await desk.reply(actor, item.id, order_number=order["number"])
    assert not reply.ok
    assert "nothing to pay" in reply.text
