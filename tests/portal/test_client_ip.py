"""The client address our limits and django-axes count by (portal.ratelimit.client_ip):
X-Forwarded-For is ignored unless TRUSTED_PROXY_COUNT says proxies write it, and then
only the entries those proxies appended count, whatever a client wrote further left."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import override_settings

from portal import ratelimit
from tests.helpers import fresh_env, manage, shown_after_refusal

LOGIN = "/agentes/ingresar/"
LOCKED = "bloqueado temporalmente"
LOGIN_IP_LIMIT = 3


@pytest.fixture
def small_login_ip_limit(monkeypatch):
    """The IP-only login rule at a few failures, so a test need not make 100 of them."""
    monkeypatch.setitem(
        ratelimit.RATE_LIMITS, "login_ip", (ratelimit.Rule("ip", LOGIN_IP_LIMIT, ratelimit.HOUR),)
    )


def fail_login(client, username: str, **meta: str):
    return client.post(LOGIN, {"username": username, "password": "equivocada-123"}, **meta)


def recorded_addresses() -> set[str]:
    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


# --- No trusted proxy (the default): the header is the client's own words ---------------------


@pytest.mark.django_db
def test_without_trusted_proxies_axes_records_the_socket_address_not_a_forged_header(
    client, make_agent_user
):
    user = make_agent_user()
    for n in range(3):
        # Public addresses: a library left to guess would prefer them to a private socket.
        fail_login(client, user.username, REMOTE_ADDR="10.9.9.9",
                   HTTP_X_FORWARDED_FOR=f"8.8.4.{n}")  # fmt: skip
    assert recorded_addresses() == {"10.9.9.9"}
    assert AccessAttempt.objects.get().failures_since_start == 3


@pytest.mark.django_db
def test_without_trusted_proxies_a_rotating_forged_header_does_not_escape_the_ip_limit(
    client, make_agent_user, small_login_ip_limit
):
    for n in range(LOGIN_IP_LIMIT):
        fail_login(client, f"NADIE{n}", REMOTE_ADDR="10.9.9.9",
                   HTTP_X_FORWARDED_FOR=f"8.8.4.{n}")  # fmt: skip
    user = make_agent_user()
    meta = {
        "REMOTE_ADDR": "10.9.9.9",
        "HTTP_X_FORWARDED_FOR": "198.51.100.77",  # yet another "client" the header claims
    }
    response = client.post(LOGIN, {"username": user.username, "password": "Clave-Segura-2024"},
                           **meta)  # fmt: skip
    assert response.status_code == 303 and response["Location"] == LOGIN  # refused
    shown = shown_after_refusal(client, response, **meta)
    assert shown.status_code == 200 and LOCKED in shown.text
    assert "_auth_user_id" not in client.session


# --- One trusted proxy (a TLS terminator): its entry, the right-most, is the client ----------


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_axes_records_the_right_most_forwarded_address(client, make_agent_user):
    user = make_agent_user()
    fail_login(client, user.username, REMOTE_ADDR="10.0.0.1",
               HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")  # fmt: skip
    fail_login(client, user.username, REMOTE_ADDR="10.0.0.1",
               HTTP_X_FORWARDED_FOR="203.0.113.10")  # fmt: skip
    assert recorded_addresses() == {"203.0.113.9", "203.0.113.10"}


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_clients_are_told_apart_and_a_forged_prefix_changes_nothing(
    client, make_agent_user, small_login_ip_limit
):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(LOGIN_IP_LIMIT):  # one client, each time claiming another address first
        fail_login(client, f"NADIE{n}", **proxy, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 203.0.113.9")
    user = make_agent_user()
    right = {"username": user.username, "password": "Clave-Segura-2024"}
    forged = {**proxy, "HTTP_X_FORWARDED_FOR": "8.8.8.8, 203.0.113.9"}
    response = client.post(LOGIN, right, **forged)
    assert response.status_code == 303 and response["Location"] == LOGIN  # refused
    shown = shown_after_refusal(client, response, **forged)
    assert LOCKED in shown.text and "_auth_user_id" not in client.session
    # Another client behind the same proxy is not that one.
    response = client.post(LOGIN, right, **proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert response.status_code == 302


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_client_is_the_second_from_the_right(client, make_agent_user):
    user = make_agent_user()
    fail_login(client, user.username, REMOTE_ADDR="10.0.0.2",
               HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.44, 10.0.0.1")  # fmt: skip
    assert recorded_addresses() == {"203.0.113.44"}


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_a_request_without_the_header_counts_by_the_socket(client, make_agent_user):
    user = make_agent_user()
    fail_login(client, user.username, REMOTE_ADDR="10.0.0.1")
    assert recorded_addresses() == {"10.0.0.1"}


# --- The setting itself ------------------------------------------------------------------------

SHOW = "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"


@pytest.mark.parametrize("value", ["uno", "-1", "1.5", "1,2"])
def test_a_trusted_proxy_count_that_is_not_a_whole_number_stops_the_start(tmp_path, value):
    env = fresh_env(tmp_path, TRUSTED_PROXY_COUNT=value)
    result = manage("shell", "--no-imports", "-c", SHOW, env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: TRUSTED_PROXY_COUNT must be a whole number" in result.stderr


def test_trusted_proxy_count_is_read_from_the_environment_and_defaults_to_none(tmp_path):
    result = manage("shell", "--no-imports", "-c", SHOW, env=fresh_env(tmp_path))
    assert result.stdout.strip() == "0", result.stderr
    env = fresh_env(tmp_path, TRUSTED_PROXY_COUNT=" 2 ")
    result = manage("shell", "--no-imports", "-c", SHOW, env=env)
    assert result.stdout.strip() == "2", result.stderr
