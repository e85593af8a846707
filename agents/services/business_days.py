"""The review deadline, in Mexican business days: a request is answered within
`settings.REVIEW_SLA_BUSINESS_DAYS` business days, and the back office sees which are late."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import holidays
from django.conf import settings
from django.utils import timezone

from agents.models import AccessRequest


@functools.lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("MX", years=year).keys())


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a Mexican public holiday."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def business_days_between(*, start: date, end: date) -> int:
    """Business days after `start` up to and including `end`."""
    return sum(1 for n in range(1, (end - start).days + 1) if is_business_day(start + timedelta(n)))


def request_age(request: AccessRequest, today: date | None = None) -> int:
    """Business days a request has waited: until its decision, or until today."""
    start = timezone.localdate(request.created_at)
    if request.decided_at is not None:
        end = timezone.localdate(request.decided_at)
    else:
        end = today or timezone.localdate()
    return business_days_between(start=start, end=end)


def is_overdue(request: AccessRequest, today: date | None = None) -> bool:
    """Still pending after more business days than the review deadline allows."""
    return (
        request.status == AccessRequest.Status.PENDING
        and request_age(request, today) > settings.REVIEW_SLA_BUSINESS_DAYS
    )


def overdue_cutoff(today: date | None = None) -> datetime:
    """Pending requests created before this moment are past the review deadline."""
    day = today or timezone.localdate()
    counted = 0
    while True:
        if is_business_day(day):
            counted += 1
            if counted > settings.REVIEW_SLA_BUSINESS_DAYS:
                # Created on `day` or later: at most SLA business days have passed.
                return timezone.make_aware(datetime.combine(day, datetime.min.time()))
        day -= timedelta(days=1)
