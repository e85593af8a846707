"""The reviewers' emails (issue 23): a morning digest on Mexican business days to the active
"Revisores" with an address, once a day; one email per request the moment it goes overdue
with REVIEW_ALERTS="digest+overdue", once; nothing with "off". Folios and dates only.

The calendar (checked against `holidays` below): November 2026, SLA 3 business days. A request
filed on day D goes overdue at the midnight that starts the 4th business day after D."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import holidays
import pytest
import time_machine

from agents import alerts
from agents.models import AccessRequest, ReviewDigest
from notifications.models import OutboxEmail
from notifications.services import render_email
from tests.a11y import axe_violations
from tests.helpers import fresh_env, manage, run_together

MEXICO = zoneinfo.ZoneInfo("America/Mexico_City")
QUEUE = "http://testserver/admin/agents/accessrequest/"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MEXICO)


def travel(*args: int) -> time_machine.travel:
    return time_machine.travel(local(*args), tick=False)


def filed(make_request, at: datetime, **fields) -> AccessRequest:
    """A pending request as if sent at `at` (created_at is set on creation)."""
    request = make_request(**fields)
    AccessRequest.objects.filter(pk=request.pk).update(created_at=at)
    request.refresh_from_db()
    return request


def digests() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(template=alerts.DIGEST_TEMPLATE).order_by("to"))


def overdue_alerts() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(template=alerts.OVERDUE_TEMPLATE).order_by("pk"))


def text_of(email: OutboxEmail) -> tuple[str, str, str]:
    message = render_email(email)
    return str(message.subject), str(message.body), str(message.alternatives[0][0])


@pytest.fixture
def reviewers(make_reviewer):
    """Two reviewers who get the emails, and three staff who must not."""
    from portal.models import User

    ana, beto = make_reviewer("ana"), make_reviewer("beto")
    make_reviewer("carla", review=False)  # staff, not in "Revisores"
    make_reviewer("dora", is_active=False)
    User.objects.filter(pk=make_reviewer("eva").pk).update(email="")
    return [ana.email, beto.email]


def test_the_calendar_of_these_tests():
    mexico = holidays.country_holidays("MX", years=2026)
    assert date(2026, 11, 16) in mexico  # Día de la Revolución, observed on a Monday
    assert date(2026, 11, 14).weekday() == 5
    assert date(2026, 11, 2) not in mexico and date(2026, 11, 20) not in mexico


# --- The digest -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_business_morning_digest_goes_to_each_active_reviewer_with_an_address(
    reviewers, make_request
):
    # Tuesday 10 November 2026, 08:00. Business days since: Wed 4 -> Thu 5, Fri 6, Mon 9,
    # Tue 10 = 4 (> 3: overdue); Thu 5 -> 3 (not yet). Fri 30 Oct -> Mon 2 Nov (no federal
    # holiday), Tue 3 … Tue 10 = 7.
    oldest = filed(make_request, local(2026, 10, 30, 17, 0))
    late = filed(make_request, local(2026, 11, 4, 10, 0))
    filed(make_request, local(2026, 11, 5, 9, 0))
    filed(make_request, local(2026, 11, 9, 12, 0))
    filed(make_request, local(2026, 10, 1, 9, 0), status=AccessRequest.Status.APPROVED)

    with travel(2026, 11, 10, 8, 0):
        assert alerts.send_digest() == 2

    rows = digests()
    assert [row.to for row in rows] == sorted(reviewers)
    assert ReviewDigest.objects.get().day == date(2026, 11, 10)
    subject, text, html = text_of(rows[0])
    assert "pendientes: 4" in subject and "10 de noviembre de 2026" in subject
    assert "Pendientes de revisión: 4" in text
    assert (
        f"La más antigua: folio {oldest.pk}, enviada el 30 de octubre de 2026 "
        "(días hábiles de espera: 7)" in text
    )
    assert "Vencidas (más de 3 días hábiles): 2" in text
    assert f"Folios: {oldest.pk}, {late.pk}\n" in text
    assert f"{QUEUE}?estatus=pendiente\n" in text
    assert f"{QUEUE}?estatus=pendiente&vencida=si\n" in text
    assert f'href="{QUEUE}?estatus=pendiente&amp;vencida=si"' in html
    # No personal data of the agents: the email leaves the back office.
    agent = late.agent
    for personal in (agent.nombre, agent.apellido_paterno, agent.rfc, agent.email, late.email):
        assert personal not in text and personal not in html and personal not in subject


@pytest.mark.django_db
def test_the_digest_lists_twenty_overdue_folios_and_counts_the_rest(reviewers, make_request):
    overdue = [filed(make_request, local(2026, 11, 2, 9, n)) for n in range(23)]
    with travel(2026, 11, 10, 8, 0):
        alerts.send_digest()
    _subject, text, _html = text_of(digests()[0])
    listed = ", ".join(str(r.pk) for r in overdue[:20])
    assert f"Vencidas (más de 3 días hábiles): 23\nFolios: {listed} y 3 más\n" in text


@pytest.mark.django_db
def test_the_digests_links_open_the_filtered_queue(client, reviewers, make_request):
    from portal.models import User

    late = filed(make_request, local(2026, 11, 4, 10, 0))
    on_time = filed(make_request, local(2026, 11, 9, 10, 0))
    with travel(2026, 11, 10, 8, 0):
        alerts.send_digest()
        context = digests()[0].context
        client.force_login(User.objects.get(username="ana"))
        shown = {}
        for name in ("queue_url", "overdue_url"):
            response = client.get(context[name].removeprefix("http://testserver"))
            assert response.status_code == 200
            shown[name] = [r.pk for r in response.context["cl"].result_list]
    assert shown == {"queue_url": [late.pk, on_time.pk], "overdue_url": [late.pk]}


@pytest.mark.django_db
def test_nothing_pending_sends_no_digest_and_a_request_filed_later_that_day_waits(
    reviewers, make_request
):
    filed(make_request, local(2026, 11, 2, 9, 0), status=AccessRequest.Status.REJECTED)
    with travel(2026, 11, 10, 8, 0):
        assert alerts.send_digest() == 0
    filed(make_request, local(2026, 11, 10, 9, 0))
    with travel(2026, 11, 10, 9, 15):  # beat's next runs find the day done
        assert alerts.send_digest() == 0
    assert digests() == []
    with travel(2026, 11, 11, 8, 0):
        assert alerts.send_digest() == 2


@pytest.mark.django_db
def test_no_digest_before_the_hour_and_a_missed_run_is_made_up(reviewers, make_request):
    filed(make_request, local(2026, 11, 9, 9, 0))
    with travel(2026, 11, 10, 7, 45):
        assert alerts.send_digest() == 0
    assert digests() == []
    with travel(2026, 11, 10, 10, 30):  # beat was down at 8:00: the first run after sends
        assert alerts.send_digest() == 2


@pytest.mark.django_db
def test_no_digest_on_saturday_nor_on_a_holiday_and_the_next_business_day_it_goes(
    reviewers, make_request
):
    filed(make_request, local(2026, 11, 12, 9, 0))
    with travel(2026, 11, 14, 8, 0):  # Saturday
        assert alerts.send_digest() == 0
    with travel(2026, 11, 16, 8, 0):  # Monday, Día de la Revolución
        assert alerts.send_digest() == 0
    assert digests() == []
    with travel(2026, 11, 17, 8, 0):
        assert alerts.send_digest() == 2
    assert [row.to for row in digests()] == sorted(reviewers)


@pytest.mark.django_db
def test_a_second_run_the_same_day_sends_no_second_digest(reviewers, make_request):
    filed(make_request, local(2026, 11, 9, 9, 0))
    with travel(2026, 11, 10, 8, 0):
        assert alerts.send_digest() == 2
    with travel(2026, 11, 10, 8, 5):  # a retry, or beat firing again
        assert alerts.send_digest() == 0
    assert len(digests()) == 2
    with travel(2026, 11, 11, 8, 0):  # the next day has its own
        assert alerts.send_digest() == 2
    assert len(digests()) == 4


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_send_one_digest(reviewers, make_request):
    filed(make_request, local(2026, 11, 9, 9, 0))
    with travel(2026, 11, 10, 8, 0):
        outcomes = run_together([alerts.send_digest] * 4)
    assert outcomes == [0, 0, 0, 2]
    assert [row.to for row in digests()] == sorted(reviewers)


@pytest.mark.django_db
def test_the_digest_is_written_in_english_when_the_portal_speaks_english(
    settings, reviewers, make_request
):
    filed(make_request, local(2026, 11, 4, 10, 0))
    settings.LANGUAGE_CODE = "en"
    with travel(2026, 11, 10, 8, 0):
        alerts.send_digest()
    subject, text, _html = text_of(digests()[0])
    assert "pending: 1" in subject.lower()
    assert "Overdue (more than 3 business days): 1" in text
    assert "Pendientes" not in text


@pytest.mark.django_db
def test_the_beat_runs_the_digest_at_the_configured_hour_and_the_overdue_check_often(
    settings, reviewers, make_request
):
    from celery.schedules import crontab

    from agents import tasks  # what the workers' autodiscovery imports
    from portal.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["review-digest"]["schedule"] == crontab(minute="*/15")
    assert schedule["overdue-review-alerts"]["schedule"] == crontab(minute="*/15")
    filed(make_request, local(2026, 11, 4, 10, 0))
    settings.REVIEW_ALERTS = "digest+overdue"
    with travel(2026, 11, 10, 8, 0):
        assert schedule["review-digest"]["task"] in app.tasks
        assert tasks.send_review_digest.delay().get() == 2
        assert schedule["overdue-review-alerts"]["task"] in app.tasks
        assert tasks.alert_overdue_requests.delay().get() == 1


def test_an_unknown_setting_stops_the_start(tmp_path):
    for variables in ({"REVIEW_ALERTS": "weekly"}, {"REVIEW_DIGEST_HOUR": "24"}):
        done = manage("check", env=fresh_env(tmp_path, **variables))
        assert done.returncode != 0
        assert next(iter(variables)) in done.stderr
    assert manage("check", env=fresh_env(tmp_path, REVIEW_ALERTS="off")).returncode == 0


# --- Overdue alerts ---------------------------------------------------------------------------


@pytest.fixture
def overdue_alerts_on(settings):
    settings.REVIEW_ALERTS = "digest+overdue"


@pytest.mark.django_db
@pytest.mark.usefixtures("overdue_alerts_on")
def test_a_request_going_overdue_is_alerted_once(reviewers, make_request):
    # Filed Wed 4 Nov: 3 business days waited on Mon 9, 4 from the start of Tue 10.
    request = filed(make_request, local(2026, 11, 4, 10, 0))
    updated_at = request.updated_at
    with travel(2026, 11, 9, 23, 45):
        assert alerts.alert_overdue() == 0
    with travel(2026, 11, 10, 0, 0):
        assert alerts.alert_overdue() == 1
    with travel(2026, 11, 10, 0, 15):
        assert alerts.alert_overdue() == 0
    rows = overdue_alerts()
    assert sorted(row.to for row in rows) == sorted(reviewers)
    request.refresh_from_db()
    assert request.overdue_alerted_at == local(2026, 11, 10, 0, 0)
    assert request.updated_at == updated_at  # "actualizada" stays the last change by a person
    subject, text, html = text_of(rows[0])
    assert f"folio {request.pk} está vencida" in subject
    assert (
        f"folio {request.pk}, enviada el 4 de noviembre de 2026, pasó sin decisión el plazo de "
        "revisión de 3 días hábiles (días hábiles de espera: 4)" in text
    )
    assert f"{QUEUE}{request.pk}/change/\n" in text
    assert f"{QUEUE}?estatus=pendiente&vencida=si\n" in text
    for personal in (request.agent.nombre, request.agent.rfc, request.email):
        assert personal not in text and personal not in html and personal not in subject


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("overdue_alerts_on")
def test_two_overdue_checks_at_once_alert_each_request_once(reviewers, make_request):
    requests = [filed(make_request, local(2026, 11, 4, 10, n)) for n in range(60)]
    with travel(2026, 11, 10, 0, 15):
        outcomes = run_together([alerts.alert_overdue] * 4)
    assert sum(outcomes) == 60
    alerted = [row.context["folio"] for row in overdue_alerts()]
    assert sorted(alerted) == sorted(r.pk for r in requests for _ in reviewers)


@pytest.mark.django_db
@pytest.mark.usefixtures("overdue_alerts_on")
def test_no_overdue_alert_on_a_weekend_or_holiday_and_the_next_business_day_it_goes(
    reviewers, make_request
):
    # Filed Mon 9 Nov: overdue from Fri 13 at 00:00, a day beat missed.
    request = filed(make_request, local(2026, 11, 9, 10, 0))
    for day in (14, 15, 16):  # Saturday, Sunday, Día de la Revolución
        with travel(2026, 11, day, 9, 0):
            assert alerts.alert_overdue() == 0
    assert overdue_alerts() == []
    with travel(2026, 11, 17, 0, 0):
        assert alerts.alert_overdue() == 1
    assert {row.context["folio"] for row in overdue_alerts()} == {request.pk}


@pytest.mark.django_db
@pytest.mark.usefixtures("overdue_alerts_on")
def test_requests_overdue_before_yesterday_are_left_to_the_digest(reviewers, make_request):
    # Overdue since Thu 5 Nov (at this release's deploy, or when the setting was turned on):
    # no flood of old alerts; the digest names them every morning.
    filed(make_request, local(2026, 10, 30, 10, 0))
    with travel(2026, 11, 10, 0, 15):
        assert alerts.alert_overdue() == 0
    assert overdue_alerts() == []


@pytest.mark.django_db
@pytest.mark.usefixtures("overdue_alerts_on")
def test_a_request_decided_before_the_run_is_not_alerted(reviewers, make_request):
    filed(make_request, local(2026, 11, 4, 10, 0), status=AccessRequest.Status.APPROVED)
    filed(make_request, local(2026, 11, 4, 11, 0), status=AccessRequest.Status.REJECTED)
    with travel(2026, 11, 10, 0, 15):
        assert alerts.alert_overdue() == 0
    assert overdue_alerts() == []


@pytest.mark.django_db
def test_the_digest_setting_sends_no_overdue_alert(settings, reviewers, make_request):
    settings.REVIEW_ALERTS = "digest"
    request = filed(make_request, local(2026, 11, 4, 10, 0))
    with travel(2026, 11, 10, 0, 15):
        assert alerts.alert_overdue() == 0
    assert overdue_alerts() == []
    request.refresh_from_db()
    assert request.overdue_alerted_at is None


@pytest.mark.django_db
def test_off_sends_nothing_at_all(settings, reviewers, make_request):
    settings.REVIEW_ALERTS = "off"
    filed(make_request, local(2026, 11, 4, 10, 0))
    with travel(2026, 11, 10, 8, 0):
        assert alerts.alert_overdue() == 0
        assert alerts.send_digest() == 0
    assert not OutboxEmail.objects.exists() and not ReviewDigest.objects.exists()


# --- The digest on a phone --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_reads_on_a_360_px_phone_and_passes_axe(browser, reviewers, make_request):
    for n in range(23):
        filed(make_request, local(2026, 11, 2, 9, n))
    with travel(2026, 11, 10, 8, 0):
        alerts.send_digest()
        _subject, _text, html = text_of(digests()[0])
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="es-MX")
    try:
        page = context.new_page()
        page.set_content(html)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.get_by_role("link", name="Revisar las pendientes").is_visible()
        assert axe_violations(page) == []
    finally:
        context.close()
