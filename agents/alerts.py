"""The reviewers' emails about the queue (settings.REVIEW_ALERTS): a morning digest on business
days, and one email per request the moment it goes overdue. Both go through the outbox to the
active staff of the "Revisores" group, and name folios and dates only: the email leaves the
back office, the agents' personal data does not."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from notifications.services import queue_email
from portal.business_days import is_business_day

from .admin import OverdueFilter, StatusFilter
from .models import AccessRequest, ReviewDigest
from .services.business_days import overdue_cutoff, request_age

REVIEWERS_GROUP = "Revisores"  # made by migration agents 0003
DIGEST_TEMPLATE = "revision_resumen"
OVERDUE_TEMPLATE = "revision_vencida"
# The digest lists this many overdue folios and counts the rest: its link shows them all.
DIGEST_OVERDUE_LISTED = 20
# Requests alerted per transaction: their locks are held only while their emails are written.
OVERDUE_BATCH = 50


def reviewer_addresses() -> list[str]:
    """The addresses of the active staff in "Revisores" (one email each, none without one)."""
    reviewers = get_user_model().objects.filter(
        groups__name=REVIEWERS_GROUP, is_active=True, is_staff=True
    )
    return sorted(set(reviewers.exclude(email="").values_list("email", flat=True)))


def queue_url(*, overdue: bool = False) -> str:
    """The admin's queue of pending requests (only the overdue ones with `overdue`): from
    PORTAL_BASE_URL, or the path alone in the embedded mode without it (a beat task has no
    request to take an address from)."""
    filters = {StatusFilter.parameter_name: AccessRequest.Status.PENDING.value}
    if overdue:
        filters[OverdueFilter.parameter_name] = "si"
    path = reverse("admin:agents_accessrequest_changelist")
    return f"{settings.PORTAL_BASE_URL}{path}?{urlencode(filters)}"


def _request_url(request: AccessRequest) -> str:
    path = reverse("admin:agents_accessrequest_change", args=[request.pk])
    return f"{settings.PORTAL_BASE_URL}{path}"


def _day(moment: date | datetime) -> str:
    """A date as the active language writes it ("7 de diciembre de 2026")."""
    day = timezone.localdate(moment) if isinstance(moment, datetime) else moment
    return date_format(day, "DATE_FORMAT")


def digest_context(today: date) -> dict[str, Any] | None:
    """What the digest of `today` says, in the active language; None when nothing is pending."""
    pending = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING)
    oldest = pending.order_by("created_at", "pk").first()
    if oldest is None:
        return None
    overdue = pending.filter(created_at__lt=overdue_cutoff(today))
    overdue_count = overdue.count()
    listed = overdue.order_by("created_at", "pk").values_list("pk", flat=True)
    listed = listed[:DIGEST_OVERDUE_LISTED]
    return {
        "day": _day(today),
        "pending_count": pending.count(),
        "oldest_folio": oldest.pk,
        "oldest_sent": _day(oldest.created_at),
        "oldest_waiting": request_age(oldest, today),
        "overdue_count": overdue_count,
        # Strings: the text part's `join` (autoescape off) takes no numbers.
        "overdue_folios": [str(pk) for pk in listed],
        "overdue_more": overdue_count - len(listed),
        "sla_days": settings.REVIEW_SLA_BUSINESS_DAYS,
        "queue_url": queue_url(),
        "overdue_url": queue_url(overdue=True),
    }


def send_digest() -> int:
    """Queue today's digest to every reviewer, once a day and on business days only, when a
    request is pending; returns the emails queued.

    With nothing pending no email goes: a daily "nothing to do" teaches reviewers to delete
    the digest unread, and a stopped beat is reported by readiness (/salud/), not by them.

    Beat calls it every 15 minutes from REVIEW_DIGEST_HOUR on: the first call of the day
    writes the day's row (with nothing pending too), and the others find it. So a run that
    never happened (beat down at that hour, a broker failover, a worker of the previous
    release discarding a task it does not know during a rollout) is made up within 15
    minutes, and a request filed later in the day does not bring a second digest.
    """
    if settings.REVIEW_ALERTS == "off":
        return 0
    now = timezone.localtime()
    today = now.date()
    if now.hour < settings.REVIEW_DIGEST_HOUR or not is_business_day(today):
        return 0
    if ReviewDigest.objects.filter(day=today).exists():  # the usual case: done today
        return 0
    # The reviewers keep no language of their own: the portal's.
    language = settings.LANGUAGE_CODE
    with transaction.atomic(), translation.override(language):
        context = digest_context(today)
        addresses = reviewer_addresses() if context is not None else []
        try:
            # The day's row commits with the emails or not at all: a second beat, a retry or a
            # second run waits here for the first's commit and then finds the day taken.
            with transaction.atomic():
                ReviewDigest.objects.create(
                    day=today,
                    recipients=len(addresses),
                    pending=context["pending_count"] if context is not None else 0,
                )
        except IntegrityError:
            return 0
        for address in addresses:
            queue_email(address, DIGEST_TEMPLATE, context, language=language)
    return len(addresses)


def alert_window(today: date) -> tuple[datetime, datetime]:
    """Pending requests created in [start, end) went overdue today or on the business day
    before (a request goes overdue at the midnight that starts a business day).

    Only these are alerted: the ones overdue earlier (when this release is deployed, or the
    setting turned on) would arrive as a flood, and the digest names them every morning
    anyway; the day before covers a beat stopped on the day a request went overdue.
    """
    previous = today - timedelta(days=1)
    while not is_business_day(previous):
        previous -= timedelta(days=1)
    return overdue_cutoff(previous - timedelta(days=1)), overdue_cutoff(today)


def alert_overdue() -> int:
    """Email the reviewers once about each request that just went overdue (REVIEW_ALERTS
    "digest+overdue", business days only); returns the requests alerted."""
    if settings.REVIEW_ALERTS != "digest+overdue":
        return 0
    today = timezone.localdate()
    # A weekend or a holiday makes no request overdue: one not yet alerted (beat was down)
    # waits for the next business day, like the reviewers.
    if not is_business_day(today):
        return 0
    start, end = alert_window(today)
    alerted = 0
    while True:
        batch = _alert_batch(today, start=start, end=end)
        alerted += batch
        if batch < OVERDUE_BATCH:  # the rest, if any, are another run's (locked): done
            return alerted


def _alert_batch(today: date, *, start: datetime, end: datetime) -> int:
    """Alert up to OVERDUE_BATCH requests in one transaction; returns how many.

    SKIP LOCKED: a second beat or a retry running now takes other requests, or none, and
    finds these marked once this commits, so no request is alerted twice."""
    language = settings.LANGUAGE_CODE
    with transaction.atomic(), translation.override(language):
        requests = list(
            AccessRequest.objects.select_for_update(skip_locked=True)
            .filter(
                status=AccessRequest.Status.PENDING,
                overdue_alerted_at__isnull=True,
                created_at__gte=start,
                created_at__lt=end,
            )
            .order_by("created_at", "pk")[:OVERDUE_BATCH]
        )
        if not requests:
            return 0
        addresses = reviewer_addresses()
        for request in requests:
            context = {
                "folio": request.pk,
                "sent": _day(request.created_at),
                "waiting": request_age(request, today),
                "sla_days": settings.REVIEW_SLA_BUSINESS_DAYS,
                "request_url": _request_url(request),
                "overdue_url": queue_url(overdue=True),
            }
            for address in addresses:
                queue_email(address, OVERDUE_TEMPLATE, context, language=language)
        # update(): the request's "actualizada" stays the agent's or the reviewer's last change.
        AccessRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
            overdue_alerted_at=timezone.now()
        )
    return len(requests)
