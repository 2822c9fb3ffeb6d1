"""Staff commands, one parser for every surface (Telegram staff bot, the staff page's box).

``parse`` turns ``/name args...`` into a ``Command`` or refuses with the command's usage line;
``run_command`` maps each command onto registry tools through the desk, as the staff member.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agents.staff.desk import DeskReply, StaffDesk
from agents.staff.labels import word
from core.errors import DomainError, InvalidInput, NotFound
from core.money import format_vnd
from core.order_status import OrderStatus
from core.roles import Actor
from tools.audit import AuditOut
from tools.catalog import SearchProductsOut
from tools.order_models import OrderOut
from tools.orders import ListOrdersOut
from tools.reports import LowStockOut, SalesReportOut
from tools.returns import ReturnOut
from tools.stock import CheckStockOut
from tools.stocktakes import ListStocktakesOut

_ORDER_NUMBER = re.compile(r"^(?:DH)?#?0*[1-9][0-9]{0,17}$", re.IGNORECASE)
_PO_LINE = re.compile(r"^([^:\s]{1,64}):([0-9]{1,6}):([0-9]{1,12})$")
PERIODS = ("today", "week", "month")


@dataclasses.dataclass(frozen=True)
class Spec:
    usage: str
    tool: str | None  # the registry tool it needs (/help shows only what the role may use)
    min_args: int = 0
    max_args: int | None = 0  # None: any number


SPECS: dict[str, Spec] = {
    "orders": Spec("/orders [status|search]", "list_orders", 0, None),
    "order": Spec("/order NUMBER", "get_order", 1, 1),
    "stock": Spec("/stock SKU-or-name", "check_stock", 1, None),
    "lowstock": Spec("/lowstock", "low_stock_report"),
    "po": Spec("/po  |  /po SUPPLIER SKU:QTY:COST ...", "create_purchase_order", 0, None),
    "receive": Spec("/receive PO", "receive_goods", 1, 1),
    "ship": Spec("/ship ORDER", "book_shipment", 1, 1),
    "invoice": Spec("/invoice ORDER", "issue_invoice", 1, 1),
    "return": Spec("/return ORDER [reason]", "create_return", 1, None),
    "stocktake": Spec("/stocktake [WAREHOUSE]", "list_stocktakes", 0, 1),
    "report": Spec("/report [today|week|month]", "sales_report", 0, 1),
    "audit": Spec("/audit [n]", "list_audit_log", 0, 1),
    "inbox": Spec("/inbox", "list_handoffs"),
    "reply": Spec("/reply HANDOFF [sp:PRODUCT] [pay:ORDER] TEXT", "reply_to_customer", 2, None),
    "help": Spec("/help", None),
}


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]

    @property
    def rest(self) -> str:
        return " ".join(self.args)


class UsageError(InvalidInput):
    code = "usage"


def _usage(name: str) -> UsageError:
    return UsageError(f"Usage: {SPECS[name].usage}", field="command")


def parse(text: str) -> Command:
    """``/orders new`` -> Command("orders", ("new",)); a bad one is refused with its usage."""
    words = (text or "").strip().split()
    if not words or not words[0].startswith("/"):
        raise UsageError("Commands start with /; /help lists them.", field="command")
    name = words[0][1:].split("@", 1)[0].lower()  # Telegram adds @botname in groups
    spec = SPECS.get(name)
    if spec is None:
        raise UsageError(f"Unknown command /{name}; /help lists them.", field="command")
    args = tuple(words[1:])
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        raise _usage(name)
    checks: dict[str, Callable[[tuple[str, ...]], bool]] = {
        "order": lambda a: bool(_ORDER_NUMBER.match(a[0])),
        "ship": lambda a: bool(_ORDER_NUMBER.match(a[0])),
        "invoice": lambda a: bool(_ORDER_NUMBER.match(a[0])),
        "return": lambda a: bool(_ORDER_NUMBER.match(a[0])),
        "report": lambda a: not a or a[0].lower() in PERIODS,
        "audit": lambda a: not a or (a[0].isdigit() and 1 <= int(a[0]) <= 200),
        "reply": lambda a: a[0].lstrip("#").isdigit(),
        "po": lambda a: not a or (len(a) >= 2 and all(_PO_LINE.match(x) for x in a[1:])),
    }
    check = checks.get(name)
    if check is not None and not check(args):
        raise _usage(name)
    return Command(name, args)


Handler = Callable[[StaffDesk, Actor, Command, str | None], Awaitable[DeskReply]]


async def run_command(
    desk: StaffDesk, actor: Actor, text: str, *, key: str | None = None
) -> DeskReply:
    """Parses and runs one command; refusals (usage, permission, state) become the reply."""

    async def run() -> DeskReply:
        cmd = parse(text)
        return await HANDLERS[cmd.name](desk, actor, cmd, key)

    try:
        return await run()
    except DomainError as exc:
        return DeskReply(ok=False, text=exc.message)


# --- handlers -------------------------------------------------------------------------------


async def _orders(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    args: dict[str, Any] = {"limit": 20}
    if cmd.args:
        try:
            args["status"] = OrderStatus(cmd.rest.lower()).value
        except ValueError:
            args["search"] = cmd.rest
    found: ListOrdersOut = await desk.call("list_orders", args, actor)
    lines = [
        f"{o.number} · {o.status} · {o.buyer_name} · {format_vnd(o.total)}" for o in found.orders
    ]
    return DeskReply(text="\n".join(lines) or "—")


async def _order(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    order: OrderOut = await desk.call("get_order", {"number": cmd.args[0]}, actor)
    card = desk.render(order, actor)
    return DeskReply(text=card.text, cards=[card])


async def _stock(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    try:
        found: CheckStockOut = await desk.call("check_stock", {"sku": cmd.rest}, actor)
    except NotFound:
        hits: SearchProductsOut = await desk.call(
            "search_products", {"query": cmd.rest, "limit": 1}, actor
        )
        if not hits.results:
            return DeskReply(ok=False, text=f"Nothing matches '{cmd.rest}'.")
        found = await desk.call("check_stock", {"product_code": hits.results[0].code}, actor)
    lines = [found.product_name]
    for v in found.variants:
        where = ", ".join(f"{w.warehouse_code} {w.available}" for w in v.warehouses or [])
        lines.append(f"{v.sku} · {v.name}: {v.available} ({where})")
    return DeskReply(text="\n".join(lines))


async def _lowstock(desk: StaffDesk, actor: Actor, _cmd: Command, _key: str | None) -> DeskReply:
    found: LowStockOut = await desk.call("low_stock_report", {}, actor)
    lines = [
        f"{w.warehouse_code} · {i.sku} · {i.name}: {i.available} / {i.reorder_point} "
        f"→ +{i.suggested_quantity}"
        for w in found.warehouses
        for i in w.items
    ]
    return DeskReply(text="\n".join(lines) or "—")


async def _po(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    if not cmd.args:
        return await desk.draft_purchase_orders(actor, None)
    lines = []
    for item in cmd.args[1:]:
        found = _PO_LINE.match(item)
        assert found is not None  # parse checked it
        sku, qty, cost = found.groups()
        lines.append({"sku": sku, "quantity": int(qty), "unit_cost": int(cost)})
    po = await desk.call(
        "create_purchase_order",
        {
            "supplier_code": cmd.args[0],
            "warehouse_code": await desk.default_warehouse(actor),
            "lines": lines,
        },
        actor,
    )
    return DeskReply(text=f"{po.number} · {po.supplier_name} · {po.units_ordered}")


async def _receive(desk: StaffDesk, actor: Actor, cmd: Command, key: str | None) -> DeskReply:
    return await desk.receive_purchase_order(actor, cmd.args[0], key)


async def _order_tool(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    """/ship and /invoice: their tools say "not set up yet" until the integrations land."""
    tool = SPECS[cmd.name].tool
    assert tool is not None
    await desk.call(tool, {"number": cmd.args[0]}, actor)
    return DeskReply(text="OK")


async def _return(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    order: OrderOut = await desk.call("get_order", {"number": cmd.args[0]}, actor)
    made: ReturnOut = await desk.call(
        "create_return",
        {
            "order_id": order.id,
            "lines": [{"order_line_id": ln.id, "quantity": ln.quantity} for ln in order.lines],
            "reason": " ".join(cmd.args[1:]) or f"return opened by {actor.name or actor.label}",
        },
        actor,
    )
    return DeskReply(text=f"{made.number} · {made.order_number} · {made.status}")


async def _stocktake(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    if cmd.args:
        started = await desk.call("start_stocktake", {"warehouse_code": cmd.args[0]}, actor)
        return DeskReply(text=f"#{started.id} · {cmd.args[0]} · {started.status}")
    found: ListStocktakesOut = await desk.call("list_stocktakes", {}, actor)
    lines = [f"#{s.id} · {s.warehouse_code} · {s.status}" for s in found.stocktakes]
    return DeskReply(text="\n".join(lines) or "—")


def period(name: str, today: date) -> tuple[date, date]:
    if name == "week":
        return today - timedelta(days=6), today
    if name == "month":
        return today.replace(day=1), today
    return today, today


async def _report(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    today = datetime.now(ZoneInfo(desk.runner.config.timezone)).date()
    start, end = period(cmd.args[0].lower() if cmd.args else "today", today)
    found: SalesReportOut = await desk.call(
        "sales_report", {"date_from": start.isoformat(), "date_to": end.isoformat()}, actor
    )
    t = found.total
    return DeskReply(
        text=f"{start} → {end}: {t.orders} orders, {t.units} units, "
        f"gross {format_vnd(t.gross)}, net {format_vnd(t.net_revenue)}"
    )


async def _audit(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    limit = int(cmd.args[0]) if cmd.args else 10
    found: AuditOut = await desk.call("list_audit_log", {"limit": limit}, actor)
    lines = [
        f"{e.at:%Y-%m-%d %H:%M} · {e.actor} · {e.tool} · {e.surface} · {e.outcome}"
        for e in found.entries
    ]
    return DeskReply(text="\n".join(lines) or "—")


async def _inbox(desk: StaffDesk, actor: Actor, _cmd: Command, _key: str | None) -> DeskReply:
    reply = await desk.inbox(actor)
    reply.text = (
        "\n".join(
            f"#{h.id} · {h.channel} · {h.customer_name} · {h.waiting_seconds // 60} min · "
            f"{h.taken_by_name or '—'} · {h.reason}"
            for h in reply.handoffs
        )
        or "—"
    )
    return reply


async def _reply(desk: StaffDesk, actor: Actor, cmd: Command, _key: str | None) -> DeskReply:
    """Text, and (``sp:CODE``) a product card and/or (``pay:ORDER``) that order's payment
    details with its VietQR code, as on the page."""
    product: str | None = None
    order: str | None = None
    words: list[str] = []
    for arg in cmd.args[1:]:
        kind, _, value = arg.partition(":")
        if kind.lower() in ("sp", "product") and value:
            product = value
        elif kind.lower() in ("pay", "tt") and value:
            order = value
        else:
            words.append(arg)
    reply = await desk.reply(
        actor,
        int(cmd.args[0].lstrip("#")),
        text=" ".join(words),
        product_code=product,
        order_number=order,
    )
    if reply.ok:
        reply.text = word(desk.lang, "done")
    return reply


async def _help(desk: StaffDesk, actor: Actor, _cmd: Command, _key: str | None) -> DeskReply:
    allows = desk.allows(actor)
    return DeskReply(
        text="\n".join(s.usage for s in SPECS.values() if s.tool is None or allows(s.tool))
    )


HANDLERS: dict[str, Handler] = {
    "orders": _orders,
    "order": _order,
    "stock": _stock,
    "lowstock": _lowstock,
    "po": _po,
    "receive": _receive,
    "ship": _order_tool,
    "invoice": _order_tool,
    "return": _return,
    "stocktake": _stocktake,
    "report": _report,
    "audit": _audit,
    "inbox": _inbox,
    "reply": _reply,
    "help": _help,
}
assert HANDLERS.keys() == SPECS.keys()
