"""The staff desk service: cards, button presses, the handoff inbox and replies, as one actor.

Every action is a registry tool called through ``ToolRunner.call`` with the staff member's
actor, so permission, validation, the transaction and the audit row are the runner's. Domain
refusals come back as a ``DeskReply`` with ``ok=False`` and the refusal's words.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field

from agents.cards import parse_card_payload
from agents.offline import payloads as customer_payloads
from agents.offline.messages import t
from agents.offline.render import button, product_card
from agents.staff.cards import CardButton, OrderCard, build_order_card
from agents.staff.consent import STAFF_DECISIONS, ConfirmCard, outcome_text
from agents.staff.labels import Lang, word
from agents.staff.payloads import Act, Press, decode
from agents.types import Button
from core.cards import Decision
from core.errors import DomainError, InvalidInput
from core.money import format_vnd
from core.order_status import OrderStatus
from core.roles import Actor
from tools.catalog import ProductOut
from tools.handoffs import HandoffOut, ListHandoffsOut
from tools.order_models import AddressIn, OrderOut
from tools.orders import ListOrdersOut
from tools.payments import PaymentDetailsOut
from tools.pending import PendingStatus
from tools.purchasing import PurchaseOrderOut, ReceiveGoodsOut, SuggestPurchasesOut
from tools.runner import ToolRunner
from tools.warehouses import ListWarehousesOut

# What the desk lists as "orders to work on": everything not finished.
FINISHED = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.RETURNED})
_PO = re.compile(r"^(?:PO)?0*([0-9]{1,18})$", re.IGNORECASE)


class InboxCard(HandoffOut):
    """A waiting chat with the buttons this viewer may press (take, hand back)."""

    buttons: list[CardButton] = Field(default_factory=list)
    mine: bool = False  # taken by this viewer: they may reply


class EditOrder(BaseModel):
    """What the staff page's edit form may change (update_order validates each field); the
    customer's note is theirs and is not edited here."""

    buyer_name: str | None = Field(default=None, max_length=200)
    buyer_phone: str | None = Field(default=None, max_length=30)
    address: AddressIn | None = None


class DeskReply(BaseModel):
    ok: bool = True
    text: str = ""
    cards: list[OrderCard] = []
    handoffs: list[InboxCard] = []
    # Actions the staff agent proposed: shown with Confirm / Cancel, run only on Confirm.
    confirmations: list[ConfirmCard] = []


def parse_po(text: str) -> int:
    found = _PO.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise InvalidInput(f"'{text}' is not a purchase order number.", field="purchase_order")
    return int(found.group(1))


class StaffDesk:
    def __init__(
        self, runner: ToolRunner, *, language: Lang = "vi", surface: str = "staff"
    ) -> None:
        self.runner = runner
        self.lang: Lang = language
        self.surface = surface
        self._press: dict[Act, Callable[[Actor, Press], Awaitable[DeskReply]]] = {
            Act.CONFIRM: self._order_tool,
            Act.CANCEL: self._order_tool,
            Act.STATUS: self._order_tool,
            Act.EDIT: self._edit_hint,
            Act.SHIP: self._order_tool,
            Act.INVOICE: self._order_tool,
            Act.REFUND: self._order_tool,
            Act.DRAFT_PO: self._draft_for_order,
            Act.TAKE: self._take,
            Act.HAND_BACK: self._hand_back,
        }

    # --- plumbing ---------------------------------------------------------------------------

    async def call(self, name: str, args: dict[str, Any], actor: Actor) -> Any:
        return await self.runner.call(name, args, actor, surface=self.surface)

    def allows(self, actor: Actor) -> Callable[[str], bool]:
        registry = self.runner.registry
        return lambda name: name in registry and registry.get(name).allows(actor.role)

    async def guarded(self, work: Awaitable[DeskReply]) -> DeskReply:
        """Refusals become words; anything else propagates (the surface logs it)."""
        try:
            return await work
        except DomainError as exc:
            return DeskReply(ok=False, text=exc.message)

    # --- orders -----------------------------------------------------------------------------

    def render(self, order: OrderOut, actor: Actor) -> OrderCard:
        return build_order_card(order, self.allows(actor), self.lang)

    async def card(self, actor: Actor, order_id: int) -> OrderCard:
        order: OrderOut = await self.call("get_order", {"order_id": order_id}, actor)
        return self.render(order, actor)

    async def open_cards(self, actor: Actor, limit: int = 20) -> list[OrderCard]:
        """The newest orders still to be worked on, as cards for this viewer."""
        found: ListOrdersOut = await self.call("list_orders", {"limit": 100}, actor)
        ids = [o.id for o in found.orders if OrderStatus(o.status) not in FINISHED][:limit]
        return [await self.card(actor, i) for i in ids]

    async def press(self, actor: Actor, payload: str) -> DeskReply:
        """A pressed button: decoded strictly, dispatched to its tool as this actor."""

        async def run() -> DeskReply:
            card = parse_card_payload(payload)
            if card is not None:
                return await self.decide(actor, *card)
            press = decode(payload)
            return await self._press[press.act](actor, press)

        return await self.guarded(run())

    async def decide(self, actor: Actor, token: str, decision: Decision) -> DeskReply:
        """A press on a confirmation card, answered by the runner as this staff member: the
        stored call runs once on Confirm (as proposed, on the staff agent's surface), nothing
        runs on Cancel. An order the action changed comes back as its card."""
        if decision not in STAFF_DECISIONS:
            raise InvalidInput("That button is not valid.", field="payload", code="bad_payload")
        decided = await self.runner.decide(token, actor, decision)
        reply = DeskReply(
            ok=decided.status is PendingStatus.DONE or decision is Decision.CANCEL,
            text=outcome_text(decided, self.lang),
        )
        if isinstance(decided.result, OrderOut):
            reply.cards = [self.render(decided.result, actor)]
        return reply

    async def _order_tool(self, actor: Actor, press: Press) -> DeskReply:
        args: dict[str, Any] = {"order_id": press.ref}
        if press.act is Act.STATUS:
            assert press.status is not None
            args["status"] = press.status.value
        elif press.act is Act.CANCEL:
            args["reason"] = f"cancelled by {actor.name or actor.label}"
        result = await self.call(press.tool, args, actor)
        order = (
            result if isinstance(result, OrderOut) else await self.call("get_order", args, actor)
        )
        return DeskReply(text=word(self.lang, "done"), cards=[self.render(order, actor)])

    async def _edit_hint(self, actor: Actor, press: Press) -> DeskReply:
        """A surface without forms (a Telegram chat) says where orders are edited."""
        return DeskReply(
            text=word(self.lang, "edit_how"), cards=[await self.card(actor, press.ref)]
        )

    async def edit_order(self, actor: Actor, order_id: int, changes: EditOrder) -> DeskReply:
        """The edit form's answer: only the fields given change (update_order's rules)."""

        async def run() -> DeskReply:
            args = {"order_id": order_id, **changes.model_dump(exclude_none=True)}
            order: OrderOut = await self.call("update_order", args, actor)
            return DeskReply(text=word(self.lang, "done"), cards=[self.render(order, actor)])

        return await self.guarded(run())

    # --- purchasing -------------------------------------------------------------------------

    async def _draft_for_order(self, actor: Actor, press: Press) -> DeskReply:
        order: OrderOut = await self.call("get_order", {"order_id": press.ref}, actor)
        skus = {s.sku for s in order.purchase_suggestions}
        reply = await self.draft_purchase_orders(actor, skus)
        reply.cards = [self.render(order, actor)]
        return reply

    async def default_warehouse(self, actor: Actor) -> str:
        found: ListWarehousesOut = await self.call("list_warehouses", {}, actor)
        if not found.warehouses:
            raise InvalidInput("There is no warehouse yet.", field="warehouse_code")
        mains = [w for w in found.warehouses if w.kind == "main"]
        return (mains or found.warehouses)[0].code

    async def draft_purchase_orders(self, actor: Actor, skus: set[str] | None) -> DeskReply:
        """Draft POs from the purchase suggestions (only ``skus`` when given), one per supplier
        the variants were last bought from; variants never bought are named, not guessed."""
        advice: SuggestPurchasesOut = await self.call("suggest_purchases", {}, actor)
        warehouse = await self.default_warehouse(actor)
        made: list[str] = []
        unknown: list[str] = []
        for group in advice.suppliers:
            lines = [ln for ln in group.lines if skus is None or ln.sku in skus]
            if not lines:
                continue
            if group.supplier_id is None:
                unknown += [ln.sku for ln in lines]
                continue
            po: PurchaseOrderOut = await self.call(
                "create_purchase_order",
                {
                    "supplier_id": group.supplier_id,
                    "warehouse_code": warehouse,
                    "lines": [
                        {
                            "sku": ln.sku,
                            "quantity": ln.suggested_quantity,
                            "unit_cost": ln.unit_cost,
                        }
                        for ln in lines
                    ],
                    "note": "drafted from purchase suggestions",
                },
                actor,
            )
            made.append(f"{po.number} · {po.supplier_name} · {po.units_ordered}")
        text = "\n".join(made) or "—"
        if unknown:
            text += "\n" + word(self.lang, "no_supplier", skus=", ".join(unknown))
        return DeskReply(ok=bool(made), text=text)

    async def receive_purchase_order(
        self, actor: Actor, po_text: str, key: str | None = None
    ) -> DeskReply:
        """Everything still expected on a PO arrives (a draft is confirmed first); waiting
        orders that the stock completes are confirmed by the runner and shown as cards."""
        po_id = parse_po(po_text)
        po: PurchaseOrderOut = await self.call(
            "get_purchase_order", {"purchase_order_id": po_id}, actor
        )
        if po.status == "draft":
            po = await self.call("confirm_purchase_order", {"purchase_order_id": po_id}, actor)
        lines = [{"sku": ln.sku, "quantity": ln.remaining} for ln in po.lines if ln.remaining > 0]
        if not lines:
            return DeskReply(ok=False, text=word(self.lang, "nothing_to_receive", po=po.number))
        args: dict[str, Any] = {"purchase_order_id": po_id, "lines": lines}
        if key:
            args["idempotency_key"] = key
        got: ReceiveGoodsOut = await self.call("receive_goods", args, actor)
        cards = [await self.card(actor, i) for i in got.allocated_order_ids]
        released = ", ".join(got.allocated_order_numbers) or "—"
        return DeskReply(
            text=f"{got.number}: {got.total_units} → {got.warehouse_code}. ✓ {released}",
            cards=cards,
        )

    # --- the handoff inbox ------------------------------------------------------------------

    async def inbox(self, actor: Actor) -> DeskReply:
        found: ListHandoffsOut = await self.call("list_handoffs", {}, actor)
        return DeskReply(handoffs=[self._inbox_card(h, actor) for h in found.handoffs])

    def _inbox_card(self, h: HandoffOut, actor: Actor) -> InboxCard:
        allows = self.allows(actor)
        mine = h.taken_by is not None and h.taken_by == actor.staff_id
        presses: list[tuple[str, Press]] = []
        if h.taken_by is None:
            presses.append((word(self.lang, "take"), Press(Act.TAKE, h.id)))
        if mine:
            presses.append((word(self.lang, "hand_back"), Press(Act.HAND_BACK, h.conversation_id)))
        return InboxCard(
            **h.model_dump(),
            mine=mine,
            buttons=[
                CardButton(label=label, payload=p.encode())
                for label, p in presses
                if allows(p.tool)
            ],
        )

    async def _take(self, actor: Actor, press: Press) -> DeskReply:
        await self.call("take_handoff", {"handoff_id": press.ref}, actor)
        return await self.inbox(actor)

    async def _hand_back(self, actor: Actor, press: Press) -> DeskReply:
        await self.call("hand_back_conversation", {"conversation_id": press.ref}, actor)
        return await self.inbox(actor)

    async def reply(
        self,
        actor: Actor,
        handoff_id: int,
        *,
        text: str = "",
        product_code: str | None = None,
        order_number: str | None = None,
    ) -> DeskReply:
        """A staff answer: text, plus a product card and/or an order's payment QR code."""

        async def run() -> DeskReply:
            args: dict[str, Any] = {"handoff_id": handoff_id, "text": text}
            lang = await self._customer_language(actor, handoff_id)
            if product_code:
                product: ProductOut = await self.call(
                    "get_product", {"code": product_code.strip()}, actor
                )
                card = product_card(product, lang)
                card.buttons = [
                    customer_button(lang, "btn_view", customer_payloads.product(product.id))
                ]
                args["cards"] = [card.model_dump()]
            if order_number:
                pay: PaymentDetailsOut = await self.call(
                    "get_payment_details", {"number": order_number.strip()}, actor
                )
                if pay.vietqr is None:
                    raise InvalidInput(
                        f"{pay.number}: nothing to pay by transfer, or no bank account is set.",
                        field="order_number",
                    )
                args["qr"] = pay.vietqr
                if not text.strip():
                    args["text"] = payment_text(pay, lang)
            await self.call("reply_to_customer", args, actor)
            return await self.inbox(actor)

        return await self.guarded(run())

    async def _customer_language(self, actor: Actor, handoff_id: int) -> Lang:
        found: ListHandoffsOut = await self.call("list_handoffs", {"limit": 200}, actor)
        for h in found.handoffs:
            if h.id == handoff_id:
                return "en" if h.language == "en" else "vi"
        return self.lang


def customer_button(lang: Lang, key: str, payload: str) -> Button:
    return button(t(lang, key), payload)


def payment_text(pay: PaymentDetailsOut, lang: Lang) -> str:
    bank = pay.bank
    account = f"{bank.bank_name} {bank.account_number} ({bank.account_name})" if bank else ""
    if lang == "en":
        return (
            f"Order {pay.number}: please transfer {format_vnd(pay.amount_due)} to {account}, "
            f"note «{pay.transfer_note}». You can scan the QR code."
        )
    return (
        f"Đơn {pay.number}: bạn chuyển khoản {format_vnd(pay.amount_due)} vào {account}, "
        f"nội dung «{pay.transfer_note}». Bạn có thể quét mã QR."
    )
