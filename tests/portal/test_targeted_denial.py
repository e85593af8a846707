"""Targeted denial: wrong tries from other addresses must not lock a person out of their own
identification for the whole window. The per-person limit stays; an address with no failure
of its own still gets its attempt, after a pause, up to a ceiling (portal.ratelimit.Rule)."""

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
