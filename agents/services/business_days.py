"""The review deadline, in Mexican business days: a request is answered within
`settings.REVIEW_SLA_BUSINESS_DAYS` business days, and the back office sees which are late."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from agents.models import AccessRequest
from portal.business_days import business_days_between, is_business_day

__all__ = [
    "business_days_between",
    "is_business_day",
    "is_overdue",
    "overdue_cutoff",
    "request_age",
]


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
