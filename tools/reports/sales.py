"""sales_report: sales by day and channel with VAT, cost and profit, refunds deducted on the
day they were refunded.

Sums are taken in SQL (one row per order, one per refunded return line: storage.reports); the
shop-timezone day of each is found in Python (tools.reports.periods).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from core.returns import claimed_before
from storage import reports, returns
from tools.context import ToolContext
from tools.order_models import Channel
from tools.registry import ACCOUNTING, MANAGERS, tool
from tools.reports.periods import checked_bounds, local_day, month_defaults
from tools.reports.sales_figures import (
    Refund,
    SalesChannel,
    SalesDay,
    SalesFigures,
    SalesRow,
    Tally,
)


class SalesReportIn(BaseModel):
    date_from: date | None = Field(
        default=None,
        description="First day, inclusive, in the shop's timezone; default: the first day of "
        "date_to's month, or of the current month",
    )
    date_to: date | None = Field(
        default=None,
        description="Last day, inclusive, in the shop's timezone; default: the last day of "
        "date_from's month, or of the current month",
    )
    channel: Channel | None = Field(default=None, description="Only this sales channel")


class SalesReportOut(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    rows: list[SalesRow] = Field(description="One per day and channel with any sale or refund")
    days: list[SalesDay]
    channels: list[SalesChannel]
    total: SalesFigures


@tool(
    name="sales_report",
    description="""Sales between two dates (inclusive, shop timezone; the current month when
    none are given) by day and channel, with totals per day, per channel and overall. Counts
    orders that are sales (not cancelled or returned), on the day they were created. Figures in
    đồng: gross (goods paid, VAT included, after discounts), discount, vat, net_revenue = gross
    - vat, cost (unit cost when ordered x units), profit = net_revenue - cost. Shipping is
    reported apart, not as revenue. Refunds of returns are deducted on the day they were
    refunded: only their goods part, net of its VAT (refunds_net), comes off revenue and profit,
    and the cost of units restocked in good condition is added back (see
    net_revenue_after_refunds and profit_after_refunds); a refund-only return (nothing came
    back) adds no cost back, as nothing was restocked. Shipping refunded on top of the goods is
    reported apart as refunds_shipping. Orders fully returned (all goods back) are left out
    altogether; an order refunded without its goods coming back stays in, with its refunds
    deducted.""",
    roles=MANAGERS | ACCOUNTING,
    write=False,
)
async def sales_report(ctx: ToolContext, inp: SalesReportIn) -> SalesReportOut:
    tz = ZoneInfo(ctx.config.timezone)
    date_from, date_to = month_defaults(inp.date_from, inp.date_to, local_day(ctx.now, tz))
    start, end = checked_bounds(date_from, date_to, tz)
    tallies: dict[tuple[date, str], Tally] = defaultdict(Tally)
    for o in await reports.sales_by_order(ctx.tx, start, end, channel=inp.channel):
        tallies[(local_day(o.created_at, tz), o.channel)].add_order(o)
    for r in await _refunds(ctx, start, end, inp.channel):
        tallies[(local_day(r.at, tz), r.channel)].add_refund(r)
    return _report(tallies, date_from, date_to, ctx.config.timezone)


async def _refunds(
    ctx: ToolContext, start: datetime, end: datetime, channel: str | None
) -> list[Refund]:
    """Returns refunded in [start, end), for orders that still count as sales (an order
    returned in full is already out of the figures; deducting its refund too would count it
    twice)."""
    lines = await reports.refunded_lines(ctx.tx, start, end, channel=channel)
    # A return's share of a line depends on the line's earlier returns (core.returns.line_refund),
    # which may lie outside the period: read every return of the lines involved.
    claims = await returns.claims_of_order_lines(ctx.tx, sorted({ln.order_line_id for ln in lines}))
    refunds: dict[int, Refund] = {}
    for ln in lines:
        r = refunds.setdefault(ln.return_id, Refund(ln.refund_amount, ln.refunded_at, ln.channel))
        r.add_line(ln, claimed_before(claims.get(ln.order_line_id, []), ln.return_id))
    return list(refunds.values())


def _report(
    tallies: dict[tuple[date, str], Tally], date_from: date, date_to: date, timezone: str
) -> SalesReportOut:
    """Rows per day and channel, with totals per day, per channel and overall."""
    by_day: dict[date, Tally] = defaultdict(Tally)
    by_channel: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    rows: list[SalesRow] = []
    for (day, channel), t in sorted(tallies.items()):
        rows.append(SalesRow(day=day, channel=channel, **t.figures()))
        by_day[day].add(t)
        by_channel[channel].add(t)
        total.add(t)
    return SalesReportOut(
        date_from=date_from,
        date_to=date_to,
        timezone=timezone,
        rows=rows,
        days=[SalesDay(day=d, **t.figures()) for d, t in sorted(by_day.items())],
        channels=[SalesChannel(channel=c, **t.figures()) for c, t in sorted(by_channel.items())],
        total=SalesFigures(**total.figures()),
    )
