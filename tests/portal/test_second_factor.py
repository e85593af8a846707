"""The second factor (issue 20): authenticator apps with codes computed by pyotp, recovery
codes, enrolment where it is required or offered, the factor asked for every session,
staff in /admin/, wrong and replayed codes, the limit, and the back office's reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.models import OutboxEmail
from portal.accounts import mfa
from portal.models import SecondFactorReset, User
from tests.helpers import AGENT_PASSWORD, post_login, sign_in

VERIFY = "/agentes/segundo-factor/"
SETUP = "/agentes/segundo-factor/activar/"
APP = "/agentes/segundo-factor/app/"
CODES = "/agentes/segundo-factor/codigos/"
MANAGE = "/agentes/segundo-factor/administrar/"
HOME = "/agentes/inicio/"


def _totp(device: TOTPDevice) -> pyotp.TOTP:
    import base64

    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def _app_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def _next_step_code(device: TOTPDevice) -> str:
    """A code of the next 30-second step (django-otp accepts one step of drift): a code
    that differs from the one just used, without waiting for the clock."""
    return _totp(device).at(time.time() + 30)


@pytest.fixture
def agent(make_agent_user):
    return make_agent_user(password=AGENT_PASSWORD)


# --- Sign-in: password, then the factor ------------------------------------------------------


@pytest.mark.django_db
def test_password_alone_does_not_open_the_portal_when_an_app_is_enrolled(agent):
    device = _app_for(agent)
    client = Client()
    page = post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    assert page.redirect_chain[-1][0].startswith(VERIFY)
    assert "Confirma que eres tú" in page.content.decode()
    # Every page of the portal sends the half-signed-in session back to the factor.
    for url in (HOME, "/agentes/usuario/", MANAGE, SETUP, APP, CODES):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), url

    page = client.post(VERIFY, {"code": _totp(device).now()}, follow=True)
    assert page.redirect_chain[-1][0] == HOME
    assert client.get(HOME).status_code == 200


@pytest.mark.django_db
def test_wrong_and_replayed_codes_are_refused(agent):
    device = _app_for(agent)
    client = Client()
    post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    code = _totp(device).now()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page = client.post(VERIFY, {"code": wrong})
    assert page.status_code == 200
    assert "El código no es correcto" in page.content.decode()
    assert client.get(HOME)["Location"].startswith(VERIFY)

    assert client.post(VERIFY, {"code": code})["Location"] == HOME
    # The same code in another session (someone who watched it typed) is refused.
    other = Client()
    post_login(other, "agents", agent.username, AGENT_PASSWORD, follow=True)
    page = other.post(VERIFY, {"code": code})
    assert "El código no es correcto" in page.content.decode()
    assert other.get(HOME)["Location"].startswith(VERIFY)


@pytest.mark.django_db
def test_the_factor_is_asked_again_in_every_new_session(agent):
    device = _app_for(agent)
    first = Client()
    post_login(first, "agents", agent.username, AGENT_PASSWORD, follow=True)
    first.post(VERIFY, {"code": _totp(device).now()})
    assert first.get(HOME).status_code == 200
    first.post("/agentes/salir/")
    post_login(first, "agents", agent.username, AGENT_PASSWORD, follow=True)
    assert first.get(HOME)["Location"].startswith(VERIFY)


@pytest.mark.django_db
def test_ten_wrong_codes_lock_the_factor_even_for_the_right_code(agent):
    device = _app_for(agent)
    client = Client()
    post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    right = _totp(device).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(10):
        client.post(VERIFY, {"code": wrong})
    page = client.post(VERIFY, {"code": right})
    assert "se bloquearon los códigos" in page.content.decode()
    assert client.get(HOME)["Location"].startswith(VERIFY)


# --- Recovery codes ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_recovery_codes_are_stored_hashed_and_work_once(agent):
    _app_for(agent)
    codes = mfa.issue_recovery_codes(agent)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(StaticToken.objects.filter(device__user=agent).values_list("token", flat=True))
    assert not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)

    client = Client()
    post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    page = client.post("/agentes/segundo-factor/recuperacion/", {"code": codes[0]}, follow=True)
    assert "te quedan 9" in page.content.decode()
    assert client.get(HOME).status_code == 200
    assert OutboxEmail.objects.filter(to=agent.email, template="segundo_factor").exists()

    again = Client()
    post_login(again, "agents", agent.username, AGENT_PASSWORD, follow=True)
    page = again.post("/agentes/segundo-factor/recuperacion/", {"code": codes[0]})
    assert "ya se usó" in page.content.decode()
    assert again.get(HOME)["Location"].startswith(VERIFY)
    # Typed in capitals and without the dash, another code still works.
    page = again.post(
        "/agentes/segundo-factor/recuperacion/", {"code": codes[1].upper().replace("-", " ")}
    )
    assert page.status_code == 302


# --- Enrolment ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_required_enrolment_after_the_first_entry_with_qr_key_code_and_ten_codes(
    settings, make_agent_user
):
    settings.AGENT_MFA = "required"
    agent = make_agent_user(password=AGENT_PASSWORD, contact_confirmed=False)
    client = Client()
    post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    # Contact data first (the manual's first entry), then the factor; nothing else opens.
    page = client.post("/agentes/datos-de-contacto/", {"email": agent.email, "phone": "5512345678"})
    assert page.status_code == 302
    assert client.get(HOME)["Location"].startswith(SETUP)
    page = client.get(SETUP).content.decode()
    assert "Ahora no" not in page and "Usar una app de autenticación" in page

    page = client.get(APP).content.decode()
    assert "<svg" in page and 'role="img"' in page
    key = re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page).group(1)
    assert client.get(APP).content.decode().count(key) == 1  # a reload keeps the same key
    totp = pyotp.TOTP(key.replace(" ", ""))
    page = client.post(APP, {"code": "000000" if totp.now() != "000000" else "111111"})
    assert "El código no es correcto" in page.content.decode()
    response = client.post(APP, {"code": totp.now()})
    assert response["Location"] == CODES
    page = client.post(CODES).content.decode()
    shown = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", page)
    assert len(shown) == 10
    assert "data:text/plain" in page and "Imprimir" in page
    assert client.get(HOME).status_code == 200
    assert OutboxEmail.objects.filter(
        to=agent.email, template="segundo_factor", context__change="app_added"
    ).exists()
    # Renewing the codes asks for the password and voids the old ones.
    page = client.post(CODES, {"password": "otra-cosa-123"})
    assert "La contraseña actual es incorrecta" in page.content.decode()
    renewed = client.post(CODES, {"password": AGENT_PASSWORD}).content.decode()
    fresh = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", renewed)
    assert len(fresh) == 10 and not set(fresh) & set(shown)


@pytest.mark.django_db
def test_optional_offer_after_the_first_entry_can_be_put_off(settings, make_agent_user):
    settings.AGENT_MFA = "optional"
    agent = make_agent_user(password=AGENT_PASSWORD, contact_confirmed=False)
    client = Client()
    post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    response = client.post(
        "/agentes/datos-de-contacto/", {"email": agent.email, "phone": "5512345678"}
    )
    assert response["Location"].startswith(SETUP)
    page = client.get(response["Location"]).content.decode()
    assert "Ahora no" in page
    response = client.post(response["Location"], {"next": HOME})
    assert response["Location"] == HOME
    assert client.get(HOME).status_code == 200
    # Off: not offered, no page.
    settings.AGENT_MFA = "off"
    assert client.get(SETUP).status_code == 404


# --- Removing a factor ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_removing_a_factor_asks_for_the_password_and_a_current_factor(agent):
    device = _app_for(agent)
    codes = mfa.issue_recovery_codes(agent)
    client = Client()
    post_login(client, "agents", agent.username, AGENT_PASSWORD, follow=True)
    client.post(VERIFY, {"code": _totp(device).now()})
    key = f"app-{device.pk}"
    page = client.post(MANAGE, {"factor": key, "password": AGENT_PASSWORD, "code": "123456"})
    assert "El código no es correcto" in page.content.decode()
    page = client.post(MANAGE, {"factor": key, "password": "mala-clave-99", "code": codes[0]})
    assert "La contraseña actual es incorrecta" in page.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    client.post(MANAGE, {"factor": key, "password": AGENT_PASSWORD, "code": codes[0]})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not StaticToken.objects.filter(device__user=agent).exists()  # with the last factor
    assert OutboxEmail.objects.filter(
        to=agent.email, template="segundo_factor", context__change="removed"
    ).exists()


# --- Staff ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_enrol_at_the_first_admin_login_where_required(settings, make_reviewer):
    settings.STAFF_MFA = "required"
    reviewer = make_reviewer()
    client = Client()
    client.force_login(reviewer)
    response = client.get("/admin/")
    assert response["Location"].startswith("/admin/segundo-factor/activar/")
    assert client.get("/admin/agents/accessrequest/")["Location"].startswith(
        "/admin/segundo-factor/activar/"
    )
    page = client.get("/admin/segundo-factor/app/").content.decode()
    key = re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page).group(1)
    response = client.post(
        "/admin/segundo-factor/app/", {"code": pyotp.TOTP(key.replace(" ", "")).now()}
    )
    assert response["Location"] == "/admin/segundo-factor/codigos/"
    assert client.get("/admin/").status_code == 200

    # The next session asks for the app's code before admin opens.
    other = Client()
    other.force_login(reviewer)
    assert other.get("/admin/")["Location"].startswith("/admin/segundo-factor/")
    device = TOTPDevice.objects.get(user=reviewer)
    assert (
        other.post(
            "/admin/segundo-factor/?next=/admin/", {"code": _next_step_code(device)}
        ).status_code
        == 302
    )
    assert other.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_admin_refuses_an_unverified_session_even_without_the_gate(settings, make_reviewer, rf):
    from django.contrib import admin
    from django.contrib.sessions.backends.db import SessionStore

    reviewer = make_reviewer()
    _app_for(reviewer)
    request = rf.get("/admin/")
    request.user = reviewer
    request.session = SessionStore()
    mfa.start_session(request, reviewer)
    assert not admin.site.has_permission(request)


# --- Reset of a lost factor -------------------------------------------------------------------


@pytest.mark.django_db
def test_reviewer_resets_an_agents_lost_factor_recorded_append_only(agent, make_reviewer):
    _app_for(agent)
    mfa.issue_recovery_codes(agent)
    reviewer = make_reviewer()
    client = Client()
    client.force_login(reviewer)
    response = client.post(
        "/admin/portal/secondfactorreset/add/",
        {"user": agent.pk, "reason": "Llamada al Call Center, folio 123"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = SecondFactorReset.objects.get(user=agent)
    assert record.reset_by == reviewer and record.factors_removed == 2
    assert not mfa.has_second_factor(agent)
    assert OutboxEmail.objects.filter(
        to=agent.email, template="segundo_factor", context__change="reset"
    ).exists()
    # Append-only in PostgreSQL, whatever skips the admin.
    with pytest.raises(DatabaseError), transaction.atomic():
        SecondFactorReset.objects.filter(pk=record.pk).update(reason="otro")
    # A reviewer cannot reset staff's factors.
    other_staff = make_reviewer(username="otra-revisora")
    _app_for(other_staff)
    client.post("/admin/portal/secondfactorreset/add/", {"user": other_staff.pk, "reason": "x"})
    assert mfa.has_second_factor(other_staff)


@pytest.mark.django_db
def test_manage_py_resets_the_last_superusers_factor(make_reviewer):
    admin_user = User.objects.create_superuser(
        "administrador", "admin@ejemplo.test", AGENT_PASSWORD
    )
    _app_for(admin_user)
    call_command("reset_second_factor", "administrador", reason="Perdió el teléfono")
    assert not mfa.has_second_factor(admin_user)
    assert SecondFactorReset.objects.get(user=admin_user).reset_by is None


@pytest.mark.django_db
def test_clients_enrol_where_client_mfa_is_optional_and_are_asked_at_next_sign_in(
    settings, make_portal_user
):
    settings.CLIENT_MFA = "off"
    client_user = make_portal_user("clients", password=AGENT_PASSWORD)
    browser = sign_in(Client(), "clients", client_user.username)
    assert browser.get("/clientes/segundo-factor/activar/").status_code == 404  # off: not offered
    assert "Segundo factor" not in browser.get("/clientes/").content.decode()

    settings.CLIENT_MFA = "optional"
    assert "Segundo factor" in browser.get("/clientes/").content.decode()
    page = browser.get("/clientes/segundo-factor/app/").content.decode()
    key = re.search(r'<code class="secret-key">([A-Z2-7 ]+)</code>', page).group(1)
    totp = pyotp.TOTP(key.replace(" ", ""))
    response = browser.post("/clientes/segundo-factor/app/", {"code": totp.now()})
    assert response["Location"] == "/clientes/segundo-factor/codigos/"

    again = sign_in(Client(), "clients", client_user.username)
    assert again.get("/clientes/")["Location"].startswith("/clientes/segundo-factor/")
    assert (
        again.post("/clientes/segundo-factor/", {"code": totp.at(time.time() + 30)}).status_code
        == 302
    )
    assert again.get("/clientes/").status_code == 200
