"""Report periods in the shop's timezone: default ends, limits, and the UTC instants each
local day starts at. Computing day boundaries with zoneinfo in Python is correct on SQLite and
PostgreSQL alike and needs no per-dialect date functions."""

from __future__ import annotations

from datetime import MINYEAR, UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

MAX_DAYS = 366


def month_defaults(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """Missing ends of a period: the month of the end given, or the current month."""
    anchor = date_from or date_to or today
    first = date_from or (date_to or anchor).replace(day=1)
    if date_to is None:
        if anchor.month == 12:
            date_to = anchor.replace(day=31)
        else:
            date_to = anchor.replace(month=anchor.month + 1, day=1) - timedelta(days=1)
    return first, date_to


def day_bounds(date_from: date, date_to: date, tz: ZoneInfo) -> list[datetime]:
    """UTC instants at which each shop-local day from date_from to date_to+1 starts."""
    days = (date_to - date_from).days + 2
    return [
        datetime.combine(date_from + timedelta(days=i), time(0), tzinfo=tz).astimezone(UTC)
        for i in range(days)
    ]


def checked_bounds(date_from: date, date_to: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a period a report may cover; refuses a reversed, too long or
    out-of-calendar one."""
    if date_to < date_from:
        raise InvalidInput("date_to is before date_from.", field="date_to")
    if (date_to - date_from).days >= MAX_DAYS:
        raise InvalidInput(f"Report at most {MAX_DAYS} days at a time.", field="date_to")
    try:
        bounds = day_bounds(date_from, date_to, tz)
    except OverflowError:  # the first or last days of the calendar have no UTC bounds
        raise InvalidInput(
            "That date is out of range.",
            field="date_from" if date_from.year == MINYEAR else "date_to",
        ) from None
    return bounds[0], bounds[-1]


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()
