"""Login lockout: by account and by account+IP (django-axes), an IP-only limit far higher and
on the portals' forms only (never /admin/), one page for every lock whether or not the
account exists, the same hashing work as a wrong password, and idle session renewal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from portal import ratelimit
from tests.helpers import AGENT_PASSWORD as PASSWORD
from tests.helpers import shown_after_refusal

AGENTS = "/agentes/ingresar/"
CLIENTS = "/clientes/ingresar/"
ADMIN = "/admin/login/"
LOCKED = "bloqueado temporalmente"
OFFICE = {"REMOTE_ADDR": "10.20.0.1"}  # a promotoría's one public address
LOGIN_IP_LIMIT = 15


@pytest.fixture
def small_login_ip_limit(monkeypatch):
    """The IP-only rule at 15 (above axes' 10, as 100 is in the table), so a test need not
    make 100 failed logins to reach it."""
    monkeypatch.setitem(
        ratelimit.RATE_LIMITS, "login_ip", (ratelimit.Rule("ip", LOGIN_IP_LIMIT, ratelimit.HOUR),)
    )


def post(client, url: str, username: str, password: str, **meta: str):
    """The login posted; for a refusal, the page after its 303 that shows why."""
    response = client.post(url, {"username": username, "password": password}, **meta)
    return shown_after_refusal(client, response, **meta)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


# --- Shared IPs: an office's failures lock its accounts, not the office --------------------


@pytest.mark.django_db
def test_failures_for_twelve_accounts_from_one_office_ip_leave_the_others_able_to_sign_in(
    client, make_agent_user, make_reviewer
):
    for _n in range(12):
        user = make_agent_user()
        assert not signed_in(client)
        post(client, AGENTS, user.username, "equivocada-123", **OFFICE)
    colleague = make_agent_user()
    response = post(client, AGENTS, colleague.username, PASSWORD, **OFFICE)
    assert response.status_code == 302 and signed_in(client)
    client.logout()
    reviewer = make_reviewer("revisora")
    response = client.post(
        ADMIN, {"username": "revisora", "password": "x", "next": "/admin/"}, **OFFICE
    )
    assert response.status_code == 302 and response.url == "/admin/"
    assert signed_in(client) and client.session["_auth_user_id"] == str(reviewer.pk)


@pytest.mark.django_db
def test_the_ip_only_limit_stops_the_portals_logins_but_never_admin(
    client, make_agent_user, make_reviewer, small_login_ip_limit
):
    for n in range(LOGIN_IP_LIMIT):
        post(client, CLIENTS, f"nadie{n}@ejemplo.test", "equivocada-123", **OFFICE)
    agent = make_agent_user()
    response = post(client, AGENTS, agent.username, PASSWORD, **OFFICE)
    assert response.status_code == 200 and LOCKED in response.text and not signed_in(client)
    assert "60 minutos" in response.text  # when to come back
    # The same person from another address gets in: the lock was the address's.
    assert (
        post(client, AGENTS, agent.username, PASSWORD, REMOTE_ADDR="10.20.0.2").status_code == 302
    )
    client.logout()
    make_reviewer("revisora")
    response = client.post(
        ADMIN, {"username": "revisora", "password": "x", "next": "/admin/"}, **OFFICE
    )
    assert response.status_code == 302 and signed_in(client)


# --- Per account: many addresses do not spread the guesses -------------------------------------


@pytest.mark.django_db
def test_ten_failures_for_one_account_from_ten_addresses_lock_it_even_for_the_right_password(
    client, make_agent_user
):
    user = make_agent_user()
    for n in range(settings.AXES_FAILURE_LIMIT):
        post(client, AGENTS, user.username, "equivocada-123", REMOTE_ADDR=f"10.30.0.{n}")
    response = post(client, AGENTS, user.username, PASSWORD, REMOTE_ADDR="10.30.1.1")
    assert response.status_code == 200 and not signed_in(client)
    assert LOCKED in response.text


@pytest.mark.django_db
def test_failures_at_admin_for_an_agents_username_leave_the_agent_able_to_sign_in(
    client, make_agent_user
):
    """/admin/ counts its failures apart (portal.lockout): guessing there locks no portal
    account, as the portals' failures lock no back-office one (test_staff_login.py)."""
    user = make_agent_user()
    for n in range(settings.AXES_FAILURE_LIMIT):
        post(client, ADMIN, user.username, "equivocada-123", REMOTE_ADDR=f"10.30.2.{n}")
    response = post(client, AGENTS, user.username, PASSWORD, REMOTE_ADDR="10.30.2.0")
    assert response.status_code == 302 and signed_in(client)


@pytest.mark.django_db
def test_more_guesses_during_a_lock_do_not_extend_it(client, make_agent_user):
    from axes.models import AccessAttempt

    def age_attempts(minutes: int) -> None:
        for attempt in AccessAttempt.objects.all():
            attempt.attempt_time -= timedelta(minutes=minutes)
            attempt.save(update_fields=["attempt_time"])

    user = make_agent_user()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post(client, AGENTS, user.username, "equivocada-123", REMOTE_ADDR="10.31.0.1")
    age_attempts(50)
    post(client, AGENTS, user.username, "equivocada-123", REMOTE_ADDR="10.31.0.1")  # still locked
    age_attempts(11)  # the lock began 61 minutes ago, the last guess 11 minutes ago
    post(client, AGENTS, user.username, PASSWORD, REMOTE_ADDR="10.31.2.2")
    assert signed_in(client)  # the owner is back after the window, whatever the guesser did


@pytest.mark.django_db
def test_a_client_account_is_locked_the_same_way(client, make_person):
    from portal.models import User

    User.objects.create_user("maria@ejemplo.test", "maria@ejemplo.test", PASSWORD,
                             kind=User.Kind.CLIENT)  # fmt: skip
    for n in range(settings.AXES_FAILURE_LIMIT):
        post(client, CLIENTS, "maria@ejemplo.test", "equivocada-123", REMOTE_ADDR=f"10.31.0.{n}")
    response = post(client, CLIENTS, "maria@ejemplo.test", PASSWORD, REMOTE_ADDR="10.31.1.1")
    assert LOCKED in response.text and not signed_in(client)


# --- The locked page says so, and is the same for an account that does not exist ---------------


def lock_and_try(client, url: str, username: str, password: str, ip_prefix: str):
    for n in range(settings.AXES_FAILURE_LIMIT):
        post(client, url, username, "equivocada-123", REMOTE_ADDR=f"{ip_prefix}.{n}")
    return post(client, url, username, password, REMOTE_ADDR=f"{ip_prefix}.200")


@pytest.mark.django_db
@pytest.mark.parametrize("url", [AGENTS, CLIENTS])
def test_a_locked_existing_account_and_a_locked_unknown_name_get_the_same_page(
    client, make_agent_user, url
):
    from portal.models import User

    if url == AGENTS:
        existing = make_agent_user().username
        unknown = "NOEX9999"
    else:
        existing = User.objects.create_user("ana@ejemplo.test", "ana@ejemplo.test", PASSWORD,
                                            kind=User.Kind.CLIENT).username  # fmt: skip
        unknown = "nadie@ejemplo.test"
    real = lock_and_try(client, url, existing, PASSWORD, "10.40.0")
    fake = lock_and_try(client, url, unknown, PASSWORD, "10.40.1")
    assert real.status_code == fake.status_code == 200
    assert "Por seguridad tu acceso quedó bloqueado temporalmente" in real.text
    assert "Inténtalo de nuevo en 60 minutos" in real.text
    assert without_csrf(real.text) == without_csrf(fake.text)
    assert existing not in real.text  # nothing typed is echoed back


# --- Timing: a locked attempt costs one password hash, as a wrong one does ---------------------


class CountingHasher(Argon2PasswordHasher):
    """The configured hasher, counting every hash it computes (encode or verify)."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        CountingHasher.calls += 1
        return super().verify(password, encoded)


def hashes_for(action) -> int:
    CountingHasher.calls = 0
    action()
    return CountingHasher.calls


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=["tests.portal.test_lockout.CountingHasher"])
def test_a_locked_attempt_hashes_as_often_as_a_wrong_password(
    client, make_agent_user, small_login_ip_limit
):
    user = make_agent_user()
    wrong = hashes_for(lambda: post(client, AGENTS, user.username, "equivocada-1",
                                    REMOTE_ADDR="10.50.0.1"))  # fmt: skip
    unknown = hashes_for(lambda: post(client, AGENTS, "NOEX9999", "equivocada-1",
                                      REMOTE_ADDR="10.50.0.2"))  # fmt: skip
    for n in range(settings.AXES_FAILURE_LIMIT):
        post(client, AGENTS, user.username, "equivocada-1", REMOTE_ADDR=f"10.50.1.{n}")
    locked = hashes_for(lambda: post(client, AGENTS, user.username, PASSWORD,
                                     REMOTE_ADDR="10.50.2.1"))  # fmt: skip
    assert wrong == unknown == locked == 1
    # An address over the IP-only limit is refused before authentication: hashed all the same.
    for n in range(LOGIN_IP_LIMIT):
        post(client, AGENTS, f"NADIE{n}", "equivocada-1", REMOTE_ADDR="10.50.3.1")
    other = make_agent_user()
    ip_locked = hashes_for(lambda: post(client, AGENTS, other.username, PASSWORD,
                                        REMOTE_ADDR="10.50.3.1"))  # fmt: skip
    assert ip_locked == 1
    assert not signed_in(client)


# --- Idle sessions: each request moves the expiry forward --------------------------------------


@pytest.mark.django_db
def test_a_request_within_the_idle_timeout_keeps_the_session_beyond_its_first_expiry(
    client, make_agent_user
):
    user = make_agent_user()
    assert post(client, AGENTS, user.username, PASSWORD).status_code == 302
    key = client.session.session_key
    soon = timezone.now() + timedelta(minutes=2)  # as if the last request were 28 min ago
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get("/agentes/inicio/").status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed > soon + timedelta(minutes=20)
    assert renewed >= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
