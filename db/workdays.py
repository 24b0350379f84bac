"""Working days: Monday to Friday, less Vietnamese public holidays (``holidays`` package)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    import holidays  # a tenth of ptdv's start-up when imported with the module; most screens need no workday

    return frozenset(holidays.country_holidays("VN", years=year).keys())


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


@lru_cache(maxsize=65536)
def add_workdays(start: date, count: int) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31/01 + 1 month = 28 or 29/02)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")
