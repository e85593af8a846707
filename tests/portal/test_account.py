"""Account services and pages shared by the portals: email change, password change, reset."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications.models import OutboxEmail
from portal import codes, ratelimit
from portal.accounts import services
from tests.helpers import AGENT_PASSWORD, last_code

NEW = "Girasol-Azul-2024"
REQUESTER = {"session_key": "sesion-de-prueba", "ip": "10.0.0.1"}


def reset_link() -> str:
    return re.search(r"http://testserver(/agentes/contrasena/\S+/)", mail.outbox[-1].body)[1]


# --- Email change ------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_change_service_sends_code_to_new_address_only(
    make_agent_user, django_capture_on_commit_callbacks
):
    user = make_agent_user()
    old = user.email
    with django_capture_on_commit_callbacks(execute=True):
        services.start_email_change(user, " Nuevo@Ejemplo.TEST ", **REQUESTER)
    assert mail.outbox[-1].to == ["nuevo@ejemplo.test"]
    assert services.pending_email_change(user) == "nuevo@ejemplo.test"
    code = last_code()
    wrong = "111111" if code != "111111" else "222222"
    assert services.confirm_email_change(user, wrong, current_session_key=None) is codes.Check.WRONG
    user.refresh_from_db()
    assert user.email == old
    assert services.confirm_email_change(user, code, current_session_key=None) is codes.Check.OK
    user.refresh_from_db()
    assert user.email == "nuevo@ejemplo.test"
    assert services.pending_email_change(user) is None
    with pytest.raises(services.NoEmailChangePending):
        services.confirm_email_change(user, last_code(), current_session_key=None)


@pytest.mark.django_db
def test_email_change_refuses_an_address_of_another_account(make_agent_user):
    user, other = make_agent_user(), make_agent_user()
    with pytest.raises(services.EmailInUse):
        services.start_email_change(user, other.email.upper(), **REQUESTER)


@pytest.mark.django_db
def test_email_change_pages_from_administra_tu_usuario(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    user = make_agent_user()
    client.force_login(user)
    manage = client.get(reverse("agents:manage")).text
    assert user.email in manage and "Cambiar correo electrónico" in manage
    url = reverse("agents:email_change")
    response = client.post(url, {"email": "a@ejemplo.test", "email_confirmation": "b@ejemplo.test"})
    assert "El correo electrónico y su confirmación no coinciden." in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "email": "nuevo@ejemplo.test",
                "email_confirmation": "nuevo@ejemplo.test",
                "password": AGENT_PASSWORD,
            },
        )
    assert response.url == reverse("agents:email_confirm")
    code = last_code()
    wrong = "111111" if code != "111111" else "222222"
    response = client.post(response.url, {"code": wrong})
    assert "El código no es correcto." in response.text
    response = client.post(reverse("agents:email_confirm"), {"code": code})
    assert response.url == reverse("agents:manage")
    user.refresh_from_db()
    assert user.email == "nuevo@ejemplo.test"
    assert "Tu correo electrónico quedó actualizado." in client.get(response.url).text
    # The code is single use: the confirm page now sends back to the start.
    assert client.get(reverse("agents:email_confirm")).url == reverse("agents:manage")


@pytest.mark.django_db
def test_second_code_within_cooldown_is_refused_with_a_wait_message(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    client.force_login(make_agent_user())
    data = {
        "email": "nuevo@ejemplo.test",
        "email_confirmation": "nuevo@ejemplo.test",
        "password": AGENT_PASSWORD,
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("agents:email_change"), data)
        response = client.post(reverse("agents:email_change"), data)
    assert response.status_code == 200
    assert "Podrás pedir otro en" in response.text


@pytest.mark.django_db
def test_phone_update(client, make_agent_user):
    user = make_agent_user()
    client.force_login(user)
    response = client.post(reverse("agents:phone_change"), {"phone": "81 8888 9999"})
    assert response.url == reverse("agents:manage")
    user.refresh_from_db()
    assert user.phone == "8188889999"  # one number, however it was spaced


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["2024-02-30", "(55) 123-45", "5512345678901234"])
def test_phone_needs_ten_to_fifteen_digits_whatever_the_shape(client, make_agent_user, typed):
    user = make_agent_user()
    client.force_login(user)
    response = client.post(reverse("agents:phone_change"), {"phone": typed})
    assert response.status_code == 200
    assert "Escribe un teléfono de 10 dígitos" in response.content.decode()
    user.refresh_from_db()
    assert user.phone == "5512345678"


# --- Password change ---------------------------------------------------------------------


@pytest.mark.django_db
def test_voluntary_password_change_rotates_session_and_ends_other_sessions(make_agent_user):
    user = make_agent_user()
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    before = here.session.session_key
    url = reverse("agents:password_change")
    response = here.post(
        url, {"old_password": AGENT_PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.url == reverse("agents:manage")
    assert here.session.session_key != before
    assert "Contraseña cambiada exitosamente." in here.get(response.url).text
    assert here.get(reverse("agents:home")).status_code == 200
    assert elsewhere.get(reverse("agents:home")).status_code == 302  # signed out
    user.refresh_from_db()
    assert user.check_password(NEW)


@pytest.mark.django_db
def test_new_password_may_not_resemble_the_username(client, make_agent_user):
    user = make_agent_user()
    client.force_login(user)
    weak = user.username.lower() + "x"
    response = client.post(
        reverse("agents:password_change"),
        {"old_password": AGENT_PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    assert "Se detectaron los siguientes errores:" in response.text


# --- ¿Olvidaste tu contraseña? -----------------------------------------------------------


def request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("agents:password_reset"), {"email": email})


@pytest.mark.django_db
def test_reset_answers_the_same_for_unknown_and_known_addresses(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    user = make_agent_user()
    unknown = request_reset(client, "nadie@ejemplo.test", django_capture_on_commit_callbacks)
    assert unknown.url == reverse("agents:password_reset_done")
    # The address's owner is told there is no account; no link exists to send.
    assert [m.to for m in mail.outbox] == [["nadie@ejemplo.test"]]
    assert "no hay ninguna cuenta registrada" in mail.outbox[0].body
    assert "http" not in mail.outbox[0].body
    known = request_reset(client, user.email, django_capture_on_commit_callbacks)
    assert known.url == unknown.url
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [user.email]
    assert "no hay ninguna cuenta" not in mail.outbox[1].body
    # The header's language switcher carries a CSRF token, masked anew on every page.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert token.sub("", client.get(known.url).text) == token.sub("", client.get(unknown.url).text)


@pytest.mark.django_db
def test_reset_link_is_not_stored_and_works_once(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    user = make_agent_user(password_expired=True, password="ab3cd4ef", contact_confirmed=False)
    request_reset(client, user.email, django_capture_on_commit_callbacks)
    link = reset_link()
    token = link.rstrip("/").split("/")[-1]
    outbox = OutboxEmail.objects.get(template="restablecer_contrasena")
    assert outbox.status == OutboxEmail.Status.SENT
    assert token not in str(outbox.context)
    response = client.get(link)  # Django moves the token into the session, then redirects
    assert response.status_code == 302
    set_url = response.url
    page = client.get(set_url)
    assert "Crea tu nueva contraseña" in page.text
    response = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.url == reverse("agents:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.password_expired
    assert user.password_changed_at is not None
    # Single use: the same link is no longer valid.
    again = Client()
    response = again.get(link, follow=True)
    assert "El enlace para restablecer la contraseña no es válido" in response.text
    # And the new password opens the portal.
    response = client.post(reverse("agents:login"), {"username": user.username, "password": NEW})
    assert response.status_code == 302


@pytest.mark.django_db
def test_reset_is_rate_limited_per_address_silently_and_per_ip_visibly(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    per_email = ratelimit.rule("reset_password_email", "email").limit
    per_ip = ratelimit.rule("reset_password", "ip").limit
    user = make_agent_user()
    for _attempt in range(per_email + 2):
        response = request_reset(client, user.email, django_capture_on_commit_callbacks)
        assert response.url == reverse("agents:password_reset_done")
    assert len(mail.outbox) == per_email
    for n in range(per_ip):
        request_reset(client, f"otro{n}@ejemplo.test", django_capture_on_commit_callbacks)
    response = request_reset(client, "ultimo@ejemplo.test", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "Se excedió el número de intentos." in response.text


@pytest.mark.django_db
def test_reset_is_not_offered_to_other_kinds_of_users(
    client, django_user_model, django_capture_on_commit_callbacks
):
    django_user_model.objects.create_user(
        username="cliente", email="cliente@ejemplo.test", password=AGENT_PASSWORD, kind="client"
    )
    response = request_reset(client, "cliente@ejemplo.test", django_capture_on_commit_callbacks)
    assert response.url == reverse("agents:password_reset_done")
    # No agent account has that address: only the "no account" notice, no reset link.
    assert len(mail.outbox) == 1 and "no hay ninguna cuenta registrada" in mail.outbox[0].body
