"""Retention: personal data kept no longer than `settings.RETENTION_DAYS` says (LFPDPPP).

Each kind of record in that table has one purger: a function given the cutoff (now minus
the kind's days) that deletes or anonymises what is older and returns how many rows it
touched (or, with `dry_run`, would touch). The shared kinds (codes, sessions, django-axes)
are here; an app adds its own in a `retention` module with a `PURGERS` dict, found in
INSTALLED_APPS order, so this module knows no feature app (as `load_demo` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from .models import OneTimeCode

Purger = Callable[..., int]  # (*, cutoff: datetime, dry_run: bool) -> rows


def delete_rows(rows: QuerySet[Any], *, dry_run: bool) -> int:
    """Delete `rows` (their cascades too) and return how many of the queryset's own model
    went; with `dry_run`, only count them."""
    if dry_run:
        return rows.count()
    model: type[Model] = rows.model
    _total, per_model = rows.delete()
    return per_model.get(model._meta.label, 0)


def purge_one_time_codes(*, cutoff: datetime, dry_run: bool) -> int:
    """Codes used, expired, or never sent before the cutoff: the email is in clear on them."""
    spent = (
        Q(used_at__lt=cutoff)
        | Q(expires_at__lt=cutoff)
        | Q(expires_at__isnull=True, created_at__lt=cutoff)
    )
    return delete_rows(OneTimeCode.objects.filter(spent), dry_run=dry_run)


def purge_login_attempts(*, cutoff: datetime, dry_run: bool) -> int:
    """django-axes' attempt counters (username, IP) whose last attempt is older."""
    return delete_rows(AccessAttempt.objects.filter(attempt_time__lt=cutoff), dry_run=dry_run)


def purge_login_logs(*, cutoff: datetime, dry_run: bool) -> int:
    """django-axes' sign-in log (username, IP, browser) of logins older than the cutoff."""
    return delete_rows(AccessLog.objects.filter(attempt_time__lt=cutoff), dry_run=dry_run)


def purge_login_failures(*, cutoff: datetime, dry_run: bool) -> int:
    """django-axes' failure log (username, IP, browser) older than the cutoff."""
    rows = AccessFailureLog.objects.filter(attempt_time__lt=cutoff)
    return delete_rows(rows, dry_run=dry_run)


def purge_sessions(*, cutoff: datetime, dry_run: bool) -> int:
    """Sessions expired before the cutoff: the wizards keep typed personal data in them."""
    return delete_rows(Session.objects.filter(expire_date__lt=cutoff), dry_run=dry_run)


PURGERS: dict[str, Purger] = {
    "one_time_codes": purge_one_time_codes,
    "login_attempts": purge_login_attempts,
    "login_logs": purge_login_logs,
    "login_failures": purge_login_failures,
    "sessions": purge_sessions,
}


def purgers() -> dict[str, Purger]:
    """Every kind's purger: ours, then each app's `retention.PURGERS`. A kind without a
    period in RETENTION_DAYS, or a period without a purger, is refused: the table and what
    is enforced must say the same."""
    found: dict[str, Purger] = {}
    for app in apps.get_app_configs():
        name = f"{app.name}.retention"
        if find_spec(name) is None:
            continue
        module_purgers: Mapping[str, Purger] = getattr(import_module(name), "PURGERS", {})
        found.update(module_purgers)
    periods = settings.RETENTION_DAYS
    if set(found) != set(periods):
        raise ImproperlyConfigured(
            "RETENTION_DAYS and the purgers differ: "
            f"no period for {sorted(set(found) - set(periods))}, "
            f"no purger for {sorted(set(periods) - set(found))}."
        )
    return found


def purge(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete or anonymise every record past its retention; returns the rows per kind (with
    `dry_run`, the rows it would touch, and nothing changes). Each kind commits on its
    own: an error stops the run but keeps the kinds already purged."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for kind, purger in purgers().items():
        cutoff = now - timedelta(days=settings.RETENTION_DAYS[kind])
        with transaction.atomic():
            counts[kind] = purger(cutoff=cutoff, dry_run=dry_run)
    return counts
