"""Staff sign in only at /admin/ (issue 20). A back-office account (kind "staff", or
is_staff, or is_superuser) is an unknown name on the portals' login and reset forms — the
same page, the same hashing, its failures counted as an unknown name's — and those failures
never count against it at /admin/. A superuser lifts a lock before its time, from admin or
with `manage.py unlock_account`."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client, override_settings

from notifications.models import OutboxEmail
from portal.models import User
from tests.helpers import shown_after_refusal
from tests.portal.test_lockout import hashes_for

pytestmark = pytest.mark.django_db

PASSWORD = "Clave-Oficina-2026"
WRONG = "equivocada-123"
ADMIN = "/admin/login/"
AGENTS = "/agentes/ingresar/"
CLIENTS = "/clientes/ingresar/"
USERS = "/admin/portal/user/"
LOCKED = "bloqueado temporalmente"
UNLOCK = "Desbloquear el inicio de sesión"


def back_office(username: str, **fields) -> User:
    """A reviewer (kind "staff"), or with `kind=…` a portal kind that is staff or superuser."""
    fields.setdefault("kind", User.Kind.STAFF)
    fields.setdefault("is_staff", True)
    email = fields.pop("email", f"{username.lower().split('@')[0]}@back.test")
    return User.objects.create_user(username, email, PASSWORD, **fields)


def post(client, url: str, username: str, password: str, **meta: str):
    """The login posted; for a refusal, the page after its 303 that shows why."""
    response = client.post(url, {"username": username, "password": password}, **meta)
    return shown_after_refusal(client, response, **meta)


def admin_sign_in(client, username: str, password: str, **meta: str):
    return client.post(ADMIN, {"username": username, "password": password, "next": "/admin/"},
                       **meta)  # fmt: skip


def signed_in_as(client, user: User) -> bool:
    """The password step passed (what follows it, a second factor, is not this file's)."""
    return client.session.get("_auth_user_id") == str(user.pk)


def page_text(response, typed: str) -> str:
    """The page without its CSRF token and with the typed name (echoed in its field) blanked."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)
    return html.replace(typed, "…")


def lock_at_admin(username: str) -> None:
    """The limit of wrong passwords for `username` at /admin/, each from its own address."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        admin_sign_in(Client(), username, WRONG, REMOTE_ADDR=f"10.70.0.{n}")


# --- The portals' failures never count at /admin/ ---------------------------------------------


@pytest.mark.parametrize(
    "url,username",
    [(CLIENTS, "revisor"), (AGENTS, "REVISOR")],  # as each form keeps what is typed
    ids=["clients", "agents"],
)
def test_failures_on_a_portals_login_form_leave_the_reviewer_able_to_sign_in_at_admin(
    client, url, username
):
    reviewer = back_office(username)
    for _n in range(settings.AXES_FAILURE_LIMIT):
        post(client, url, username, WRONG, REMOTE_ADDR="10.60.0.1")
    # The portal locked the name, as it locks any unknown name...
    assert LOCKED in post(client, url, username, PASSWORD, REMOTE_ADDR="10.60.0.1").text
    # ...and /admin/, from the very same address, did not.
    response = admin_sign_in(client, username, PASSWORD, REMOTE_ADDR="10.60.0.1")
    assert response.status_code == 302 and signed_in_as(client, reviewer)


def test_a_portal_name_written_like_the_admin_count_does_not_lock_admin(client):
    reviewer = back_office("revisor")
    for _n in range(settings.AXES_FAILURE_LIMIT):
        post(client, CLIENTS, "admin:revisor", WRONG, REMOTE_ADDR="10.60.1.1")
    response = admin_sign_in(client, "revisor", PASSWORD, REMOTE_ADDR="10.60.1.1")
    assert response.status_code == 302 and signed_in_as(client, reviewer)


# --- A back-office account is an unknown name on the portals' login --------------------------

ACCOUNTS = {
    # portal → (login URL, unknown name, back-office accounts by how they are back office)
    "agents": (AGENTS, "NOEX9999", {
        "reviewer": dict(username="REVISOR"),
        "superuser": dict(username="DIRECTORA", is_superuser=True),
        "agent_kind_staff": dict(username="SPXA9001", kind=User.Kind.AGENT),
    }),
    "clients": (CLIENTS, "nadie@ejemplo.test", {
        "reviewer": dict(username="revisor@back.test"),
        "superuser": dict(username="directora@back.test", is_superuser=True),
        "client_kind_superuser": dict(username="jefa@ejemplo.test", kind=User.Kind.CLIENT,
                                      is_staff=False, is_superuser=True),
    }),
}  # fmt: skip
CASES = [(portal, who) for portal, (_u, _n, accounts) in ACCOUNTS.items() for who in accounts]


@pytest.mark.parametrize("portal,who", CASES, ids=[f"{p}-{w}" for p, w in CASES])
@override_settings(PASSWORD_HASHERS=["tests.portal.test_lockout.CountingHasher"])
def test_a_back_office_account_on_a_portals_login_is_an_unknown_name(client, portal, who):
    url, unknown, accounts = ACCOUNTS[portal]
    fields = dict(accounts[who])
    account = back_office(fields.pop("username"), **fields)
    name = account.username
    right = hashes_for(lambda: post(client, url, name, PASSWORD, REMOTE_ADDR="10.61.0.1"))
    as_staff = post(client, url, name, PASSWORD, REMOTE_ADDR="10.61.0.1")
    as_unknown = post(client, url, unknown, PASSWORD, REMOTE_ADDR="10.61.0.2")
    none = hashes_for(lambda: post(client, url, unknown, PASSWORD, REMOTE_ADDR="10.61.0.2"))
    assert right == none == 1  # the typed password hashed once; the account's never checked
    assert as_staff.status_code == as_unknown.status_code == 200
    assert page_text(as_staff, name) == page_text(as_unknown, unknown)
    assert not signed_in_as(client, account)
    # Even the right password counts as a failure, as any password for an unknown name does:
    # the limit of them locks the name on the portal, never the account at /admin/.
    for n in range(settings.AXES_FAILURE_LIMIT - 2):
        post(client, url, name, PASSWORD, REMOTE_ADDR=f"10.61.1.{n}")
    assert LOCKED in post(client, url, name, PASSWORD, REMOTE_ADDR="10.61.2.1").text
    assert not AccessAttempt.objects.filter(username__startswith="admin:").exists()


# --- ...and on the portals' "¿Olvidaste tu contraseña?" --------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "agent_kind_staff"])
def test_a_back_office_username_on_the_agents_reset_form_gets_no_email_and_the_unknown_answer(
    client, who, django_capture_on_commit_callbacks
):
    fields = dict(ACCOUNTS["agents"][2][who])
    account = back_office(fields.pop("username"), **fields)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/agentes/contrasena/olvide/", {"email": account.username})
        unknown = client.post("/agentes/contrasena/olvide/", {"email": "NOEX9999"})
    assert known.status_code == unknown.status_code == 302 and known.url == unknown.url
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize("who", ["reviewer", "client_kind_superuser"])
def test_a_back_office_address_on_the_clients_reset_form_gets_the_no_account_notice(
    client, who, django_capture_on_commit_callbacks
):
    fields = dict(ACCOUNTS["clients"][2][who])
    account = back_office(fields.pop("username"), **fields)
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/clientes/contrasena/olvide/", {"email": account.email})
        unknown = client.post("/clientes/contrasena/olvide/", {"email": "nadie@ejemplo.test"})
    assert known.status_code == unknown.status_code == 302 and known.url == unknown.url
    # The address is told there is no account here, exactly as an unknown one; no link.
    sent = dict(OutboxEmail.objects.values_list("to", "template"))
    assert sent == {account.email: "restablecer_sin_cuenta",
                    "nadie@ejemplo.test": "restablecer_sin_cuenta"}  # fmt: skip


# --- Lifting a lock: superusers in admin, the operator with manage.py ------------------------


@pytest.fixture
def staff_sessions_without_factor(settings):
    """These tests are about the unlock, not the second factor: a staff session without one
    reaches admin (STAFF_MFA "optional")."""
    settings.STAFF_MFA = "optional"


def test_a_superuser_unlocks_a_locked_reviewer_from_admin_and_it_is_recorded(
    client, staff_sessions_without_factor
):
    directora = User.objects.create_superuser("directora", "directora@back.test", PASSWORD)
    reviewer = back_office("revisor")
    lock_at_admin("revisor")
    assert LOCKED in admin_sign_in(Client(), "revisor", PASSWORD, REMOTE_ADDR="10.70.1.1").text
    client.force_login(directora)
    assert UNLOCK in client.get(USERS).text
    response = client.post(
        USERS, {"action": "unlock_login", "_selected_action": [reviewer.pk]}, follow=True
    )
    assert "Se desbloqueó el inicio de sesión de 1 usuario." in response.text
    entry = LogEntry.objects.get(object_id=str(reviewer.pk))
    assert (
        entry.user == directora and entry.get_change_message() == "Inicio de sesión desbloqueado."
    )
    assert not AccessAttempt.objects.filter(username="admin:revisor").exists()
    again = Client()
    response = admin_sign_in(again, "revisor", PASSWORD, REMOTE_ADDR="10.70.1.1")
    assert response.status_code == 302 and signed_in_as(again, reviewer)


def test_staff_who_are_not_superusers_neither_see_nor_can_post_the_unlock(
    client, staff_sessions_without_factor
):
    manager = back_office("gerente")
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    back_office("revisor")
    lock_at_admin("revisor")
    client.force_login(manager)
    page = client.get(USERS)
    assert page.status_code == 200 and UNLOCK not in page.text
    reviewer = User.objects.get(username="revisor")
    client.post(USERS, {"action": "unlock_login", "_selected_action": [reviewer.pk]})
    assert AccessAttempt.objects.filter(username="admin:revisor").count() == (
        settings.AXES_FAILURE_LIMIT
    )
    assert LOCKED in admin_sign_in(Client(), "revisor", PASSWORD, REMOTE_ADDR="10.70.1.1").text


def test_manage_py_unlock_account_lets_a_locked_out_last_superuser_back_in():
    administrador = User.objects.create_superuser("administrador", "adm@back.test", PASSWORD)
    lock_at_admin("administrador")
    post(Client(), CLIENTS, "administrador", WRONG, REMOTE_ADDR="10.70.2.1")  # a portal's row
    assert LOCKED in admin_sign_in(Client(), "administrador", PASSWORD).text
    out = StringIO()
    call_command("unlock_account", "administrador", stdout=out)
    removed = settings.AXES_FAILURE_LIMIT + 1
    assert f"administrador: desbloqueado; {removed} intentos borrados." in out.getvalue()
    assert not AccessAttempt.objects.exists()
    client = Client()
    response = admin_sign_in(client, "administrador", PASSWORD)
    assert response.status_code == 302 and signed_in_as(client, administrador)


# --- In Chromium, on a phone -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_administrator_with_a_factor_signs_in_on_a_360px_phone_while_locked_from_elsewhere(
    open_page, settings
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.RATE_LIMIT_CLEAN_IP_DELAY = 0.3
    owner = User.objects.create_superuser("administrador", "adm@back.test", PASSWORD)
    TOTPDevice.objects.create(user=owner, name="app", confirmed=True)
    lock_at_admin("administrador")  # from ten addresses; the browser's is not one of them
    page = open_page(viewport={"width": 360, "height": 740})
    page.goto("/admin/login/")
    page.get_by_label("Nombre de usuario").fill("administrador")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Identificarse").click()
    page.wait_for_url(lambda url: "/admin/login/" not in url)  # on to the second factor
    assert LOCKED not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
