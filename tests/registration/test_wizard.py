"""The client registration wizard (000 pasos 1–7) driven with Django's test client."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.utils import timezone

from portal import ratelimit
from portal.models import OneTimeCode, User
from portal.texts import EMAIL_TAKEN as MSG_EMAIL_TAKEN
from registration import services
from registration.forms import MSG_NO_MATCH
from registration.models import Person, RegistrationKey
from tests.helpers import last_code, last_link

pytestmark = pytest.mark.django_db


def register(wizard, person, email, capture, *, via_key=None):
    """Walk the whole wizard; returns the final response."""
    if via_key:
        wizard.identify_with_key(via_key, person.policies.first().numero_poliza)
    else:
        wizard.identify(person)
    with capture(execute=True):
        wizard.choose_email(email=email)
    with capture(execute=True):
        return wizard.enter_code(last_code(email))


# --- paso 1 and 2 ----------------------------------------------------------------------------
def test_login_page_offers_both_registration_choices(client):
    response = client.get("/clientes/ingresar/")
    assert response.status_code == 200
    assert "Aún no estoy registrado" in response.text
    assert "Recibí un correo para registrarme" in response.text
    assert "/clientes/registro/" in response.text and "/clientes/registro/clave/" in response.text


def test_identify_step_shows_fields_help_and_step_names(wizard):
    response = wizard.start()
    assert response.status_code == 200
    for text in ["Paso 1 de 4", "Identificación", "Productos y correo electrónico",
                 "Código de confirmación", "Confirmación", "Número de póliza", "Nombre",
                 "Apellido paterno", "Fecha de nacimiento",
                 "¿Dónde encuentro mi número de póliza?", "SIGUIENTE", "Cancelar"]:  # fmt: skip
        assert text in response.text


def test_required_fields_are_reported(wizard):
    response = wizard.post("identify", {})
    assert "Se detectaron los siguientes errores:" in response.text
    assert response.text.count("Este campo es obligatorio.") >= 4 * 2


def test_identify_ignores_case_accents_and_spaces(wizard, make_person):
    person = make_person()
    numero = person.policies.first().numero_poliza
    response = wizard.identify(
        person,
        numero_poliza=f" {numero[:3]} {numero[3:]} ",
        nombre="  maria ",
        apellido_paterno="rodriguez",
    )
    assert response.status_code == 200
    assert "Paso 2 de 4" in response.text
    assert "Selecciona el correo electrónico con el cual quieres que identifiquemos" in (
        response.text
    )


@pytest.mark.parametrize(
    "override",
    [
        {"numero_poliza": "99999999"},
        {"nombre": "MARIO"},
        {"apellido_paterno": "LOPEZ"},
        {"fecha_nacimiento": "13/03/1985"},
    ],
)
def test_every_mismatch_gets_one_generic_message(wizard, make_person, override):
    person = make_person()
    response = wizard.identify(person, **override)
    assert "Se detectaron los siguientes errores:" in response.text
    assert str(MSG_NO_MATCH) in response.text
    assert "Paso 1 de 4" in response.text
    assert f'value="{override[next(iter(override))]}"' in response.text  # typed data kept


def test_attempts_are_limited_per_policy(wizard, make_person):
    person = make_person()
    for _ in range(ratelimit.rule("identify_client", "policy").limit):
        assert str(MSG_NO_MATCH) in wizard.identify(person, nombre="X").text
    response = wizard.identify(person)  # even the right data, once limited
    assert "Se excedió el número de intentos" in response.text


def test_attempts_are_limited_per_ip(wizard, make_person):
    person = make_person()
    for i in range(ratelimit.rule("identify_client", "ip").limit):
        wizard.identify(person, numero_poliza=f"5{i:07d}")
    assert "Se excedió el número de intentos" in wizard.identify(person).text


def test_already_registered_person_is_pointed_to_login_and_recovery(wizard, make_person):
    person = make_person()
    person.user = User.objects.create_user("maria@ejemplo.test", kind=User.Kind.CLIENT)
    person.save()
    response = wizard.identify(person)
    assert "Ya tienes una cuenta en el portal de clientes." in response.text
    assert 'href="/clientes/ingresar/"' in response.text
    assert 'href="/clientes/contrasena/olvide/"' in response.text


# --- paso 3 --------------------------------------------------------------------------------
def test_products_step_lists_every_policy_and_email(wizard, make_person):
    person = make_person(
        emails=["a@ejemplo.test", "b@ejemplo.test"], products=["Vida Individual", "Gastos Médicos"]
    )
    response = wizard.identify(person)
    for policy in person.policies.all():
        assert policy.numero_poliza in response.text
    # The addresses on file masked, as the notices mask them (tests/registration/
    # test_least_exposure.py: never in full before the code).
    for text in ["Vida Individual", "Gastos Médicos", "a***@ej***.test", "b***@ej***.test",
                 "o ingresa uno nuevo", "Repite el nuevo correo"]:  # fmt: skip
        assert text in response.text
    assert "a@ejemplo.test" not in response.text


def test_person_without_email_on_file_types_a_new_one(wizard, make_person):
    person = make_person(emails=[])
    response = wizard.identify(person)
    assert "No tenemos un correo electrónico registrado" in response.text
    response = wizard.choose_email()
    assert "Selecciona un correo electrónico de la lista o ingresa uno nuevo." in response.text
    response = wizard.choose_email(new="nuevo@ejemplo.test", again="otro@ejemplo.test")
    assert "El correo electrónico y su confirmación no coinciden." in response.text
    assert 'value="nuevo@ejemplo.test"' in response.text
    response = wizard.choose_email(new="Nuevo@Ejemplo.test")
    assert "Paso 3 de 4" in response.text
    assert "nuevo@ejemplo.test" in response.text


def test_email_of_another_account_is_refused(wizard, make_person):
    User.objects.create_user("SPXA1522", email="ocupado@ejemplo.test", kind=User.Kind.AGENT)
    person = make_person(emails=["ocupado@ejemplo.test"])
    wizard.identify(person)
    response = wizard.choose_email(email="ocupado@ejemplo.test")
    assert str(MSG_EMAIL_TAKEN) in response.text
    response = wizard.choose_email(new="OCUPADO@ejemplo.test")
    assert str(MSG_EMAIL_TAKEN) in response.text


def test_email_not_on_file_cannot_be_chosen_from_the_list(wizard, make_person):
    person = make_person()
    wizard.identify(person)
    response = wizard.choose_email(email="intruso@ejemplo.test")
    assert "Se detectaron los siguientes errores:" in response.text
    assert "Paso 2 de 4" in response.text


# --- paso 4 --------------------------------------------------------------------------------
def test_code_is_sent_once_to_the_chosen_email(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(email="maria.rodriguez@ejemplo.test")
    # The address on file masked until the code proves it is theirs.
    assert "Enviamos a <strong>ma***@ej***.test</strong>" in response.text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maria.rodriguez@ejemplo.test"]
    code = last_code()
    assert not OneTimeCode.objects.filter(code_hash__contains=code).exists()
    with django_capture_on_commit_callbacks(execute=True):
        wizard.start()  # a reload sends nothing new
    assert len(mail.outbox) == 1


def test_wrong_code_then_right_code_completes(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email(email="maria.rodriguez@ejemplo.test")
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    response = wizard.enter_code(wrong)
    assert "El código no es correcto." in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.enter_code(code)
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    user = Person.objects.get(pk=person.pk).user
    assert user.username == "maria.rodriguez@ejemplo.test" and user.kind == User.Kind.CLIENT
    assert not user.has_usable_password()
    page = wizard.client.get("/clientes/registro/listo/")
    assert "Paso 4 de 4" in page.text and "ACEPTAR" in page.text
    assert "aquí" in mail.outbox[-1].alternatives[0][0]
    assert "/clientes/contrasena/" in mail.outbox[-1].body


def test_expired_code_needs_a_new_one(wizard, make_person, django_capture_on_commit_callbacks):
    person = make_person()
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email(email="maria.rodriguez@ejemplo.test")
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = wizard.enter_code(last_code())
    assert "El código venció o ya no es válido." in response.text
    assert Person.objects.get(pk=person.pk).user is None


def test_five_wrong_tries_lock_the_code(wizard, make_person, django_capture_on_commit_callbacks):
    person = make_person()
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email(email="maria.rodriguez@ejemplo.test")
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert "El código no es correcto." in wizard.enter_code(wrong).text
    assert "Se excedió el número de intentos con este código." in wizard.enter_code(wrong).text
    response = wizard.enter_code(code)  # even the right one, now
    assert "Se excedió el número de intentos con este código." in response.text
    assert Person.objects.get(pk=person.pk).user is None


def test_resend_has_a_cooldown_and_voids_the_old_code(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email(email="maria.rodriguez@ejemplo.test")
    first = last_code()
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.resend()
    assert "Por seguridad espera" in response.text
    assert len(mail.outbox) == 1
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.resend()
    assert "Enviamos un código de confirmación" in response.text
    assert len(mail.outbox) == 2
    second = last_code()
    if first != second:
        assert "El código no es correcto." in wizard.enter_code(first).text
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.enter_code(second)
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)


def test_changing_the_email_needs_a_new_code(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = make_person(emails=["a@ejemplo.test", "b@ejemplo.test"])
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email(email="a@ejemplo.test")
    code_a = last_code("a@ejemplo.test")
    response = wizard.back("code", "products")
    assert "Paso 2 de 4" in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(email="b@ejemplo.test")
    assert "Enviamos a <strong>b***@ej***.test</strong>" in response.text
    assert mail.outbox[-1].to == ["b@ejemplo.test"]
    response = wizard.enter_code(code_a)
    assert "El código" in response.text and Person.objects.get(pk=person.pk).user is None
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.enter_code(last_code("b@ejemplo.test"))
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert Person.objects.get(pk=person.pk).user.username == "b@ejemplo.test"


def test_changing_the_email_after_verifying_needs_a_new_code(
    wizard, make_person, django_capture_on_commit_callbacks
):
    """Verified for a@, then (another tab) the products step is posted with b@."""
    person = make_person(emails=["a@ejemplo.test", "b@ejemplo.test"])
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email(email="a@ejemplo.test")
    with django_capture_on_commit_callbacks(execute=True):
        wizard.back("code", "products")
        response = wizard.choose_email(email="b@ejemplo.test")
    assert "Paso 3 de 4" in response.text
    assert Person.objects.get(pk=person.pk).user is None


def test_final_pass_does_not_use_the_code_or_count_attempts_again(
    wizard, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    register(wizard, person, "maria.rodriguez@ejemplo.test", django_capture_on_commit_callbacks)
    row = OneTimeCode.objects.get()
    assert row.used_at is not None and row.attempts == 0
    assert ratelimit.count("identify_client", ip="127.0.0.1") == 0


# --- step integrity --------------------------------------------------------------------------
@pytest.mark.parametrize("step", ["code", "products", "basura", ""])
def test_junk_or_later_step_never_reaches_done(wizard, make_person, step):
    make_person()
    wizard.start()
    response = wizard.post(step, {"code": "123456"})
    assert response.status_code == 200
    assert "Paso 1 de 4" in response.text
    assert not User.objects.filter(kind=User.Kind.CLIENT).exists()


def test_code_step_posted_after_identify_only_goes_to_products(wizard, make_person):
    person = make_person()
    wizard.identify(person)
    response = wizard.post("code", {"code": "123456"})
    assert response.status_code == 200
    assert "Paso 2 de 4" in response.text
    assert not User.objects.filter(kind=User.Kind.CLIENT).exists()


def test_cancel_forgets_the_wizard(wizard, make_person):
    person = make_person()
    wizard.identify(person)
    assert wizard.client.get("/clientes/registro/cancelar/").status_code == 200  # asks
    assert "Paso 2 de 4" in wizard.open("products").text  # and forgot nothing
    response = wizard.client.post("/clientes/registro/cancelar/")
    assert response.url == "/clientes/ingresar/"
    assert "Paso 1 de 4" in wizard.start().text


def test_second_registration_of_the_same_person_is_refused(
    client, make_person, django_capture_on_commit_callbacks
):
    from tests.helpers import ClientWizard

    person = make_person()
    first, second = ClientWizard(client), ClientWizard(client.__class__())
    first.identify(person)
    second.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        first.choose_email(email="maria.rodriguez@ejemplo.test")
    code_first = last_code()
    with django_capture_on_commit_callbacks(execute=True):
        assert first.enter_code(code_first).redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    response = second.choose_email(email="maria.rodriguez@ejemplo.test")
    assert response.status_code == 200  # the email is now taken, or already registered
    assert "Se detectaron los siguientes errores:" in response.text
    assert User.objects.filter(kind=User.Kind.CLIENT).count() == 1


# --- paso 5 and 6: the link "aquí" -----------------------------------------------------------
def test_link_sets_the_password_once(
    wizard, client, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    register(wizard, person, "maria.rodriguez@ejemplo.test", django_capture_on_commit_callbacks)
    link = last_link()
    response = client.get(link, follow=True)
    assert "Define tu contraseña" in response.text
    assert "Al menos 12 caracteres." in response.text
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert "Se detectaron los siguientes errores:" in response.text
    response = client.post(
        form_url, {"new_password1": "maria rodriguez", "new_password2": "maria rodriguez"}
    )
    assert "Se detectaron los siguientes errores:" in response.text
    response = client.post(
        form_url,
        {"new_password1": "Cedro-azul-2026!", "new_password2": "Cedro-azul-2026!"},
        follow=True,
    )
    assert "¡Éxito!" in response.text and "ACEPTAR" in response.text
    assert Person.objects.get(pk=person.pk).user.check_password("Cedro-azul-2026!")
    response = client.get(link, follow=True)
    assert "Este vínculo ya no es válido" in response.text
    assert "Pedir un vínculo nuevo" in response.text


def test_link_expires_after_24_hours(
    wizard, client, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    register(wizard, person, "maria.rodriguez@ejemplo.test", django_capture_on_commit_callbacks)
    link = last_link()
    later = PasswordResetTokenGenerator()
    later._now = lambda: timezone.now().replace(tzinfo=None) + timedelta(hours=24, minutes=1)  # noqa: SLF001
    user = Person.objects.get(pk=person.pk).user
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(user, token)
    assert not later.check_token(user, token)


def test_new_link_can_be_requested(wizard, client, make_person, django_capture_on_commit_callbacks):
    person = make_person()
    register(wizard, person, "maria.rodriguez@ejemplo.test", django_capture_on_commit_callbacks)
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/clientes/contrasena/olvide/", {"email": "MARIA.rodriguez@ejemplo.test"}, follow=True
        )
    assert "Revisa tu correo" in response.text
    assert len(mail.outbox) == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post(
            "/clientes/contrasena/olvide/", {"email": "nadie@ejemplo.test"}, follow=True
        )
    # The unknown address gets a "no account" notice, not a link.
    assert len(mail.outbox) == before + 2
    assert "no hay ninguna cuenta registrada" in mail.outbox[-1].body
    assert "/clientes/contrasena/" not in mail.outbox[-1].body
    # The header's language switcher carries a CSRF token, masked anew on every page.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert token.sub("", other.text.replace("nadie@ejemplo.test", "X")) == token.sub(
        "", response.text.replace("MARIA.rodriguez@ejemplo.test", "X")
    )


# --- paso 7: the invitation ------------------------------------------------------------------
def invite(person, capture):
    with capture(execute=True):
        services.invite(person, by=None, base_url="http://testserver/")
    import re

    return re.search(r"clave de registro es: (\S+)", mail.outbox[-1].body).group(1)


def test_invitation_key_path_registers(key_wizard, make_person, django_capture_on_commit_callbacks):
    person = make_person()
    key = invite(person, django_capture_on_commit_callbacks)
    invitation = RegistrationKey.objects.get()
    assert invitation.key_hash and key.replace("-", "") not in invitation.key_hash
    assert invitation.expires_at - timezone.now() > timedelta(days=29)
    response = key_wizard.start()
    assert "Clave de registro" in response.text and "Número de póliza" in response.text
    response = register(
        key_wizard, person, "maria.rodriguez@ejemplo.test", django_capture_on_commit_callbacks,
        via_key=key.lower().replace("-", " "),
    )  # fmt: skip
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert Person.objects.get(pk=person.pk).user is not None


def test_key_with_another_policy_or_wrong_key_gets_the_generic_message(
    key_wizard, make_person, django_capture_on_commit_callbacks
):
    person, other = make_person(), make_person(emails=["o@ejemplo.test"])
    key = invite(person, django_capture_on_commit_callbacks)
    response = key_wizard.identify_with_key(key, other.policies.first().numero_poliza)
    assert str(MSG_NO_MATCH) in response.text
    response = key_wizard.identify_with_key("AAAA-BBBB-CCCC", person.policies.first().numero_poliza)
    assert str(MSG_NO_MATCH) in response.text


def test_expired_key_is_refused(key_wizard, make_person, django_capture_on_commit_callbacks):
    person = make_person()
    key = invite(person, django_capture_on_commit_callbacks)
    RegistrationKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = key_wizard.identify_with_key(key, person.policies.first().numero_poliza)
    assert str(MSG_NO_MATCH) in response.text


def test_used_key_cannot_be_used_again(
    key_wizard, client, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    key = invite(person, django_capture_on_commit_callbacks)
    register(
        key_wizard, person, "maria.rodriguez@ejemplo.test", django_capture_on_commit_callbacks,
        via_key=key,
    )  # fmt: skip
    # The person is now registered; even were they not, the key is spent.
    person.user = None
    person.save()
    from tests.helpers import ClientWizard

    again = ClientWizard(client.__class__(), "/clientes/registro/clave/")
    response = again.identify_with_key(key, person.policies.first().numero_poliza)
    assert str(MSG_NO_MATCH) in response.text
