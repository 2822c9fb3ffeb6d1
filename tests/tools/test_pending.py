"""Consent as a property of the tool (tools/pending.py, ToolRunner.propose/decide): a tool that
needs the person's confirmation cannot be run by an agent; proposed, it is stored with the card
rendered from its exact arguments, and runs once, with those arguments, when the same person
confirms that card — never for anyone else, never twice, never after it expired or was
replaced."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from core.cards import CardKind, Decision
from core.errors import Conflict, InvalidInput, NotFound
from core.roles import Actor, Role
from storage.database import Database
from storage.models import Order, PendingAction
from storage.pending import PendingStatus
from tests.conftest import Caller
from tests.factories import ADDRESS, DEN, count_rows, make_product, make_warehouses
from tools.runner import ToolRunner

BUYER = {"buyer_name": "Lan", "buyer_phone": "0901234567", "address": ADDRESS}


@pytest.fixture
async def lan(shop: Caller) -> Actor:
    await make_warehouses(shop)
    await make_product(shop, stock={"HCM": 3})
    customer = await shop("create_customer", name="Lan")
    return Actor.customer(customer["id"])


async def propose_order(
    runner: ToolRunner,
    actor: Actor,
    quantity: int = 1,
    conversation_id: int | None = 1,
    **more: Any,
) -> Any:
    args = {"lines": [{"sku": DEN, "quantity": quantity}], **BUYER, **more}
    return await runner.propose("place_order", args, actor, conversation_id=conversation_id)


def test_the_registry_says_which_tools_need_a_persons_confirmation(runner: ToolRunner) -> None:
    confirmed = {t.name for t in runner.registry.all() if t.needs_confirmation}
    assert {"place_order", "cancel_order"} <= confirmed
    assert "search_products" not in confirmed
    described = {d["name"]: d for d in (t.describe() for t in runner.registry.all())}
    assert described["place_order"]["needs_confirmation"] is True


@pytest.mark.parametrize("surface", ["agent", "chat:web", "chat:telegram", "staff_agent"])
async def test_an_agent_cannot_run_a_confirmable_tool_directly(
    runner: ToolRunner, lan: Actor, db: Database, surface: str
) -> None:
    with pytest.raises(Conflict) as err:
        await runner.call(
            "place_order", {"lines": [{"sku": DEN, "quantity": 1}], **BUYER}, lan, surface=surface
        )
    assert err.value.code == "confirmation_required"
    assert await count_rows(db, Order) == {"orders": 0}


async def test_a_proposal_runs_nothing_and_its_card_shows_what_would_run(
    runner: ToolRunner, lan: Actor, db: Database
) -> None:
    proposal = await propose_order(runner, lan, quantity=2, note="gọi trước khi giao")
    card = proposal.card
    assert card.kind is CardKind.PLACE_ORDER
    assert [(ln.sku, ln.quantity, ln.unit_price) for ln in card.lines] == [(DEN, 2, 150_000)]
    assert card.totals is not None
    assert card.totals.total == 330_000
    fields = {f.key: f for f in card.fields}
    assert fields["buyer_phone"].value == "+84901234567"
    assert fields["note"].customer_written
    assert await count_rows(db, Order) == {"orders": 0}


async def test_confirming_runs_exactly_the_stored_call_once(
    runner: ToolRunner, lan: Actor, db: Database
) -> None:
    proposal = await propose_order(runner, lan)
    results = await asyncio.gather(
        *(runner.decide(proposal.token, lan, Decision.CONFIRM, conversation_id=1) for _ in range(5))
    )
    assert {r.status for r in results} == {PendingStatus.DONE}
    numbers = {r.result.model_dump()["number"] for r in results if r.result is not None}
    assert len(numbers) == 1
    assert await count_rows(db, Order) == {"orders": 1}
    order = results[0].result
    assert order is not None
    assert order.model_dump()["buyer_name"] == "Lan"


async def test_someone_elses_card_or_another_conversations_is_unknown(
    runner: ToolRunner, lan: Actor, shop: Caller, db: Database
) -> None:
    proposal = await propose_order(runner, lan)
    minh = Actor.customer((await shop("create_customer", name="Minh"))["id"])
    for actor, conversation in ((minh, 1), (lan, 2), (Actor.system(), 1)):
        with pytest.raises(NotFound) as err:
            await runner.decide(
                proposal.token, actor, Decision.CONFIRM, conversation_id=conversation
            )
        assert err.value.code == "unknown_card"
    assert await count_rows(db, Order) == {"orders": 0}


async def test_a_declined_expired_or_replaced_card_runs_nothing(
    runner: ToolRunner, lan: Actor, db: Database
) -> None:
    declined = await propose_order(runner, lan)
    assert (await runner.decide(declined.token, lan, Decision.CANCEL)).status is (
        PendingStatus.CANCELLED
    )
    assert (await runner.decide(declined.token, lan, Decision.CONFIRM)).status is (
        PendingStatus.CANCELLED
    )

    replaced = await propose_order(runner, lan)
    newer = await propose_order(runner, lan, quantity=2)  # same conversation: supersedes
    assert (await runner.decide(replaced.token, lan, Decision.CONFIRM)).status is (
        PendingStatus.SUPERSEDED
    )

    async with db.transaction() as tx:
        await tx.session.execute(
            update(PendingAction)
            .where(PendingAction.token == newer.token)
            .values(expires_at=tx.now - timedelta(seconds=1))
        )
    assert (await runner.decide(newer.token, lan, Decision.CONFIRM)).status is (
        PendingStatus.EXPIRED
    )
    assert await count_rows(db, Order) == {"orders": 0}


async def test_a_confirmation_that_can_no_longer_run_fails_cleanly_once(
    runner: ToolRunner, lan: Actor, shop: Caller, db: Database
) -> None:
    proposal = await propose_order(runner, lan, quantity=3)
    # A hold is soft: stock written off meanwhile is gone for Lan too.
    await shop("adjust_stock", sku=DEN, warehouse_code="HCM", delta=-3, reason="damaged")
    decided = await runner.decide(proposal.token, lan, Decision.CONFIRM)
    assert decided.status is PendingStatus.FAILED
    assert decided.error is not None
    again = await runner.decide(proposal.token, lan, Decision.CONFIRM)
    assert again.status is PendingStatus.FAILED
    assert await count_rows(db, Order) == {"orders": 0}


async def test_the_buyer_on_the_card_is_the_buyer_of_the_order(
    runner: ToolRunner, lan: Actor, shop: Caller
) -> None:
    """A quote with a buyer is what the customer confirmed: placing it with other details is
    refused, not quietly applied."""
    proposal = await propose_order(runner, lan)
    token = proposal.card.token
    decided = await runner.decide(token, lan, Decision.CONFIRM)
    assert decided.result is not None
    placed = decided.result.model_dump()
    assert (placed["buyer_name"], placed["buyer_phone"]) == ("Lan", "+84901234567")
    quote = await shop(
        "quote_order",
        lan,
        lines=[{"sku": DEN, "quantity": 1}],
        **BUYER,
    )
    with pytest.raises(InvalidInput) as err:
        await shop("place_order", lan, quote_token=quote["quote_token"], buyer_name="Kẻ Gian")
    assert err.value.code == "buyer_in_quote"


async def test_a_cancellation_card_names_the_order_and_runs_on_yes(
    runner: ToolRunner, lan: Actor, shop: Caller
) -> None:
    order = await shop("place_order", lan, lines=[{"sku": DEN, "quantity": 1}], **BUYER)
    proposal = await runner.propose(
        "cancel_order", {"number": order["number"]}, lan, conversation_id=1
    )
    assert proposal.card.kind is CardKind.CANCEL_ORDER
    assert {f.key: f.value for f in proposal.card.fields}["order"] == order["number"]
    assert (await shop("get_order", number=order["number"]))["status"] == "new"
    await runner.decide(proposal.token, lan, Decision.CONFIRM)
    assert (await shop("get_order", number=order["number"]))["status"] == "cancelled"


async def test_a_payment_recorded_by_an_agent_is_a_card_first(
    runner: ToolRunner, lan: Actor, shop: Caller, db: Database
) -> None:
    order = await shop("place_order", lan, lines=[{"sku": DEN, "quantity": 1}], **BUYER)
    accountant = Actor(role=Role.ACCOUNTANT, staff_id=7, name="Thu")
    args = {"order_id": order["id"], "amount": 50_000, "method": "bank_transfer"}
    with pytest.raises(Conflict) as err:
        await runner.call("record_payment", args, accountant, surface="staff_agent")
    assert err.value.code == "confirmation_required"
    proposal = await runner.propose("record_payment", args, accountant, conversation_id=None)
    assert "50.000" in " ".join(f.value for f in proposal.card.fields)
    assert (await shop("get_order", order_id=order["id"]))["paid_amount"] == 0
    await runner.decide(proposal.token, accountant, Decision.CONFIRM)
    await runner.decide(proposal.token, accountant, Decision.CONFIRM)
    assert (await shop("get_order", order_id=order["id"]))["paid_amount"] == 50_000
