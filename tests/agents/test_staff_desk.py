"""The staff desk: order cards whose buttons follow the order's state and the viewer's role,
presses dispatched to the tools, commands parsed once for every surface."""

from __future__ import annotations

import pytest

from agents.staff.cards import OrderCard
from agents.staff.commands import SPECS, UsageError, parse, run_command
from agents.staff.desk import EditOrder, StaffDesk
from agents.staff.payloads import MAX_PAYLOAD, Act, Press, decode
from core.errors import InvalidInput
from core.roles import Actor, Role
from tests.conftest import OWNER, Caller
from tests.factories import ACCOUNTANT, KEEPER, SALES, make_order, make_product, make_warehouses
from tools.runner import ToolRunner

MANAGER = Actor(role=Role.MANAGER, staff_id=5, name="Minh")


@pytest.fixture
def desk(runner: ToolRunner) -> StaffDesk:
    return StaffDesk(runner, language="en")


def by_label(card: OrderCard, label: str) -> str:
    found = [b.payload for b in card.buttons if b.label == label]
    assert found, f"no '{label}' button on {card.number} ({card.status}): {card.buttons}"
    return found[0]


def labels(card: OrderCard) -> list[str]:
    return [b.label for b in card.buttons]


async def test_buttons_walk_an_order_from_new_to_completed(shop: Caller, desk: StaffDesk) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 2}, note="Giao giờ hành chính")
    card = await desk.card(SALES, order["id"])
    assert card.status == "new"
    assert card.note is not None
    assert card.note.customer_written is False
    assert [ln.stock for ln in card.lines] == ["reserved"]
    for label, status in [
        ("Confirm", "confirmed"),
        ("Start packing", "packing"),
        ("Mark packed", "ready_to_ship"),
        ("Handed to carrier", "shipping"),
        ("Delivered", "delivered"),
        ("Completed", "completed"),
    ]:
        reply = await desk.press(SALES, by_label(card, label))
        assert reply.ok, reply.text
        [card] = reply.cards
        assert card.status == status
    assert [ln.stock for ln in card.lines] == ["shipped"]
    assert "Confirm" not in labels(card)


async def test_every_button_payload_fits_telegram_and_decodes(
    shop: Caller, desk: StaffDesk
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(
        shop, {"AT01-DEN-M": 1}, upto=["confirmed", "packing", "ready_to_ship"]
    )
    card = await desk.card(OWNER, order["id"])
    for b in card.buttons:
        assert len(b.payload.encode()) <= MAX_PAYLOAD
        assert decode(b.payload).ref == order["id"]
    ship = [b for b in card.buttons if decode(b.payload).act is Act.SHIP]
    assert ship
    assert ship[0].note == "not set up yet"
    reply = await desk.press(OWNER, ship[0].payload)
    assert (reply.ok, reply.text) == (False, "Booking shipments is not set up yet.")


@pytest.mark.parametrize("payload", ["", "zz:1", "os:1", "oc:1:packing", "os:1:flying", "oc:x"])
def test_a_forged_payload_is_refused(payload: str) -> None:
    with pytest.raises(InvalidInput):
        decode(payload)


async def test_warehouse_sees_no_invoice_or_refund_and_is_refused_if_it_calls_them(
    shop: Caller, desk: StaffDesk
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(
        shop, {"AT01-DEN-M": 1}, upto=["confirmed"], payment_method="bank_transfer"
    )
    await shop("record_payment", order_id=order["id"], amount=order["total"])
    await shop("cancel_order", SALES, order_id=order["id"], reason="test")
    paid_back = await desk.card(ACCOUNTANT, order["id"])
    assert any(decode(b.payload).act is Act.REFUND for b in paid_back.buttons)
    keeper_card = await desk.card(KEEPER, order["id"])
    assert keeper_card.buttons == []

    live = await make_order(shop, {"AT01-DEN-M": 1}, upto=["confirmed"])
    keeper = await desk.card(KEEPER, live["id"])
    acts = {decode(b.payload).act for b in keeper.buttons}
    assert Act.INVOICE not in acts
    assert Act.REFUND not in acts
    assert Act.CANCEL not in acts
    assert Act.STATUS in acts  # packing is theirs
    assert Act.INVOICE in {
        decode(b.payload).act for b in (await desk.card(ACCOUNTANT, live["id"])).buttons
    }

    for press in (Press(Act.INVOICE, live["id"]), Press(Act.REFUND, order["id"])):
        reply = await desk.press(KEEPER, press.encode())
        assert not reply.ok
        assert "may not use" in reply.text
    audit = await run_command(desk, OWNER, "/audit 2")
    assert audit.text.count("permission_denied") == 2


async def test_po_and_receive_release_an_order_waiting_for_stock(
    shop: Caller, desk: StaffDesk
) -> None:
    await make_warehouses(shop)
    await make_product(
        shop,
        "QJ01",
        "Quần jean",
        variants=[{"sku": "QJ01-30", "options": {"Size": "30"}}],
        stock={},
    )
    await shop("create_supplier", code="NCC01", name="Xưởng may A")
    order = await make_order(shop, {"QJ01-30": 3})
    card = await desk.card(MANAGER, order["id"])
    assert card.status == "awaiting_stock"
    assert [(s.sku, s.missing) for s in card.purchase_suggestions] == [("QJ01-30", 3)]
    assert [ln.stock for ln in card.lines] == ["short 3"]
    draft = await desk.press(MANAGER, by_label(card, "Draft purchase order"))
    assert not draft.ok
    assert "QJ01-30" in draft.text

    made = await run_command(desk, MANAGER, "/po NCC01 QJ01-30:5:120000")
    assert made.ok, made.text
    number = made.text.split(" · ")[0]
    received = await run_command(desk, MANAGER, f"/receive {number}")
    assert received.ok, received.text
    assert order["number"] in received.text
    [released] = received.cards
    assert (released.number, released.status) == (order["number"], "confirmed")

    # Bought once, the supplier is known: the card's button drafts the next PO by itself.
    second = await make_order(shop, {"QJ01-30": 4})
    card = await desk.card(MANAGER, second["id"])
    drafted = await desk.press(MANAGER, by_label(card, "Draft purchase order"))
    assert drafted.ok
    assert "Xưởng may A" in drafted.text


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/order", "/order NUMBER"),
        ("/order abc", "/order NUMBER"),
        ("/report yearly", "/report [today|week|month]"),
        ("/audit 0", "/audit [n]"),
        ("/receive", "/receive PO"),
        ("/po NCC01 QJ01-30", "/po  |  /po SUPPLIER SKU:QTY:COST ..."),
        ("/lowstock now", "/lowstock"),
    ],
)
def test_a_wrong_command_gets_its_usage_line(text: str, usage: str) -> None:
    with pytest.raises(UsageError) as err:
        parse(text)
    assert err.value.message == f"Usage: {usage}"


def test_commands_parse_with_a_telegram_bot_suffix() -> None:
    cmd = parse("/orders@shop_staff_bot Nguyễn Văn")
    assert (cmd.name, cmd.rest) == ("orders", "Nguyễn Văn")


async def test_commands_answer_from_the_tools(shop: Caller, desk: StaffDesk) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1})
    listed = await run_command(desk, SALES, "/orders new")
    assert order["number"] in listed.text
    shown = await run_command(desk, SALES, f"/order {order['number']}")
    assert shown.cards[0].number == order["number"]
    stock = await run_command(desk, KEEPER, "/stock AT01-DEN-M")
    assert "AT01-DEN-M" in stock.text
    assert "HCM 9" in stock.text
    by_name = await run_command(desk, KEEPER, "/stock áo thun")
    assert "AT01-TRANG-L" in by_name.text
    refused = await run_command(desk, KEEPER, f"/invoice {order['number']}")
    assert not refused.ok
    assert "may not use issue_invoice" in refused.text
    not_yet = await run_command(desk, ACCOUNTANT, f"/invoice {order['number']}")
    assert not_yet.text == "Issuing invoices is not set up yet."
    report = await run_command(desk, MANAGER, "/report week")
    assert report.ok
    assert "1 orders" in report.text
    helped = await run_command(desk, KEEPER, "/help")
    assert "/invoice ORDER" not in helped.text
    assert "/stock SKU-or-name" in helped.text
    assert set(SPECS) == {
        line.split()[0][1:] for line in (await run_command(desk, OWNER, "/help")).text.splitlines()
    }


async def test_help_needs_no_tool_and_unknown_commands_point_to_it(desk: StaffDesk) -> None:
    unknown = await run_command(desk, SALES, "/fly")
    assert (unknown.ok, unknown.text) == (False, "Unknown command /fly; /help lists them.")


async def test_an_editable_order_is_edited_by_sales_not_by_the_warehouse(
    shop: Caller, desk: StaffDesk
) -> None:
    await make_warehouses(shop)
    await make_product(shop)
    order = await make_order(shop, {"AT01-DEN-M": 1})
    edit = [b for b in (await desk.card(SALES, order["id"])).buttons if b.form == "edit_order"]
    assert [b.label for b in edit] == ["Edit"]
    assert all(b.form is None for b in (await desk.card(KEEPER, order["id"])).buttons)
    hint = await desk.press(SALES, edit[0].payload)  # a surface without forms
    assert "staff page" in hint.text
    done = await desk.edit_order(
        SALES,
        order["id"],
        EditOrder(buyer_phone="0987 654 321", address={"line": "10 Tràng Thi", "province": "HN"}),
    )
    assert done.ok, done.text
    assert (done.cards[0].buyer_phone, done.cards[0].address) == (
        "+84987654321",
        "10 Tràng Thi, HN",
    )
    refused = await desk.edit_order(KEEPER, order["id"], EditOrder(buyer_name="X"))
    assert not refused.ok
    shipped = await make_order(shop, {"AT01-DEN-M": 1}, upto=["confirmed", "packing"])
    assert all(b.form is None for b in (await desk.card(SALES, shipped["id"])).buttons)
