"""Mexican business days (Monday to Friday, not a public holiday from `holidays`): the
review deadline of agents' requests and the 20 business days of an ARCO request."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays


@functools.lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("MX", years=year).keys())


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a Mexican public holiday."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def business_days_between(*, start: date, end: date) -> int:
    """Business days after `start` up to and including `end`."""
    return sum(1 for n in range(1, (end - start).days + 1) if is_business_day(start + timedelta(n)))


def add_business_days(start: date, days: int) -> date:
    """The day `days` business days after `start`."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day
