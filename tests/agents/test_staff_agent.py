"""The staff agent (fake OpenAI server over real HTTP, real database): reads run at once, what
moves stock or money comes back as a card and runs once on Confirm, nothing on Cancel, and a
role is offered only its own tools."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from agents.llm import LLMConfig
from agents.staff.assistant import StaffAgent, answer_text
from agents.staff.consent import ConfirmCard
from agents.staff.desk import DeskReply, StaffDesk
from bot.container import Container, load_settings
from bot.http.app import create_app
from bot.staff.telegram import StaffTelegram
from core.money import format_vnd
from core.roles import Actor, Role
from storage.database import Database
from tests.conftest import SYSTEM, Caller
from tests.factories import ACCOUNTANT, DEN, SALES, make_order, make_product, make_warehouses
from tests.fakes.openai_server import Call, FakeOpenAI, RecordedRequest, Text, ToolCalls
from tools import build_registry
from tools.context import ToolContext
from tools.registry import Registry, tool
from tools.runner import ToolRunner

KHO = Actor(role=Role.WAREHOUSE, staff_id=3, name="Tâm")
RECEIVE_20 = "nhập thêm 20 cái AT01-DEN-M vào kho HCM"
ADD_20 = Call("adjust_stock", {"sku": DEN, "warehouse_code": "HCM", "delta": 20})


@pytest.fixture
async def agent(llm_config: LLMConfig, runner: ToolRunner) -> AsyncIterator[StaffAgent]:
    made = StaffAgent(llm_config, runner)
    yield made
    await made.aclose()


@pytest.fixture
def desk(runner: ToolRunner) -> StaffDesk:
    return StaffDesk(runner, language="vi", surface="staff_page")


@pytest.fixture
async def stocked(shop: Caller) -> None:
    await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 10, "HN": 4})


async def on_hand(shop: Caller, sku: str, warehouse: str) -> int:
    found = await shop("check_stock", sku=sku)
    [variant] = found["variants"]
    return int(
        next(w["on_hand"] for w in variant["warehouses"] if w["warehouse_code"] == warehouse)
    )


def the_card(reply: DeskReply) -> ConfirmCard:
    assert reply.ok, reply.text
    [card] = reply.confirmations
    return card


def button(card: ConfirmCard, label: str) -> str:
    return next(b.payload for b in card.buttons if b.label == label)


async def test_a_stock_change_is_a_card_that_runs_once_on_confirm_and_never_on_cancel(
    stocked: None,
    shop: Caller,
    desk: StaffDesk,
    agent: StaffAgent,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(ToolCalls(ADD_20), ToolCalls(ADD_20))

    first = the_card(await answer_text(desk, agent, KHO, RECEIVE_20))
    assert first.tool == "adjust_stock"
    assert "AT01-DEN-M" in first.text
    assert "HCM" in first.text
    assert "20" in first.text
    assert [b.label for b in first.buttons] == ["Xác nhận", "Huỷ"]
    assert await on_hand(shop, DEN, "HCM") == 10  # shown, not run

    cancelled = await desk.press(KHO, button(first, "Huỷ"))
    assert cancelled.text == "Đã bỏ qua, không có gì thay đổi."
    assert await on_hand(shop, DEN, "HCM") == 10
    late = await desk.press(KHO, button(first, "Xác nhận"))  # a cancelled card stays cancelled
    assert not late.ok
    assert await on_hand(shop, DEN, "HCM") == 10

    second = the_card(await answer_text(desk, agent, KHO, RECEIVE_20))
    someone_else = Actor(role=Role.WAREHOUSE, staff_id=9, name="Khác")
    stranger = await desk.press(someone_else, button(second, "Xác nhận"))
    assert not stranger.ok
    assert await on_hand(shop, DEN, "HCM") == 10

    done = await desk.press(KHO, button(second, "Xác nhận"))
    assert (done.ok, done.text) == (True, "Đã xong.")
    again = await desk.press(KHO, button(second, "Xác nhận"))  # a double tap
    assert again.ok
    assert await on_hand(shop, DEN, "HCM") == 30

    [request] = fake_openai.requests[-1:]
    assert "adjust_stock" in request.tool_names
    audit = await shop("list_audit_log", limit=20)
    ran = [e for e in audit["entries"] if e["tool"] == "adjust_stock" and e["outcome"] == "ok"]
    assert [e["surface"] for e in ran] == ["staff_agent"]


async def test_a_read_runs_at_once_without_a_card(
    stocked: None, desk: StaffDesk, agent: StaffAgent, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        ToolCalls(Call("check_stock", {"sku": DEN})),
        lambda req: Text(f"Kho Hà Nội còn {_hn_available(req.last_tool_json('check_stock'))} cái."),
    )
    reply = await answer_text(desk, agent, KHO, "còn bao nhiêu áo thun đen size M ở kho Hà Nội?")
    assert reply.ok
    assert reply.confirmations == []
    assert reply.text == "Kho Hà Nội còn 4 cái."


def _hn_available(result: dict[str, Any]) -> int:
    [variant] = result["variants"]
    return int(next(w["available"] for w in variant["warehouses"] if w["warehouse_code"] == "HN"))


async def test_warehouse_is_not_offered_refunds_and_a_forced_call_is_refused(
    stocked: None,
    shop: Caller,
    desk: StaffDesk,
    agent: StaffAgent,
    fake_openai: FakeOpenAI,
) -> None:
    offered = {at.name for at in agent.offered(Role.WAREHOUSE)}
    assert {"adjust_stock", "receive_goods", "check_stock"} <= offered
    assert not offered & {"refund_payment", "refund_return", "issue_invoice"}
    assert "refund_payment" in {at.name for at in agent.offered(Role.ACCOUNTANT)}

    fake_openai.script(
        ToolCalls(Call("refund_payment", {"number": "DH000001"}), allow_unoffered=True),
        Text("Vai trò kho không hoàn tiền được."),
    )
    reply = await answer_text(desk, agent, KHO, "hoàn tiền đơn DH000001")
    assert reply.confirmations == []
    [request] = fake_openai.requests[:1]
    assert "refund_payment" not in request.tool_names
    refusal = fake_openai.requests[1].last_tool_json("refund_payment")
    assert refusal["error"]["code"] == "permission_denied"
    audit = await shop("list_audit_log", limit=5)
    assert any(
        e["tool"] == "refund_payment"
        and e["outcome"] == "permission_denied"
        and e["surface"] == "staff_agent"
        for e in audit["entries"]
    )


async def test_without_an_llm_free_text_gets_the_help_line(desk: StaffDesk) -> None:
    reply = await answer_text(desk, None, KHO, RECEIVE_20)
    assert "/stock SKU-or-name" in reply.text
    assert "/invoice" not in reply.text  # the warehouse's own commands only


# ---------------------------------------------------------------- through the staff page


@pytest.fixture
async def page(
    db: Database, db_url: str, registry: Registry, fake_openai: FakeOpenAI
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        database_url=db_url,
        llm_base_url=fake_openai.base_url,
        llm_api_key=fake_openai.api_key,
        llm_model="gpt-test",
        _env_file=None,
    )
    container = Container.create(settings, db=db, registry=registry)
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
        yield c


async def test_the_staff_page_shows_the_card_and_confirm_runs_it_once(
    stocked: None, shop: Caller, page: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    await shop("add_staff", SYSTEM, name="Tâm", role="warehouse")
    key = (await shop("create_api_key", SYSTEM, staff_name="Tâm"))["api_key"]
    me = (await page.post("/staff/api/login", json={"api_key": key})).json()
    headers = {"X-CSRF-Token": me["csrf"]}
    fake_openai.script(ToolCalls(ADD_20))

    resp = await page.post("/staff/api/command", json={"text": RECEIVE_20}, headers=headers)
    assert resp.status_code == 200, resp.text
    [card] = resp.json()["confirmations"]
    assert card["tool"] == "adjust_stock"
    assert await on_hand(shop, DEN, "HCM") == 10
    confirm = next(b["payload"] for b in card["buttons"] if b["label"] == "Xác nhận")

    for _ in range(2):
        pressed = await page.post("/staff/api/press", json={"payload": confirm}, headers=headers)
        assert pressed.json()["ok"], pressed.text
    assert await on_hand(shop, DEN, "HCM") == 30


# ---------------------------------------------------------------- through the Telegram adapter


async def test_telegram_sends_the_card_as_an_inline_keyboard_and_cancel_runs_nothing(
    stocked: None,
    shop: Caller,
    runner: ToolRunner,
    db: Database,
    agent: StaffAgent,
    fake_openai: FakeOpenAI,
) -> None:
    await shop("add_staff", SYSTEM, name="Tâm", role="warehouse", telegram_user_id=501)
    bot = StaffTelegram(StaffDesk(runner, language="vi", surface="telegram_staff"), db, agent)
    fake_openai.script(ToolCalls(ADD_20))
    message = {"message_id": 5, "chat": {"id": 501}, "from": {"id": 501}, "text": RECEIVE_20}

    [sent] = await bot.handle({"update_id": 7, "message": message})
    assert sent.method == "sendMessage"
    [row] = sent.params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in row] == ["Xác nhận", "Huỷ"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)

    shown = {"message_id": 6, "chat": {"id": 501}, "text": sent.params["text"]}
    callback = {"id": "cb", "from": {"id": 501}, "data": row[1]["callback_data"], "message": shown}
    answer, edit = await bot.handle({"update_id": 8, "callback_query": callback})
    assert answer.method == "answerCallbackQuery"
    assert edit.method == "editMessageText"
    assert edit.params["reply_markup"] == {"inline_keyboard": []}
    assert edit.params["text"].endswith("Đã bỏ qua, không có gì thay đổi.")
    assert await on_hand(shop, DEN, "HCM") == 10


async def test_a_refund_card_names_the_order_and_refunds_exactly_the_amount_shown(
    stocked: None,
    shop: Caller,
    desk: StaffDesk,
    agent: StaffAgent,
    fake_openai: FakeOpenAI,
) -> None:
    order = await make_order(shop, {DEN: 1}, upto=["confirmed"], payment_method="bank_transfer")
    await shop("record_payment", order_id=order["id"], amount=order["total"])
    await shop("cancel_order", SALES, order_id=order["id"], reason="khách đổi ý")
    fake_openai.script(ToolCalls(Call("refund_payment", {"number": order["number"]})))

    card = the_card(await answer_text(desk, agent, ACCOUNTANT, f"hoàn tiền đơn {order['number']}"))
    assert order["number"] in card.text
    assert format_vnd(order["total"]) in card.text
    assert (await shop("get_order", order_id=order["id"]))["paid_amount"] == order["total"]

    done = await desk.press(ACCOUNTANT, button(card, "Xác nhận"))
    assert done.ok, done.text
    [shown] = done.cards
    assert shown.number == order["number"]
    assert (await shop("get_order", order_id=order["id"]))["paid_amount"] == 0


async def test_staff_cancel_through_the_agent_uses_the_order_cancel_card(
    stocked: None,
    shop: Caller,
    desk: StaffDesk,
    agent: StaffAgent,
    fake_openai: FakeOpenAI,
) -> None:
    order = await make_order(shop, {DEN: 1})
    cancel = Call("cancel_order", {"number": order["number"], "reason": "khách đổi ý"})
    fake_openai.script(ToolCalls(cancel))

    text = f"huỷ đơn {order['number']} vì khách đổi ý"
    card = the_card(await answer_text(desk, agent, SALES, text))
    assert card.tool == "cancel_order"
    assert (await shop("get_order", order_id=order["id"]))["status"] == "new"
    done = await desk.press(SALES, card.buttons[0].payload)
    assert done.ok, done.text
    assert (await shop("get_order", order_id=order["id"]))["status"] == "cancelled"


async def test_a_receipt_card_shows_the_cost_in_dong_and_runs_once(
    stocked: None,
    shop: Caller,
    desk: StaffDesk,
    agent: StaffAgent,
    fake_openai: FakeOpenAI,
) -> None:
    line = {"sku": DEN, "quantity": 20, "unit_cost": 85_000}
    fake_openai.script(ToolCalls(Call("receive_goods", {"warehouse_code": "HCM", "lines": [line]})))

    card = the_card(await answer_text(desk, agent, KHO, "nhập thêm 20 cái AT01-DEN-M giá 85k"))
    assert card.tool == "receive_goods"
    assert "85.000₫" in card.text
    assert await on_hand(shop, DEN, "HCM") == 10
    for _ in range(2):
        assert (await desk.press(KHO, button(card, "Xác nhận"))).ok
    assert await on_hand(shop, DEN, "HCM") == 30


class _NoArgs(BaseModel):
    pass


class _Report(BaseModel):
    total: int


@tool(name="broken_report", description="A report whose query fails.", roles=[Role.WAREHOUSE])
async def _broken_report(ctx: ToolContext, inp: _NoArgs) -> _Report:
    raise RuntimeError("the report's query failed")


async def test_a_tool_failing_on_the_shops_side_is_an_error_for_the_model_and_the_other_call_runs(
    stocked: None, db: Database, llm_config: LLMConfig, fake_openai: FakeOpenAI
) -> None:
    """Two calls in one answer: the one that crashes comes back as ``internal_error`` (no
    traceback, no end of the turn), the other one's result comes back beside it, in the
    model's order, and the model answers from them."""
    registry = build_registry()
    registry.add(_broken_report)
    runner = ToolRunner(db, registry)
    agent = StaffAgent(llm_config, runner)
    desk = StaffDesk(runner, language="vi", surface="staff_page")

    def answer(req: RecordedRequest) -> Text:
        results = req.tool_results()
        assert [name for name, _ in results] == ["broken_report", "check_stock"]
        error = json.loads(results[0][1])["error"]
        assert error["code"] == "internal_error"
        assert "query failed" not in results[0][1]  # the exception's text stays in the log
        stock = json.loads(results[1][1])
        return Text(f"Báo cáo lỗi; kho Hà Nội còn {_hn_available(stock)} cái.")

    fake_openai.script(
        ToolCalls(Call("broken_report", {}), Call("check_stock", {"sku": DEN})), answer
    )
    try:
        reply = await answer_text(desk, agent, KHO, "báo cáo và tồn kho áo thun đen M?")
    finally:
        await agent.aclose()
        await runner.aclose()
    assert reply.ok
    assert reply.text == "Báo cáo lỗi; kho Hà Nội còn 4 cái."
