"""Targeted denial: wrong tries from other addresses must not lock a person out of their own
identification for the whole window. The per-person limit stays; an address with no failure
of its own still gets its attempt, after a pause, up to a ceiling (portal.ratelimit.Rule).
The same at /admin/ for an account with a second factor, with no ceiling (portal.lockout)."""

import time

import pytest
from django.test import Client, override_settings

from portal import ratelimit
from tests.helpers import ClientWizard, RequestWizard

pytestmark = pytest.mark.django_db
DELAY = 0.4
TOO_MANY = "Se excedió el número de intentos"


def agent_wizard(ip: str) -> RequestWizard:
    wizard = RequestWizard(Client(REMOTE_ADDR=ip))
    wizard.start()
    return wizard


def client_wizard(ip: str) -> ClientWizard:
    wizard = ClientWizard(Client(REMOTE_ADDR=ip))
    wizard.start()
    return wizard


def lock_agent_from_other_addresses(agent) -> None:
    for n in range(ratelimit.rule("identify_agent", "agent").limit):
        agent_wizard(f"10.0.1.{n}").identify(agent, rfc="SOPX690529MV4")


@override_settings(RATE_LIMIT_CLEAN_IP_DELAY=DELAY)
def test_agent_locked_by_others_still_identifies_from_a_clean_address_after_a_pause(make_agent):
    agent = make_agent()
    lock_agent_from_other_addresses(agent)
    started = time.monotonic()
    response = agent_wizard("10.0.9.9").identify(agent)
    assert time.monotonic() - started >= DELAY  # slowed, not refused
    assert "Paso 2 de 5" in response.text and TOO_MANY not in response.text


@override_settings(RATE_LIMIT_CLEAN_IP_DELAY=0)
def test_agent_locked_refuses_an_address_that_failed_even_with_the_right_data(make_agent):
    agent = make_agent()
    lock_agent_from_other_addresses(agent)
    attacker = agent_wizard("10.0.1.0")  # one of the addresses that failed
    assert TOO_MANY in attacker.identify(agent).text


@override_settings(RATE_LIMIT_CLEAN_IP_DELAY=0)
def test_a_clean_address_gets_one_guess_at_a_locked_agent_then_is_refused(make_agent):
    agent = make_agent()
    lock_agent_from_other_addresses(agent)
    guesser = agent_wizard("10.0.9.8")
    assert TOO_MANY in guesser.identify(agent, rfc="SOPX690529MV4").text  # nothing learnt
    assert TOO_MANY in guesser.identify(agent).text  # its one grace try is spent


@override_settings(RATE_LIMIT_CLEAN_IP_DELAY=0)
def test_past_the_ceiling_even_a_clean_address_is_refused(make_agent):
    agent = make_agent()
    limit = ratelimit.rule("identify_agent", "agent")
    for n in range(limit.limit * limit.ceiling):
        agent_wizard(f"10.2.{n // 200}.{n % 200}").identify(agent, rfc="SOPX690529MV4")
    assert TOO_MANY in agent_wizard("10.0.9.7").identify(agent).text


@override_settings(RATE_LIMIT_CLEAN_IP_DELAY=DELAY)
def test_client_locked_by_others_still_identifies_from_a_clean_address(make_person):
    person = make_person()
    for n in range(ratelimit.rule("identify_client", "policy").limit):
        client_wizard(f"10.0.3.{n}").identify(person, nombre="OTRO")
    assert TOO_MANY in client_wizard("10.0.3.0").identify(person).text
    response = client_wizard("10.0.4.4").identify(person)
    assert "Paso 2 de 4" in response.text and TOO_MANY not in response.text


# --- /admin/: many addresses lock themselves, never an owner who has a second factor ----------

ADMIN_LOGIN = "/admin/login/"
ADMIN_PASSWORD = "Clave-Administrador-2026"
LOCKED = "bloqueado temporalmente"
ATTACKERS = [f"198.51.100.{n}" for n in range(10)]  # as many as the account's limit
OWNER_ADDRESS = "203.0.113.7"


def administrador(*, second_factor: bool):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.models import User

    user = User.objects.create_superuser("administrador", "adm@back.test", ADMIN_PASSWORD)
    if second_factor:
        TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user


def admin_attempt(password: str, address: str) -> tuple[Client, object]:
    """A sign-in at /admin/ through the TLS proxy (10.0.0.1), which names the client in
    X-Forwarded-For."""
    browser = Client()
    response = browser.post(
        ADMIN_LOGIN,
        {"username": "administrador", "password": password, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=address,
    )
    return browser, response


def passed_password(browser: Client, user) -> bool:
    return browser.session.get("_auth_user_id") == str(user.pk)


def attack_administrador() -> None:
    from django.conf import settings

    assert len(ATTACKERS) == settings.AXES_FAILURE_LIMIT
    for address in ATTACKERS:
        admin_attempt("equivocada-123", address)


@override_settings(TRUSTED_PROXY_COUNT=1, RATE_LIMIT_CLEAN_IP_DELAY=DELAY)
def test_administrator_with_a_second_factor_locked_from_ten_addresses_signs_in_from_a_clean_one():
    owner = administrador(second_factor=True)
    attack_administrador()
    for address in ATTACKERS:  # the attacking addresses are locked, even with the password
        browser, response = admin_attempt(ADMIN_PASSWORD, address)
        assert LOCKED in response.text and not passed_password(browser, owner)
    started = time.monotonic()
    browser, response = admin_attempt(ADMIN_PASSWORD, OWNER_ADDRESS)
    assert time.monotonic() - started >= DELAY  # slowed, not refused
    assert response.status_code == 302 and passed_password(browser, owner)
    # The owner's sign-in lifts nothing for the attackers.
    browser, response = admin_attempt(ADMIN_PASSWORD, ATTACKERS[0])
    assert LOCKED in response.text and not passed_password(browser, owner)


@override_settings(TRUSTED_PROXY_COUNT=1, RATE_LIMIT_CLEAN_IP_DELAY=0)
def test_administrator_without_a_second_factor_is_locked_from_ten_addresses_as_before():
    owner = administrador(second_factor=False)
    attack_administrador()
    browser, response = admin_attempt(ADMIN_PASSWORD, OWNER_ADDRESS)
    assert LOCKED in response.text and not passed_password(browser, owner)


@override_settings(TRUSTED_PROXY_COUNT=1, RATE_LIMIT_CLEAN_IP_DELAY=0)
def test_past_the_admin_limit_a_clean_address_that_fails_once_is_locked_too():
    owner = administrador(second_factor=True)
    attack_administrador()
    browser, response = admin_attempt("otra-equivocada", OWNER_ADDRESS)
    assert response.status_code == 200 and not passed_password(browser, owner)
    browser, response = admin_attempt(ADMIN_PASSWORD, OWNER_ADDRESS)  # its one try is spent
    assert LOCKED in response.text and not passed_password(browser, owner)
