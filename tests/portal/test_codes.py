"""portal.codes: the emailed 6-digit code (000 paso 4; email changes)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import OutboxEmail
from portal import codes
from portal.models import OneTimeCode
from tests.helpers import run_together


def send(email="ana@ejemplo.test", subject="person:1", captured=None):
    row = codes.send_code(
        "registro", subject, email, "codigo", {"full_name": "ANA"}, session_key="s", ip="10.0.0.1"
    )
    return row


def sent_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


@pytest.mark.django_db
def test_code_is_emailed_and_only_its_hash_is_stored(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = send()
    code = sent_code()
    row.refresh_from_db()
    assert row.code_hash and code not in row.code_hash
    outbox = OutboxEmail.objects.get()
    assert outbox.status == OutboxEmail.Status.SENT
    assert code not in str(outbox.context) and code not in outbox.subject
    assert codes.check_code("registro", "person:1", "ana@ejemplo.test", code) is codes.Check.OK
    # Single use.
    assert codes.check_code("registro", "person:1", "ana@ejemplo.test", code) is codes.Check.EXPIRED


@pytest.mark.django_db
def test_five_wrong_codes_lock_and_then_even_the_right_one_fails(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        send()
    code = sent_code()
    wrong = "000000" if code != "000000" else "111111"
    results = [
        codes.check_code("registro", "person:1", "ana@ejemplo.test", wrong) for _ in range(5)
    ]
    assert results == [codes.Check.WRONG] * 4 + [codes.Check.LOCKED]
    assert codes.check_code("registro", "person:1", "ana@ejemplo.test", code) is codes.Check.LOCKED


@pytest.mark.django_db
def test_expired_code_and_code_for_another_email_are_refused(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = send()
    code = sent_code()
    assert (
        codes.check_code("registro", "person:1", "otro@ejemplo.test", code) is codes.Check.EXPIRED
    )
    OneTimeCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert codes.check_code("registro", "person:1", "ana@ejemplo.test", code) is codes.Check.EXPIRED


@pytest.mark.django_db
def test_new_code_voids_the_old_one_and_resend_has_cooldown_and_hourly_cap(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = send()
    old = sent_code()
    with pytest.raises(codes.SendRefused) as refused:
        send()
    assert 0 < refused.value.wait_seconds <= 60
    # Past the cooldown, a second and third code may be sent, not a fourth within the hour.
    OneTimeCode.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        second = send()
    new = sent_code()
    # The old code no longer opens anything (it counts as a wrong try on the new one).
    assert old == new or (
        codes.check_code("registro", "person:1", "ana@ejemplo.test", old) is codes.Check.WRONG
    )
    OneTimeCode.objects.filter(pk=second.pk).update(
        created_at=timezone.now() - timedelta(minutes=4)
    )
    send()
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    with pytest.raises(codes.SendRefused) as capped:
        send()
    assert capped.value.wait_seconds > 60 * 50
    assert OneTimeCode.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_one_code_checked_twice_at_once_succeeds_once():
    row = send()
    from notifications.services import deliver_email

    deliver_email(OutboxEmail.objects.get().pk)
    code = sent_code()
    assert OneTimeCode.objects.get(pk=row.pk).code_hash

    def attempt() -> str:
        return codes.check_code("registro", "person:1", "ana@ejemplo.test", code).value

    assert run_together([attempt, attempt]) == ["expired", "ok"]


@pytest.mark.django_db
def test_at_most_ten_wrong_codes_an_hour_across_new_codes(django_capture_on_commit_callbacks):
    for round_ in range(3):
        OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=20 - round_))
        with django_capture_on_commit_callbacks(execute=True):
            send()
        code = sent_code()
        wrong = "000000" if code != "000000" else "111111"
        tries = 5 if round_ < 2 else 1
        for _ in range(tries):
            codes.check_code("registro", "person:1", "ana@ejemplo.test", wrong)
    # 10 wrong tries this hour: even the right code of the third email is refused now.
    assert codes.check_code("registro", "person:1", "ana@ejemplo.test", code) is codes.Check.LOCKED
