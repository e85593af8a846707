"""Retention (issue 21): each kind of record in settings.RETENTION_DAYS is deleted or
anonymised once past its period, and nothing younger is touched; by the service, by
`manage.py purge_personal_data [--dry-run]`, by beat's daily task and at `make run`."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from agents import services as agent_services
from agents.models import AccessRequest, Decision
from notifications.models import OutboxEmail
from portal import retention
from portal.models import OneTimeCode
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db
NOW = timezone.now()
REASON = "El correo electrónico no corresponde al agente."


def days_ago(days: float):
    return NOW - timedelta(days=days)


def limit(kind: str) -> int:
    return settings.RETENTION_DAYS[kind]


def counts(**nonzero: int) -> dict[str, int]:
    """The purge's answer: every kind, zero unless named."""
    return {kind: nonzero.get(kind, 0) for kind in settings.RETENTION_DAYS}


def rejected(make_request, reviewer, *, decided_days_ago: float) -> AccessRequest:
    request = make_request(email=f"{secrets.token_hex(4)}@tecleado.test")
    agent_services.reject_request(request.pk, reviewer, REASON)
    AccessRequest.objects.filter(pk=request.pk).update(decided_at=days_ago(decided_days_ago))
    return request


def test_rejected_requests_are_anonymised_after_a_year_and_their_decision_kept(
    make_request, make_reviewer
):
    reviewer = make_reviewer()
    days = limit("rejected_access_requests")
    old = rejected(make_request, reviewer, decided_days_ago=days + 1)
    young = rejected(make_request, reviewer, decided_days_ago=days - 1)
    pending = make_request()
    AccessRequest.objects.filter(pk=pending.pk).update(created_at=days_ago(days + 30))
    OutboxEmail.objects.all().delete()  # the rejection emails: their own kind, tested below

    assert retention.purge(now=NOW) == counts(rejected_access_requests=1)

    old.refresh_from_db()
    assert (old.email, old.rejection_reason, old.status) == ("", "", "rechazada")
    young.refresh_from_db()
    assert young.email.endswith("@tecleado.test") and young.rejection_reason == REASON
    pending.refresh_from_db()
    assert pending.email and pending.status == "pendiente"
    # The audit row is append-only: kept whole (who, when, what, why), never updated.
    decision = Decision.objects.get(request=old)
    assert (decision.decision, decision.decided_by, decision.reason) == (
        "rechazada", reviewer, REASON,
    )  # fmt: skip
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(reason="")
    # Anonymised once: the next run finds nothing.
    assert retention.purge(now=NOW) == counts()


def code(**fields) -> OneTimeCode:
    return OneTimeCode.objects.create(
        purpose="registration", subject="person:1", email="maria@ejemplo.test", **fields
    )


def test_one_time_codes_go_a_month_after_use_or_expiry_not_before():
    days = limit("one_time_codes")
    gone = [
        code(used_at=days_ago(days + 1), expires_at=days_ago(days + 1)),
        code(expires_at=days_ago(days + 1)),  # never used
        code(voided=True, expires_at=days_ago(days + 1)),
    ]
    never_sent = code()  # its email never left: no expiry, only its creation
    OneTimeCode.objects.filter(pk=never_sent.pk).update(created_at=days_ago(days + 1))
    kept = [
        code(used_at=days_ago(days - 1), expires_at=days_ago(days - 1)),
        code(expires_at=days_ago(days - 1)),
        code(expires_at=NOW + timedelta(minutes=5)),  # live
        code(),  # just created, not sent yet
    ]
    assert retention.purge(now=NOW) == counts(one_time_codes=4)
    assert set(OneTimeCode.objects.values_list("pk", flat=True)) == {c.pk for c in kept}
    assert not OneTimeCode.objects.filter(pk__in=[c.pk for c in [*gone, never_sent]]).exists()


SENT, FAILED, PENDING = (
    OutboxEmail.Status.SENT,
    OutboxEmail.Status.FAILED,
    OutboxEmail.Status.PENDING,
)


def outbox(status: OutboxEmail.Status, **fields) -> OutboxEmail:
    return OutboxEmail.objects.create(
        to="maria@ejemplo.test",
        template="codigo",
        context={"full_name": "MARÍA RODRÍGUEZ"},
        status=status,
        **fields,
    )


def test_sent_outbox_rows_lose_recipient_and_context_after_90_days_failed_ones_go():
    days = limit("outbox_emails")
    sent_old = outbox(SENT, sent_at=days_ago(days + 1), subject="Tu código")
    sent_young = outbox(SENT, sent_at=days_ago(days - 1))
    failed_old = outbox(FAILED, next_attempt_at=days_ago(days + 1), last_error="Timeout")
    failed_young = outbox(FAILED, next_attempt_at=days_ago(days - 1))
    failed_at_once = outbox(FAILED)  # refused at its first attempt: no next attempt
    OutboxEmail.objects.filter(pk=failed_at_once.pk).update(created_at=days_ago(days + 1))
    pending_old = outbox(PENDING)  # still to be delivered, however old
    OutboxEmail.objects.filter(pk=pending_old.pk).update(created_at=days_ago(days + 30))

    assert retention.purge(now=NOW) == counts(outbox_emails=3)

    sent_old.refresh_from_db()
    assert (sent_old.to, sent_old.context, sent_old.status) == ("", {}, SENT)
    assert sent_old.subject == "Tu código"  # no personal data: the sent count stays right
    for row in (sent_young, failed_young, pending_old):
        row.refresh_from_db()
        assert (row.to, row.context) == ("maria@ejemplo.test", {"full_name": "MARÍA RODRÍGUEZ"})
    assert not OutboxEmail.objects.filter(pk__in=[failed_old.pk, failed_at_once.pk]).exists()
    assert retention.purge(now=NOW) == counts()


@pytest.mark.parametrize(
    ("kind", "model", "fields"),
    [
        ("login_attempts", AccessAttempt, {"failures_since_start": 3}),
        ("login_logs", AccessLog, {}),
        ("login_failures", AccessFailureLog, {}),
    ],
)
def test_login_records_with_ips_and_usernames_go_after_90_days(kind, model, fields):
    days = limit(kind)
    rows = {}
    for name, age in (("vieja", days + 1), ("reciente", days - 1)):
        row = model.objects.create(
            username=name, ip_address="203.0.113.7", user_agent="Firefox", path_info="/", **fields
        )
        model.objects.filter(pk=row.pk).update(attempt_time=days_ago(age))
        rows[name] = row
    assert retention.purge(now=NOW) == counts(**{kind: 1})
    assert list(model.objects.values_list("username", flat=True)) == ["reciente"]


def test_expired_sessions_go_live_ones_stay():
    for key, expiry in (
        ("caducada", NOW - timedelta(minutes=1)),
        ("viva", NOW + timedelta(minutes=29)),
    ):
        Session.objects.create(session_key=key * 4, session_data="{}", expire_date=expiry)
    assert retention.purge(now=NOW) == counts(sessions=1)
    assert list(Session.objects.values_list("session_key", flat=True)) == ["viva" * 4]


def test_dry_run_counts_and_changes_nothing_and_the_command_prints_each_kind():
    days = limit("one_time_codes")
    code(used_at=days_ago(days + 1), expires_at=days_ago(days + 1))
    old_sent = outbox(SENT, sent_at=days_ago(limit("outbox_emails") + 1))

    out = StringIO()
    call_command("purge_personal_data", "--dry-run", stdout=out)
    printed = dict(re.findall(r"^\s+(\w+): (\d+)$", out.getvalue(), re.MULTILINE))
    assert printed == {kind: "0" for kind in settings.RETENTION_DAYS} | {
        "one_time_codes": "1", "outbox_emails": "1",
    }  # fmt: skip
    assert "Simulación" in out.getvalue()
    assert OneTimeCode.objects.count() == 1
    old_sent.refresh_from_db()
    assert old_sent.to == "maria@ejemplo.test"

    out = StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "  one_time_codes: 1" in out.getvalue() and "  outbox_emails: 1" in out.getvalue()
    assert OneTimeCode.objects.count() == 0


def test_beat_purges_daily_through_the_task():
    from notifications import tasks

    entries = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"].endswith("purge_personal_data")
    ]
    assert len(entries) == 1 and entries[0]["schedule"].hour == {3}
    Session.objects.create(
        session_key="x" * 32, session_data="{}", expire_date=NOW - timedelta(days=1)
    )
    assert tasks.purge_personal_data.delay().get() == counts(sessions=1)


def test_make_run_purges_after_migrating_before_serving():
    """The embedded mode has no beat: `make run` purges at each start."""
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") : makefile.index("\ndemo:")]
    steps = [s for s in ("migrate_locked", "purge_personal_data", "runserver") if s in run]
    assert steps == ["migrate_locked", "purge_personal_data", "runserver"]
    assert run.index("migrate_locked") < run.index("purge_personal_data") < run.index("runserver")


def test_the_table_the_purgers_and_the_privacy_doc_name_the_same_kinds_and_days():
    assert set(retention.purgers()) == set(settings.RETENTION_DAYS)
    doc = (ROOT / "docs" / "privacy.md").read_text()
    section = doc[doc.index("## Retention") :]
    for kind, days in settings.RETENTION_DAYS.items():
        assert re.search(rf"`{kind}`[^\n]*\| {days} ", section), kind
