"""Agent home (001 §4): contact first, Bienvenido, Alertas, Novedades, Búsqueda de Agentes."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent, Announcement
from tests.helpers import AGENT_PASSWORD, last_code

HOME = "/agentes/inicio/"
CONFIRM = "/agentes/datos-de-contacto/"


@pytest.fixture
def signed_in(client, make_agent_user):
    def sign_in(**fields):
        user = make_agent_user(**fields)
        client.force_login(user)
        return user

    return sign_in


@pytest.mark.django_db
def test_first_entry_asks_contact_before_anything_else(client, signed_in):
    signed_in(contact_confirmed=False)
    for url in [HOME, reverse("agents:manage"), reverse("agents:tools")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(CONFIRM), url
    page = client.get(CONFIRM)
    assert "deberás actualizar tu correo electrónico y teléfono de contacto" in page.text
    assert '<label for="id_email">Correo electrónico' in page.text
    assert '<label for="id_phone">Teléfono de contacto' in page.text


@pytest.mark.django_db
def test_confirming_same_email_and_phone_opens_home_and_the_page_asked_for(client, signed_in):
    user = signed_in(contact_confirmed=False)
    manage = reverse("agents:manage")
    response = client.get(manage)
    assert response.url == f"{CONFIRM}?next=%2Fagentes%2Fusuario%2F"
    response = client.post(CONFIRM, {"email": user.email, "phone": "55 1234 5678", "next": manage})
    # The second factor is offered first (AGENT_MFA's default, optional); "Ahora no" goes on.
    offer = f"{reverse('agents:mfa_setup')}?next=%2Fagentes%2Fusuario%2F"
    assert response.status_code == 302 and response.url == offer
    response = client.post(offer, {"next": manage})
    assert response.status_code == 302 and response.url == manage
    user.refresh_from_db()
    assert user.contact_confirmed_at is not None and user.phone == "5512345678"
    assert client.get(HOME).status_code == 200


@pytest.mark.django_db
def test_bad_phone_is_shown_with_typed_data_kept(client, signed_in):
    user = signed_in(contact_confirmed=False)
    response = client.post(CONFIRM, {"email": user.email, "phone": "abc"})
    assert response.status_code == 200
    assert "Se detectaron los siguientes errores:" in response.text
    assert 'value="abc"' in response.text
    user.refresh_from_db()
    assert user.contact_confirmed_at is None


@pytest.mark.django_db
def test_new_email_at_first_entry_is_confirmed_by_code_sent_to_it(
    client, signed_in, django_capture_on_commit_callbacks
):
    user = signed_in(contact_confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        # A new email asks for the current password (make_agent_user's), as the change page does.
        response = client.post(
            CONFIRM,
            {"email": "Nuevo@Ejemplo.test", "phone": "5511112222", "password": AGENT_PASSWORD},
        )
    assert response.url == reverse("agents:email_confirm")
    assert mail.outbox[-1].to == ["nuevo@ejemplo.test"]
    user.refresh_from_db()
    assert user.contact_confirmed_at is None and user.email != "nuevo@ejemplo.test"
    assert client.get(HOME).url.startswith(CONFIRM)  # still not confirmed
    page = client.get(response.url)
    assert "nuevo@ejemplo.test" in page.text
    response = client.post(reverse("agents:email_confirm"), {"code": last_code()})
    # Then the second factor's offer (optional by default), before the page.
    assert response.url == f"{reverse('agents:mfa_setup')}?next=%2Fagentes%2Fusuario%2F"
    user.refresh_from_db()
    assert user.email == "nuevo@ejemplo.test" and user.contact_confirmed_at is not None
    assert client.get(HOME).status_code == 200


@pytest.mark.django_db
def test_home_shows_welcome_links_tabs_and_sections(client, signed_in):
    signed_in()
    text = client.get(HOME).text
    assert "Bienvenido XIMENA SOTO PARDO" in text
    for link in ["Administra tu Usuario", "Ayuda", "Contacto", "Inicio", "Herramientas"]:
        assert f">{link}</a>" in text, link
    for section in ["Alertas", "Novedades", "Búsqueda de Agentes"]:
        assert section in text
    assert '<label for="id_numero">Numero de Agente' in text
    assert settings.CALL_CENTER_PHONE in client.get(reverse("agents:contact")).text
    assert client.get(reverse("agents:help")).status_code == 200
    assert client.get(reverse("agents:tools")).status_code == 200


@pytest.mark.django_db
def test_home_requires_login_and_an_agent_account(client, django_user_model):
    assert client.get(HOME).url == f"/agentes/ingresar/?next={HOME}"
    staff = django_user_model.objects.create_user(username="staff", password="x", kind="staff")
    client.force_login(staff)
    assert client.get(HOME).status_code == 403


@pytest.mark.django_db
def test_agent_search_is_limited_to_own_promotoria(client, signed_in, make_agent):
    signed_in(clave_promotoria="131")
    colleague = make_agent(clave_promotoria="131", nombre="ANA", apellido_paterno="LUNA")
    stranger = make_agent(clave_promotoria="999", nombre="BETO", apellido_paterno="MAR")
    found = client.get(HOME, {"numero": colleague.clave_agente}).text
    assert "ANA LUNA PARDO" in found and colleague.clave_agente in found
    other = client.get(HOME, {"numero": stranger.clave_agente}).text
    assert "BETO" not in other
    assert "No se encontró un agente con ese número en tu promotoría." in other
    assert Agent.objects.filter(clave_agente=stranger.clave_agente).exists()


@pytest.mark.django_db
def test_password_reset_alert_shows_ahead_of_max_age(client, signed_in):
    user = signed_in()
    assert "Reset de Contraseña" not in client.get(HOME).text
    days = settings.PASSWORD_MAX_AGE_DAYS - settings.PASSWORD_RESET_WARNING_DAYS + 2
    user.password_changed_at = timezone.now() - timedelta(days=days)
    user.save()
    text = client.get(HOME).text
    assert "Reset de Contraseña" in text
    assert "Se acerca la fecha de reset de contraseña para acceder a tu cuenta." in text


@pytest.mark.django_db
def test_announcements_show_active_published_ones_newest_first(client, signed_in):
    signed_in()
    now = timezone.now()
    Announcement.objects.create(title="Rendimiento FlexiLife", body="Descárgalo.",
                                published_at=now - timedelta(days=2))  # fmt: skip
    Announcement.objects.create(title="Masters MetLife", body="Ya está.",
                                published_at=now - timedelta(days=1))  # fmt: skip
    Announcement.objects.create(title="Oculta", body="x", active=False)
    Announcement.objects.create(title="Futura", body="x", published_at=now + timedelta(days=1))
    text = client.get(HOME).text
    assert text.index("Masters MetLife") < text.index("Rendimiento FlexiLife")
    assert "Oculta" not in text and "Futura" not in text


@pytest.mark.django_db
def test_announcements_are_edited_in_admin(admin_client):
    response = admin_client.get("/admin/agents/announcement/add/")
    assert response.status_code == 200
    response = admin_client.post(
        "/admin/agents/announcement/add/",
        {"title": "Nueva", "body": "Texto", "published_at_0": "2026-01-01",
         "published_at_1": "10:00:00", "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Announcement.objects.filter(title="Nueva").exists()
