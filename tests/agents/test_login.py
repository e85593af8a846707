"""Agent login (001 §4): Usuario/Clave, lockout, temporary password, forced change."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.helpers import AGENT_PASSWORD, shown_after_refusal

LOGIN = "/agentes/ingresar/"
CHANGE = "/agentes/contrasena/cambiar/"
TEMPORARY = "ab3cd4ef"
NEW = "Girasol-Azul-2024"


def login(client, user, password, **extra):
    """The login posted; for a refusal, the page after its 303 that shows why."""
    response = client.post(LOGIN, {"username": user.username, "password": password, **extra})
    return shown_after_refusal(client, response)


@pytest.mark.django_db
def test_login_page_shows_manual_fields_and_links(client):
    response = client.get(LOGIN)
    text = response.text
    assert response.status_code == 200
    assert '<label for="id_username">Usuario' in text
    assert '<label for="id_password">Contraseña' in text
    assert ">Ingresar</button>" in text
    assert "¿Olvidaste tu contraseña?" in text
    assert f'href="{reverse("agents:password_reset")}"' in text
    assert "¿Nuevo Usuario?" in text and "Solicítalo aquí." in text
    assert client.get(reverse("agents:password_reset")).status_code == 200


@pytest.mark.django_db
def test_login_with_own_password_goes_home_with_a_new_session_key(client, make_agent_user):
    user = make_agent_user()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    response = login(client, user, AGENT_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("agents:home")
    assert client.session.session_key != before
    assert "Bienvenido XIMENA SOTO PARDO" in client.get(response.url).text


@pytest.mark.django_db
def test_username_is_not_case_sensitive(client, make_agent_user):
    user = make_agent_user()
    response = client.post(LOGIN, {"username": user.username.lower(), "password": AGENT_PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_generic_error_under_summary(client, make_agent_user):
    user = make_agent_user()
    response = login(client, user, "nope")
    assert response.status_code == 200
    assert "Se detectaron los siguientes errores:" in response.text
    assert "Usuario o contraseña incorrectos." in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_staff_or_client_cannot_enter_the_agent_portal(client, django_user_model):
    django_user_model.objects.create_user(username="REVISOR", password=AGENT_PASSWORD, kind="staff")
    response = client.post(LOGIN, {"username": "REVISOR", "password": AGENT_PASSWORD})
    response = shown_after_refusal(client, response)
    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos." in response.text


@pytest.mark.django_db
def test_temporary_password_only_reaches_password_change(client, make_agent_user):
    user = make_agent_user(password=TEMPORARY, password_expired=True, contact_confirmed=False)
    response = login(client, user, TEMPORARY)
    assert response.status_code == 302 and response.url == CHANGE
    for name in [
        "agents:home",
        "agents:tools",
        "agents:manage",
        "agents:email_change",
        "agents:email_confirm",
        "agents:phone_change",
        "agents:confirm_contact",
        "agents:help",
        "agents:contact",
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response.url == CHANGE, name
    assert client.post(reverse("agents:phone_change"), {"phone": "5599999999"}).url == CHANGE
    page = client.get(CHANGE)
    assert page.status_code == 200
    for label in ["ID de Usuario", "Contraseña actual", "Nueva contraseña"]:
        assert f">{label}" in page.text
    assert ">Confirmar nueva contraseña" in page.text
    assert user.username in page.text
    assert "Administra tu Usuario" not in page.text  # no links that lead nowhere
    assert "Al menos 12 caracteres" in page.text or "12 caracteres" in page.text


@pytest.mark.django_db
def test_expired_temporary_password_does_not_log_in(client, make_agent_user):
    user = make_agent_user(password=TEMPORARY, password_expired=True)
    user.temporary_password_expires_at = timezone.now() - timedelta(minutes=1)
    user.save()
    response = login(client, user, TEMPORARY)
    assert response.status_code == 200
    assert "Tu contraseña temporal ya venció" in response.text
    assert settings.CALL_CENTER_PHONE in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_forced_change_rejects_same_password_and_weak_ones(client, make_agent_user):
    user = make_agent_user(password=TEMPORARY, password_expired=True)
    login(client, user, TEMPORARY)
    cases = [
        ({"old_password": "otra", "new_password1": NEW, "new_password2": NEW},
         "La contraseña actual es incorrecta."),
        ({"old_password": TEMPORARY, "new_password1": TEMPORARY, "new_password2": TEMPORARY},
         "La nueva contraseña debe ser diferente a la contraseña actual."),
        ({"old_password": TEMPORARY, "new_password1": "corta1", "new_password2": "corta1"},
         "12 caracteres"),
        ({"old_password": TEMPORARY, "new_password1": "123456789012345",
          "new_password2": "123456789012345"}, "no puede ser sólo números"),
        ({"old_password": TEMPORARY, "new_password1": NEW, "new_password2": NEW + "x"},
         "La nueva contraseña y su confirmación no coinciden."),
    ]  # fmt: skip
    for data, message in cases:
        response = client.post(CHANGE, data)
        assert response.status_code == 200
        assert "Se detectaron los siguientes errores:" in response.text
        assert message in response.text, message
    user.refresh_from_db()
    assert user.password_expired and user.check_password(TEMPORARY)


@pytest.mark.django_db
def test_forced_change_logs_out_and_new_password_logs_in(client, make_agent_user):
    user = make_agent_user(password=TEMPORARY, password_expired=True)
    login(client, user, TEMPORARY)
    response = client.post(
        CHANGE, {"old_password": TEMPORARY, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 200
    assert "Contraseña cambiada exitosamente. Es necesario reingresar al portal" in response.text
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert not user.password_expired and user.password_changed_at is not None
    assert user.temporary_password_expires_at is None
    assert client.get(reverse("agents:home")).url.startswith(LOGIN)
    assert login(client, user, TEMPORARY).status_code == 200  # the temporary one is gone
    assert login(client, user, NEW).url == reverse("agents:home")


@pytest.mark.django_db
def test_password_older_than_max_age_forces_change(client, make_agent_user):
    user = make_agent_user()
    user.password_changed_at = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    user.save()
    response = login(client, user, AGENT_PASSWORD)
    assert response.url == CHANGE
    assert client.get(reverse("agents:home")).url == CHANGE


@pytest.mark.django_db
def test_lockout_after_ten_failures_says_the_access_is_locked_and_when_to_retry(
    client, make_agent_user
):
    user = make_agent_user()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "Usuario o contraseña incorrectos." in login(client, user, "equivocada").text
    assert "bloqueado temporalmente" in login(client, user, "equivocada").text  # the 10th
    response = login(client, user, AGENT_PASSWORD)  # right password, but locked
    assert response.status_code == 200
    assert "bloqueado temporalmente" in response.text and "60 minutos" in response.text
    assert "_auth_user_id" not in client.session
    # Another account from the same IP is not affected.
    other = make_agent_user(password="Otra-Clave-Segura-1")
    response = client.post(LOGIN, {"username": other.username, "password": "Otra-Clave-Segura-1"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_failures_across_usernames_from_one_ip_do_not_lock_the_others(client, make_agent_user):
    # An office shares one address: only the far higher "login_ip" limit counts them
    # together (tests/portal/test_lockout.py).
    user = make_agent_user()
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post(LOGIN, {"username": f"NADIE{n}", "password": "x"}, REMOTE_ADDR="10.1.1.1")
    response = client.post(
        LOGIN, {"username": user.username, "password": AGENT_PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_password_reset_lifts_an_account_lockout(client, make_agent_user):
    from portal.accounts import services

    user = make_agent_user()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, user, "equivocada")
    services.set_password(user, NEW)
    assert login(client, user, NEW).status_code == 302


@pytest.mark.django_db
def test_manage_link_from_request_wizard_asks_login_then_opens_manage(
    client, make_agent_user, wizard
):
    """Item 8: the wizard's "Administra tu usuario" link works for an agent with access."""
    from agents.models import Agent

    user = make_agent_user()
    agent = Agent.objects.get(user=user)
    wizard.start()
    response = wizard.identify(agent)
    assert "El agente ya cuenta con acceso a los portales disponibles." in response.text
    manage = reverse("agents:manage")
    assert f'href="{manage}"' in response.text
    response = client.get(manage)
    assert response.status_code == 302 and response.url == f"{LOGIN}?next={manage}"
    page = client.get(response.url)
    assert f'name="next" value="{manage}"' in page.text
    response = login(client, user, AGENT_PASSWORD, next=manage)
    assert response.url == manage
    assert "Administra tu Usuario" in client.get(manage).text
