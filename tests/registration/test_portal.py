"""The client portal (issue 4 §8): login by email, "Mis productos", password and email."""

import re

import pytest
from django.core import mail

from portal.models import OneTimeCode, User
from tests.helpers import CLIENT_PASSWORD, last_code, last_link, post_login, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_user(make_person):
    person = make_person(products=["Vida Individual", "Gastos Médicos Mayores"])
    user = User.objects.create_user(
        "maria.rodriguez@ejemplo.test",
        email="maria.rodriguez@ejemplo.test",
        password=CLIENT_PASSWORD,
        first_name="MARÍA",
        last_name="RODRÍGUEZ LÓPEZ",
        kind=User.Kind.CLIENT,
    )
    person.user = user
    person.save()
    return user


def test_login_by_email_shows_my_products(client, client_user):
    response = post_login(client, "clients", "  Maria.Rodriguez@Ejemplo.test ", CLIENT_PASSWORD)
    assert response.status_code == 302 and response.url == "/clientes/"
    page = client.get("/clientes/")
    assert "Mis productos" in page.text
    for policy in client_user.person.policies.all():
        assert policy.numero_poliza in page.text
    assert "Vida Individual" in page.text and "Gastos Médicos Mayores" in page.text


def test_login_page_labels_and_links(client):
    page = client.get("/clientes/ingresar/")
    assert '<label for="id_username">Correo electrónico' in page.text
    assert '<label for="id_password">Contraseña' in page.text
    assert "¿Olvidaste tu contraseña?" in page.text


def test_wrong_password_gets_a_clear_message_and_keeps_the_email(client, client_user):
    response = post_login(client, "clients", client_user.email, "incorrecta-123456")
    assert response.status_code == 200
    assert "Se detectaron los siguientes errores:" in response.text
    assert "El correo electrónico o la contraseña no son correctos." in response.text
    assert 'value="maria.rodriguez@ejemplo.test"' in response.text


def test_an_agent_cannot_sign_in_on_the_client_page(client):
    User.objects.create_user("SPXA1522", email="a@ejemplo.test", password=CLIENT_PASSWORD,
                             kind=User.Kind.AGENT)  # fmt: skip
    response = post_login(client, "clients", "SPXA1522", CLIENT_PASSWORD)
    assert "El correo electrónico o la contraseña no son correctos." in response.text


def test_login_is_throttled(client, client_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The email's case does not open a new counter.
        email = client_user.email.upper() if n % 2 else client_user.email
        client.post(
            "/clientes/ingresar/",
            {"username": email, "password": "incorrecta-123456"},
            REMOTE_ADDR=f"10.0.0.{n}",
        )
    response = post_login(
        client, "clients", client_user.email, CLIENT_PASSWORD
    )  # right password, but locked
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/clientes/").status_code == 302


def test_my_products_needs_login(client):
    response = client.get("/clientes/")
    assert response.status_code == 302 and response.url.startswith("/clientes/ingresar/")


def test_logout(client, client_user):
    sign_in(client, "clients", client_user.email, CLIENT_PASSWORD)
    response = client.post("/clientes/salir/")
    assert response.status_code == 302 and response.url == "/clientes/ingresar/"
    assert client.get("/clientes/").status_code == 302


def test_change_password(client, client_user):
    sign_in(client, "clients", client_user.email, CLIENT_PASSWORD)
    page = client.get("/clientes/contrasena/cambiar/")
    assert "Al menos 12 caracteres." in page.text
    response = client.post(
        "/clientes/contrasena/cambiar/",
        {
            "old_password": CLIENT_PASSWORD,
            "new_password1": "123456789012",
            "new_password2": "123456789012",
        },
    )
    assert "Se detectaron los siguientes errores:" in response.text
    response = client.post(
        "/clientes/contrasena/cambiar/",
        {"old_password": CLIENT_PASSWORD, "new_password1": "Roble-verde-2027?",
         "new_password2": "Roble-verde-2027?"},
    )  # fmt: skip
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password("Roble-verde-2027?")
    assert client.get("/clientes/").status_code == 200  # still signed in


def test_change_email_needs_the_code_sent_to_the_new_address(
    client, client_user, django_capture_on_commit_callbacks
):
    sign_in(client, "clients", client_user.email, CLIENT_PASSWORD)
    response = client.post(
        "/clientes/correo/cambiar/",
        {"email": "nuevo@ejemplo.test", "email_confirmation": "otro@ejemplo.test",
         "password": CLIENT_PASSWORD},
    )  # fmt: skip
    assert "no coinciden" in response.text
    response = client.post(
        "/clientes/correo/cambiar/",
        {"email": "nuevo@ejemplo.test", "email_confirmation": "nuevo@ejemplo.test",
         "password": "mala"},
    )  # fmt: skip
    assert "La contraseña actual es incorrecta." in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/clientes/correo/cambiar/",
            {"email": "Nuevo@ejemplo.test", "email_confirmation": "nuevo@ejemplo.test",
             "password": CLIENT_PASSWORD},
            follow=True,
        )  # fmt: skip
    assert "Confirma tu correo electrónico" in response.text
    assert mail.outbox[-1].to == ["nuevo@ejemplo.test"]
    response = client.post("/clientes/correo/cambiar/codigo/", {"code": "xx"})
    assert "El código no es correcto." in response.text
    response = client.post(
        "/clientes/correo/cambiar/codigo/", {"code": last_code("nuevo@ejemplo.test")}
    )
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.username == client_user.email == "nuevo@ejemplo.test"
    client.post("/clientes/salir/")
    assert post_login(client, "clients", "nuevo@ejemplo.test", CLIENT_PASSWORD).status_code == 302


def test_change_email_to_another_accounts_email_is_refused(client, client_user):
    User.objects.create_user("otra@ejemplo.test", email="otra@ejemplo.test",
                             kind=User.Kind.CLIENT)  # fmt: skip
    sign_in(client, "clients", client_user.email, CLIENT_PASSWORD)
    response = client.post(
        "/clientes/correo/cambiar/",
        {"email": "otra@ejemplo.test", "email_confirmation": "otra@ejemplo.test",
         "password": CLIENT_PASSWORD},
    )  # fmt: skip
    assert "ya está registrado en otra cuenta" in response.text
    assert not OneTimeCode.objects.exists()


def test_forgot_password_link_sets_a_new_password(
    client, client_user, django_capture_on_commit_callbacks
):
    page = client.get("/clientes/contrasena/olvide/")
    assert '<label for="id_email">Correo electrónico' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/clientes/contrasena/olvide/", {"email": client_user.email})
    response = client.get(last_link(client_user.email), follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "Roble-verde-2027?", "new_password2": "Roble-verde-2027?"},
        follow=True,
    )
    assert "¡Éxito!" in response.text
    assert post_login(client, "clients", client_user.email, "Roble-verde-2027?").status_code == 302


# --- back-office: invitations (000 paso 7) --------------------------------------------------
def test_admin_action_sends_invitations_with_a_key_never_stored(
    client, make_person, django_capture_on_commit_callbacks
):
    from notifications.models import OutboxEmail
    from registration.models import RegistrationKey

    admin = User.objects.create_superuser("jefa", "jefa@back.test", "x")
    client.force_login(admin)
    invited = make_person(emails=["invitada@ejemplo.test"])
    no_email = make_person(emails=[])
    registered = make_person(emails=["ya@ejemplo.test"])
    registered.user = User.objects.create_user("ya@ejemplo.test", kind=User.Kind.CLIENT)
    registered.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/registration/person/",
            {"action": "send_invitation", "_selected_action": [invited.pk, no_email.pk,
                                                               registered.pk]},
            follow=True,
        )  # fmt: skip
    assert "Se envió 1 invitación de registro." in response.text
    assert "no tienen correo electrónico registrado" in response.text
    assert "ya tienen cuenta en el portal" in response.text
    invitation = RegistrationKey.objects.get()
    assert invitation.person == invited and invitation.created_by == admin
    assert mail.outbox[-1].to == ["invitada@ejemplo.test"]
    key = re.search(r"clave de registro es: (\S+)", mail.outbox[-1].body).group(1)
    outbox = OutboxEmail.objects.get(template="invitacion_registro")
    assert key not in str(outbox.context) and key not in invitation.key_hash
    assert "Recibí un correo para registrarme" in mail.outbox[-1].body
