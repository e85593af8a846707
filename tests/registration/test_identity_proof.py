"""Issue 10, client side: an account created on an address not on file is told to every
address on file, with a link that blocks it; a setting can refuse new addresses; the
email step's "taken" answers are limited; invitations need their own permission."""

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core import mail, signing
from django.test import Client
from django.utils.html import escape

from notifications.models import OutboxEmail
from portal.masks import mask_rfc
from portal.models import User
from portal.texts import ACCOUNT_BLOCKED as MSG_BLOCKED
from portal.texts import EMAIL_TAKEN, EMAIL_UNAVAILABLE
from registration import services
from registration.forms import MSG_ON_FILE_ONLY
from registration.models import Person, RegistrationKey
from tests.helpers import CLIENT_PASSWORD, ClientWizard, last_code, last_link, post_login, sign_in

pytestmark = pytest.mark.django_db
ON_FILE = ["maria.rodriguez@ejemplo.test", "mrl@trabajo.test"]
ATTACKER = "atacante@malo.test"
NOTICE_SUBJECT = "se creó una cuenta a tu nombre con otro correo"


def register(wizard, person, capture, *, email=None, new=None):
    """Walk the whole wizard choosing `email` on file or typing `new`; the final response."""
    wizard.identify(person)
    with capture(execute=True):
        wizard.choose_email(email=email, new=new)
    with capture(execute=True):
        return wizard.enter_code(last_code((email or new).lower()))


def notices():
    return [m for m in mail.outbox if NOTICE_SUBJECT in m.subject]


def block_link(to):
    message = next(m for m in reversed(notices()) if to in m.to)
    return re.search(r"https?://\S+/clientes/cuenta/bloquear/\S+/", message.body).group(0)


def path_of(url):
    return "/" + url.split("/", 3)[3]


def on_file_person(make_person):
    return make_person(emails=ON_FILE)


# --- the notice to the addresses on file --------------------------------------------------------
def test_new_address_tells_every_address_on_file_who_when_and_how_to_block(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = on_file_person(make_person)
    response = register(wizard, person, django_capture_on_commit_callbacks, new=ATTACKER)
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert sorted(m.to[0] for m in notices()) == sorted(ON_FILE)
    for message in notices():
        body = message.body
        assert "MARÍA RODRÍGUEZ LÓPEZ" in body  # who
        assert "at***@ma***.test" in body and ATTACKER not in body  # the new address, masked
        assert re.search(r"El \d{1,2} de \w+ de \d{4}, \d{2}:\d{2}", body)  # when
        assert "Call Center" in body and "Bloquear la cuenta" in body  # how to report it
        assert re.search(r"/clientes/cuenta/bloquear/\S+/", body)
        html = message.alternatives[0][0]
        assert "Bloquear la cuenta</a>" in html
    # The link is signed when the email goes out: none sits in the outbox.
    for row in OutboxEmail.objects.filter(template="cliente_correo_nuevo"):
        assert "bloquear" not in str(row.context)
    # The attacker's own mail says nothing of it.
    assert not [m for m in notices() if ATTACKER in m.to]


def test_address_on_file_sends_no_notice(wizard, make_person, django_capture_on_commit_callbacks):
    person = on_file_person(make_person)
    register(wizard, person, django_capture_on_commit_callbacks, email=ON_FILE[1])
    assert Person.objects.get(pk=person.pk).user.email == ON_FILE[1]
    assert notices() == []


def test_address_on_file_typed_as_new_sends_no_notice(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = on_file_person(make_person)
    register(wizard, person, django_capture_on_commit_callbacks, new=ON_FILE[0].upper())
    assert notices() == []


def test_nobody_to_tell_when_nothing_is_on_file(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = make_person(emails=[])
    register(wizard, person, django_capture_on_commit_callbacks, new="nuevo@ejemplo.test")
    assert Person.objects.get(pk=person.pk).user is not None
    assert notices() == []


# --- "Bloquear la cuenta" ---------------------------------------------------------------------
def test_block_link_asks_then_blocks_ends_sessions_and_refuses_login(
    wizard, client, make_person, django_capture_on_commit_callbacks
):
    person = on_file_person(make_person)
    register(wizard, person, django_capture_on_commit_callbacks, new=ATTACKER)
    # The attacker sets a password and is signed in.
    set_page = client.get(path_of(last_link(ATTACKER)), follow=True)
    done = client.post(
        set_page.redirect_chain[-1][0],
        {"new_password1": CLIENT_PASSWORD, "new_password2": CLIENT_PASSWORD},
        follow=True,
    )
    assert "¡Éxito!" in done.text
    attacker = Client()
    sign_in(attacker, "clients", ATTACKER, CLIENT_PASSWORD)
    assert attacker.get("/clientes/").status_code == 200

    owner = Client()
    link = path_of(block_link(ON_FILE[0]))
    page = owner.get(link)
    assert page.status_code == 200
    assert "Bloquear la cuenta" in page.text and "MARÍA RODRÍGUEZ LÓPEZ" in page.text
    assert User.objects.get(username=ATTACKER).is_active  # a GET (a mail scanner) blocks nothing

    page = owner.post(link)
    assert page.status_code == 200
    assert "quedó bloqueada" in page.text
    assert not User.objects.get(username=ATTACKER).is_active
    assert Person.objects.get(pk=person.pk).account_blocked_at is not None

    # The open session no longer reaches "Mis productos".
    response = attacker.get("/clientes/")
    assert response.status_code == 302 and "/clientes/ingresar/" in response["Location"]
    # The right password is told to call; a wrong one gets the usual answer.
    refused = post_login(Client(), "clients", ATTACKER, CLIENT_PASSWORD)
    assert refused.status_code == 200
    # The form error says the number as plain text (pages link it only outside form errors).
    blocked = str(MSG_BLOCKED) % {"phone": django_settings.CALL_CENTER_PHONE}
    assert escape(blocked) in refused.text
    wrong = post_login(Client(), "clients", ATTACKER, "Otra-clave-2026!")
    assert "Tu cuenta está bloqueada" not in wrong.text
    assert "El correo electrónico o la contraseña no son correctos." in wrong.text

    # Again, from the other address on file: the same answer, nothing changes.
    blocked_at = Person.objects.get(pk=person.pk).account_blocked_at
    again = Client().post(path_of(block_link(ON_FILE[1])))
    assert again.status_code == 200 and "quedó bloqueada" in again.text
    assert Person.objects.get(pk=person.pk).account_blocked_at == blocked_at


def test_block_link_does_not_undo_back_office_lifting_the_block(
    wizard, client, make_person, django_capture_on_commit_callbacks
):
    person = on_file_person(make_person)
    register(wizard, person, django_capture_on_commit_callbacks, new=ATTACKER)
    link = path_of(block_link(ON_FILE[0]))
    client.post(link)
    User.objects.filter(username=ATTACKER).update(is_active=True)  # the Call Center confirmed
    client.post(link)
    assert User.objects.get(username=ATTACKER).is_active


@pytest.mark.parametrize("how", ["tampered", "other_salt", "expired", "junk"])
def test_bad_or_expired_block_link_gets_a_clear_page(
    wizard, client, make_person, django_capture_on_commit_callbacks, monkeypatch, how
):
    person = on_file_person(make_person)
    register(wizard, person, django_capture_on_commit_callbacks, new=ATTACKER)
    person.refresh_from_db()
    token = services.make_block_token(person, person.user)
    if how == "tampered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif how == "other_salt":
        token = signing.dumps({"person": person.pk, "user": person.user_id})
    elif how == "expired":
        eight_days_ago = time.time() - timedelta(days=8).total_seconds()
        with monkeypatch.context() as patch:
            patch.setattr(signing.time, "time", lambda: eight_days_ago)
            token = services.make_block_token(person, person.user)
    else:
        token = "no-es:un:token"
    for response in (
        client.get(f"/clientes/cuenta/bloquear/{token}/"),
        client.post(f"/clientes/cuenta/bloquear/{token}/"),
    ):
        assert response.status_code == 400
        assert "Este vínculo no es válido o ya venció." in response.text
        assert "Call Center" in response.text
    assert User.objects.get(username=ATTACKER).is_active


# --- the setting: new addresses only when nothing is on file ------------------------------------
def test_setting_off_offers_only_addresses_on_file(
    wizard, make_person, settings, django_capture_on_commit_callbacks
):
    settings.CLIENT_NEW_EMAIL_WHEN_ON_FILE = False
    person = on_file_person(make_person)
    page = wizard.identify(person)
    assert "Paso 2 de 4" in page.text
    assert "o ingresa uno nuevo" not in page.text
    assert "tu usuario debe ser uno de los correos electrónicos que tenemos" in page.text
    # A typed address posted anyway (an old page, a crafted form) is refused.
    refused = wizard.choose_email(new=ATTACKER)
    assert "Paso 2 de 4" in refused.text
    assert "Se detectaron los siguientes errores:" in refused.text
    # The form error says the number as plain text (the page's aside links it).
    expected = str(MSG_ON_FILE_ONLY) % {"phone": settings.CALL_CENTER_PHONE}
    assert escape(expected) in refused.text
    # An address on file goes on as before.
    response = register(wizard, person, django_capture_on_commit_callbacks, email=ON_FILE[0])
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert Person.objects.get(pk=person.pk).user.email == ON_FILE[0]


def test_setting_off_still_lets_a_person_without_email_type_one(wizard, make_person, settings):
    settings.CLIENT_NEW_EMAIL_WHEN_ON_FILE = False
    wizard.identify(make_person(emails=[]))
    response = wizard.choose_email(new="nuevo@ejemplo.test")
    assert "Paso 3 de 4" in response.text


def test_setting_off_is_enforced_when_the_account_is_created(make_person, settings):
    settings.CLIENT_NEW_EMAIL_WHEN_ON_FILE = False
    person = on_file_person(make_person)
    with pytest.raises(services.NewEmailNotAllowed):
        services.register_client(person.pk, ATTACKER, base_url="http://testserver/")
    assert Person.objects.get(pk=person.pk).user is None


def test_env_variable_refuses_a_typo(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from portal.settings import env_bool

    monkeypatch.setenv("CLIENT_NEW_EMAIL_WHEN_ON_FILE", "ture")
    with pytest.raises(ImproperlyConfigured):
        env_bool("CLIENT_NEW_EMAIL_WHEN_ON_FILE", True)


# --- "taken" answers at the email step: per session and per IP ----------------------------------
def taken_addresses(n):
    for i in range(n):
        User.objects.create_user(f"ocupado{i}@ejemplo.test", email=f"ocupado{i}@ejemplo.test")
    return [f"ocupado{i}@ejemplo.test" for i in range(n)]


def test_taken_answers_stop_after_the_session_limit_and_then_reveal_nothing(
    wizard, client, make_person
):
    taken = taken_addresses(11)
    wizard.identify(make_person())
    for i, address in enumerate(taken[:10]):
        client.defaults["REMOTE_ADDR"] = f"10.1.0.{i}"  # one session hopping addresses
        assert str(EMAIL_TAKEN) in wizard.choose_email(new=address).text
    client.defaults["REMOTE_ADDR"] = "10.1.0.99"
    # Past the limit, a taken address and a free one get the same answer.
    for address in [taken[10], "libre@ejemplo.test"]:
        response = wizard.choose_email(new=address)
        assert str(EMAIL_UNAVAILABLE) in response.text
        assert str(EMAIL_TAKEN) not in response.text
        assert "Paso 2 de 4" in response.text and f'value="{address}"' in response.text
    # Another session from another address is not affected.
    other = ClientWizard(Client(REMOTE_ADDR="10.0.0.2"))
    other.identify(make_person())
    assert str(EMAIL_TAKEN) in other.choose_email(new=taken[0]).text
    # An address on file (the person's own) still goes on.
    assert "Paso 3 de 4" in wizard.choose_email(email=ON_FILE[0]).text


def test_taken_answers_are_limited_per_ip_across_sessions(make_person):
    taken = taken_addresses(11)
    for address in taken[:10]:  # a new session for each try, from one address
        fresh = ClientWizard(Client(REMOTE_ADDR="10.0.0.9"))
        fresh.identify(make_person())
        assert str(EMAIL_TAKEN) in fresh.choose_email(new=address).text
    fresh = ClientWizard(Client(REMOTE_ADDR="10.0.0.9"))
    fresh.identify(make_person())
    response = fresh.choose_email(new=taken[10])
    assert str(EMAIL_UNAVAILABLE) in response.text and str(EMAIL_TAKEN) not in response.text
    elsewhere = ClientWizard(Client(REMOTE_ADDR="10.0.0.10"))
    elsewhere.identify(make_person())
    assert str(EMAIL_TAKEN) in elsewhere.choose_email(new=taken[10]).text


# --- invitations need their own permission ------------------------------------------------------
def staff(username, *codenames):
    user = User.objects.create_user(
        username, f"{username}@back.test", CLIENT_PASSWORD, is_staff=True, kind=User.Kind.STAFF
    )
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="registration", codename__in=codenames)
    )
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": CLIENT_PASSWORD})
    assert response.status_code == 302, response.text
    return client


def send_invitation(client, person):
    return client.post(
        "/admin/registration/person/",
        {"action": "send_invitation", "_selected_action": [person.pk]},
        follow=True,
    )


def test_viewing_clients_is_not_enough_to_send_invitations(
    make_person, django_capture_on_commit_callbacks
):
    person = make_person(emails=["invitada@ejemplo.test"])
    viewer = staff("consulta", "view_person")
    listing = viewer.get("/admin/registration/person/")
    assert listing.status_code == 200 and mask_rfc(person.rfc) in listing.text
    assert "Enviar invitación de registro" not in listing.text
    with django_capture_on_commit_callbacks(execute=True):
        send_invitation(viewer, person)
    assert not RegistrationKey.objects.exists()
    assert mail.outbox == []


def test_the_invitation_permission_sends_them(make_person, django_capture_on_commit_callbacks):
    person = make_person(emails=["invitada@ejemplo.test"])
    inviter = staff("invita", "view_person", "send_invitation")
    assert "Enviar invitación de registro" in inviter.get("/admin/registration/person/").text
    with django_capture_on_commit_callbacks(execute=True):
        response = send_invitation(inviter, person)
    assert "Se envió 1 invitación de registro." in response.text
    assert RegistrationKey.objects.get().created_by.username == "invita"
    assert mail.outbox[-1].to == ["invitada@ejemplo.test"]
