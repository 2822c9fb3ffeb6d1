"""The LLM agent with a shop that takes bank transfers: it may place the order as a transfer
when the customer chose one, and the account, amount and QR code follow from the tool, never
from the model."""

from __future__ import annotations

import json

import pytest

from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder
from core.vietqr import is_payload
from storage.database import Database
from tests.agents.conftest import Catalogue, Chat, Customer, card_of, jeans_order, propose
from tests.conftest import Caller
from tests.factories import BANK
from tests.fakes.openai_server import Call, FakeOpenAI, RecordedRequest, Text, ToolCalls
from tools import TOOL_MODULES, build_registry
from tools.config import ToolConfig
from tools.runner import ToolRunner


@pytest.fixture
def config() -> ToolConfig:
    return BANK


async def test_a_transfer_order_ends_with_the_account_and_its_qr_code(
    customer: Customer, catalogue: Catalogue, fake_openai: FakeOpenAI
) -> None:
    def place(req: RecordedRequest) -> ToolCalls:
        assert "bank_transfer" in req.system_text()  # offered: the shop has an account
        return propose("QJ01", 1, payment_method="bank_transfer")

    fake_openai.script(place)
    card = card_of(await customer.say("1 quần jean, chuyển khoản nhé. Lan 0901234567, 12 Lê Lợi"))
    assert card.card is not None
    assert {f.key: f.value for f in card.card.fields}["payment_method"] == "bank_transfer"
    assert card.card.totals is not None
    assert card.card.totals.cod_amount == 0  # nothing collected on delivery

    placed, pay = await customer.say("ok chốt đơn")

    assert "DH" in placed.text
    assert "COD" not in placed.text
    assert "0071000123456" in pay.text
    assert "430.000₫" in pay.text  # 400,000 + 30,000 shipping
    assert pay.qr is not None
    assert is_payload(pay.qr)
    assert "5406430000" in pay.qr
    assert not fake_openai.remaining


async def test_a_customer_cannot_order_with_a_staff_payment_method(
    customer: Customer, catalogue: Catalogue, fake_openai: FakeOpenAI
) -> None:
    def refused(req: RecordedRequest) -> Text:
        err = json.loads(req.tool_results("place_order")[-1][1])["error"]
        assert err["field"] == "payment_method"
        return Text("Shop chỉ nhận COD hoặc chuyển khoản ạ.")

    fake_openai.script(propose("QJ01", 1, payment_method="marketplace"), refused)
    replies = await customer.say("1 quần jean, Lan 0901234567, 12 Lê Lợi, Q1, HCM")
    assert [r.text for r in replies] == ["Shop chỉ nhận COD hoặc chuyển khoản ạ."]
    assert all(r.card is None for r in replies)


async def test_asked_how_to_pay_later_the_agent_shows_the_account_and_code(
    chat: Chat, catalogue: Catalogue, fake_openai: FakeOpenAI, shop: Caller
) -> None:
    order = await jeans_order(shop, chat.customer_id, payment_method="bank_transfer")
    fake_openai.script(
        ToolCalls(Call("get_payment_details", {"number": order["number"]})),
        lambda req: Text(
            f"Dạ, đơn {req.last_tool_json('get_payment_details')['number']} còn cần chuyển "
            "khoản ạ, thông tin bên dưới nhé."
        ),
    )
    turn = await chat.say(f"Cho mình xin số tài khoản để chuyển khoản đơn {order['number']}")
    answer, pay = turn.replies
    assert order["number"] in answer.text
    assert "0071000123456" in pay.text
    assert pay.qr is not None
    assert f"5406{order['total']}" in pay.qr


async def test_another_customers_order_has_no_payment_details(
    chat: Chat,
    catalogue: Catalogue,
    fake_openai: FakeOpenAI,
    shop: Caller,
    customers: tuple[int, int],
) -> None:
    theirs = await jeans_order(shop, customers[1], payment_method="bank_transfer")
    fake_openai.script(
        ToolCalls(Call("get_payment_details", {"number": theirs["number"]})),
        lambda req: Text(
            "Không tìm thấy: "
            + json.loads(req.tool_results("get_payment_details")[-1][1])["error"]["code"]
        ),
    )
    turn = await chat.say(f"Số tài khoản cho đơn {theirs['number']}?")
    assert len(turn.replies) == 1  # no account, no code
    assert "unknown_order" in turn.replies[0].text


async def test_the_order_is_confirmed_even_when_its_payment_details_fail(
    llm_config: LLMConfig,
    db: Database,
    catalogue: Catalogue,
    fake_openai: FakeOpenAI,
) -> None:
    """A shop whose tools cannot give payment details (here: the tool is missing) still
    confirms the placed order; only the account and code are left out."""
    modules = tuple(m for m in TOOL_MODULES if m != "tools.payments")
    runner = ToolRunner(db, build_registry(modules), BANK)
    responder = LLMResponder(llm_config, runner)
    try:
        talk = Customer(ChatService(runner, db, responder=responder, shop_name="Shop Test"))
        fake_openai.script(propose("QJ01", 1, payment_method="bank_transfer"))
        await talk.say("1 quần jean QJ01, chuyển khoản. Lan 0901234567, 12 Lê Lợi, Q1, HCM")
        done = await talk.say("ok chốt đơn")
    finally:
        await responder.aclose()
    assert len(done) == 1
    assert "DH" in done[0].text
