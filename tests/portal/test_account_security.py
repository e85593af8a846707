"""Takeover path 3 and the limits of the shared account layer: an email change asks for the
password in both portals, tells the old address and ends the other sessions; "Contraseña
actual" counts toward the login lockout; "email taken" answers and code emails are limited
per session, person and IP."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client

from notifications.models import OutboxEmail
from portal import codes, ratelimit, texts
from portal.models import OneTimeCode, User
from tests.helpers import AGENT_PASSWORD, last_code, post_login, sign_in

NEW_PASSWORD = "Girasol-Azul-2024"
WRONG = "Otra-Clave-Mala-99"
PORTALS = {
    # portal: (URL prefix, a page only a signed-in user sees)
    "agents": ("/agentes/", "/agentes/inicio/"),
    "clients": ("/clientes/", "/clientes/"),
}


def html(text: object) -> str:
    """A catalogue text as the page shows it (quotes escaped)."""
    return str(text).replace("'", "&#x27;").replace('"', "&quot;")


@pytest.fixture
def account(make_portal_user):
    """`account("agents")` / `account("clients")`: a user of that portal with AGENT_PASSWORD."""

    def make(portal: str) -> User:
        return make_portal_user(portal, password=AGENT_PASSWORD)

    return make


def change_email(browser: Client, portal: str, email: str, password: str | None = AGENT_PASSWORD,
                 capture=None, **extra: str):  # fmt: skip
    data = {"email": email, "email_confirmation": email}
    if password is not None:
        data["password"] = password
    url = f"{PORTALS[portal][0]}correo/cambiar/"
    if capture is None:
        return browser.post(url, data, **extra)
    with capture(execute=True):
        return browser.post(url, data, **extra)


def codes_sent() -> int:
    return OutboxEmail.objects.filter(template="codigo").count()


# --- 1. Email change needs the password; the old address is told; other sessions end ------


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_email_change_asks_for_the_current_password_in_both_portals(
    portal, account, django_capture_on_commit_callbacks
):
    user = account(portal)
    browser = sign_in(Client(), portal, user.get_username())
    page = browser.get(f"{PORTALS[portal][0]}correo/cambiar/").content.decode()
    assert '<label for="id_password">Contraseña actual' in page
    capture = django_capture_on_commit_callbacks
    missing = change_email(browser, portal, "ladron@ejemplo.test", password=None, capture=capture)
    assert missing.status_code == 200 and "Se detectaron los siguientes errores:" in missing.text
    wrong = change_email(browser, portal, "ladron@ejemplo.test", password=WRONG, capture=capture)
    assert html(texts.WRONG_PASSWORD) in wrong.text
    assert 'value="ladron@ejemplo.test"' in wrong.text  # the typed data is kept
    assert codes_sent() == 0 and not mail.outbox  # no code went to the new address
    right = change_email(browser, portal, "nuevo@ejemplo.test", capture=capture)
    assert right.url == f"{PORTALS[portal][0]}correo/cambiar/codigo/"
    assert mail.outbox[-1].to == ["nuevo@ejemplo.test"]


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_confirmed_email_change_tells_the_old_address_and_ends_the_other_sessions(
    portal, account, django_capture_on_commit_callbacks
):
    user = account(portal)
    old = user.email
    prefix, private = PORTALS[portal]
    here, elsewhere = (
        sign_in(Client(), portal, user.get_username()),
        sign_in(Client(), portal, user.get_username()),
    )
    assert elsewhere.get(private).status_code == 200
    change_email(here, portal, "ana.nueva@ejemplo.test", capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(
            f"{prefix}correo/cambiar/codigo/", {"code": last_code("ana.nueva@ejemplo.test")}
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "ana.nueva@ejemplo.test"
    # The old address gets the notice: when, the new address masked, how to report it.
    notice = OutboxEmail.objects.get(template="correo_cambiado")
    assert notice.to == old
    sent = next(m for m in mail.outbox if m.to == [old])
    assert "an***@ej***.test" in sent.body
    assert "ana.nueva@ejemplo.test" not in sent.body  # not handed to whoever reads the old box
    assert settings.CALL_CENTER_PHONE in sent.body and "reportarlo" in sent.body
    assert re.search(r"El \d{1,2} de \w+ de \d{4}", sent.body), sent.body
    # This browser stays signed in; the other session is over.
    assert here.get(private).status_code == 200
    gone = elsewhere.get(private)
    assert gone.status_code == 302 and f"{prefix}ingresar/" in gone.url


# --- 2. "Contraseña actual" counted like a login -------------------------------------------


def post_current_password(browser: Client, portal: str, page: str, password: str):
    prefix = PORTALS[portal][0]
    if page == "password_change":
        data = {"old_password": password, "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD}  # fmt: skip
        return browser.post(f"{prefix}contrasena/cambiar/", data)
    return change_email(browser, portal, "nuevo@ejemplo.test", password=password)


LOGIN_LIMIT = ratelimit.rule("login", "username").limit


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["password_change", "email_change"])
@pytest.mark.parametrize("portal", PORTALS)
def test_right_current_password_works_before_the_login_limit(portal, page, account):
    user = account(portal)
    browser = sign_in(Client(), portal, user.get_username())
    for _ in range(LOGIN_LIMIT - 1):
        wrong = post_current_password(browser, portal, page, WRONG)
        assert html(texts.WRONG_PASSWORD) in wrong.text
    assert post_current_password(browser, portal, page, AGENT_PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["password_change", "email_change"])
@pytest.mark.parametrize("portal", PORTALS)
def test_current_password_past_the_login_limit_refuses_even_the_right_one(portal, page, account):
    user = account(portal)
    browser = sign_in(Client(), portal, user.get_username())
    for _ in range(LOGIN_LIMIT):
        post_current_password(browser, portal, page, WRONG)
    locked = post_current_password(browser, portal, page, AGENT_PASSWORD)
    assert locked.status_code == 200
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert html(texts.ACCOUNT_LOCKED % {"minutes": minutes}) in locked.text
    user.refresh_from_db()
    assert user.check_password(AGENT_PASSWORD) and not mail.outbox  # nothing changed, nothing sent
    # The same lockout as a login: signing in anew with the right password is refused too.
    login = post_login(Client(), portal, user.get_username(), AGENT_PASSWORD)
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session


@pytest.mark.django_db
def test_passwords_typed_on_cambio_de_contrasena_are_not_stored_by_the_lockout(account):
    user = account("agents")
    browser = sign_in(Client(), "agents", user.get_username())
    post_current_password(browser, "agents", "password_change", WRONG)
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "old_password" in stored  # the failure was recorded...
    assert WRONG not in stored and NEW_PASSWORD not in stored  # ...without the passwords


# --- 3. "Email taken" answers counted per session and per IP --------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("portal", PORTALS)
def test_email_taken_answers_per_session_then_one_generic_answer(portal, account, make_agent_user):
    user = account(portal)
    limit = ratelimit.rule("email_taken", "session").limit
    others = [make_agent_user().email for _ in range(limit + 1)]
    browser = sign_in(Client(), portal, user.get_username())
    for n, email in enumerate(others[:limit]):  # each from another address: the session counts
        page = change_email(browser, portal, email, REMOTE_ADDR=f"10.1.0.{n + 1}")
        assert html(texts.EMAIL_TAKEN) in page.text
    taken = change_email(browser, portal, others[limit], REMOTE_ADDR="10.1.1.1")
    free = change_email(browser, portal, "libre@ejemplo.test", REMOTE_ADDR="10.1.1.2")
    for page in (taken, free):  # taken or not, the same answer: nothing to learn
        assert html(texts.EMAIL_UNAVAILABLE) in page.text
        assert html(texts.EMAIL_TAKEN) not in page.text
    assert codes_sent() == 0


@pytest.mark.django_db
def test_email_taken_answers_per_ip_across_sessions(account, make_agent_user):
    user = account("agents")
    limit = ratelimit.rule("email_taken", "ip").limit
    others = [make_agent_user().email for _ in range(limit + 1)]
    for email in others[:limit]:  # a fresh session each time, all from one address
        page = change_email(sign_in(Client(), "agents", user.get_username()), "agents", email)
        assert html(texts.EMAIL_TAKEN) in page.text
    page = change_email(sign_in(Client(), "agents", user.get_username()), "agents", others[limit])
    assert html(texts.EMAIL_UNAVAILABLE) in page.text and html(texts.EMAIL_TAKEN) not in page.text


# --- 4. Code emails per session, person and IP ---------------------------------------------


@pytest.mark.django_db
def test_one_session_cannot_mail_codes_to_eight_addresses(
    account, django_capture_on_commit_callbacks
):
    user = account("agents")
    browser = sign_in(Client(), "agents", user.get_username())
    limit = ratelimit.rule("code_mail", "session").limit
    answers = [
        change_email(
            browser,
            "agents",
            f"destino{n}@ejemplo.test",
            capture=django_capture_on_commit_callbacks,
            REMOTE_ADDR=f"10.2.0.{n + 1}",
        )  # fmt: skip
        for n in range(8)
    ]
    assert codes_sent() == limit == len(mail.outbox)
    for refused in answers[limit:]:
        assert refused.status_code == 200 and "Por seguridad espera un momento" in refused.text
        assert "Podrás pedir otro en 60 minutos" in refused.text


def send(subject: str, email: str, session_key: str, ip: str) -> bool:
    try:
        codes.send_code("registro", subject, email, "codigo", {}, session_key=session_key, ip=ip)
    except codes.SendRefused:
        return False
    return True


@pytest.mark.django_db
def test_code_emails_are_limited_per_person_across_sessions_and_addresses():
    limit = ratelimit.rule("code_mail", "person").limit
    sent = [send("person:1", f"a{n}@ejemplo.test", f"s{n}", f"10.3.0.{n}") for n in range(8)]
    assert sent == [True] * limit + [False] * (8 - limit)
    assert OutboxEmail.objects.count() == limit
    assert send("person:2", "otra@ejemplo.test", "s-otra", "10.3.1.1")  # another person: fine


@pytest.mark.django_db
def test_code_emails_are_limited_per_ip_across_sessions_and_people():
    limit = ratelimit.rule("code_mail", "ip").limit
    sent = [
        send(f"person:{n}", f"b{n}@ejemplo.test", f"s{n}", "10.4.0.1") for n in range(limit + 3)
    ]
    assert sent == [True] * limit + [False] * 3
    assert OutboxEmail.objects.count() == limit


@pytest.mark.django_db
def test_first_entry_contact_page_asks_the_password_only_for_a_new_email(
    make_agent_user, django_capture_on_commit_callbacks
):
    user = make_agent_user(password=AGENT_PASSWORD, contact_confirmed=False)
    browser = sign_in(Client(), "agents", user.get_username())
    url = "/agentes/datos-de-contacto/"
    new = {"email": "ladron@ejemplo.test", "phone": "5512345678"}
    with django_capture_on_commit_callbacks(execute=True):
        missing = browser.post(url, new)
        wrong = browser.post(url, {**new, "password": WRONG})
    assert html(texts.CURRENT_PASSWORD_REQUIRED) in missing.text
    assert html(texts.WRONG_PASSWORD) in wrong.text
    assert codes_sent() == 0
    with django_capture_on_commit_callbacks(execute=True):
        right = browser.post(url, {**new, "password": AGENT_PASSWORD})
    assert right.url.startswith("/agentes/correo/cambiar/codigo/")
    assert mail.outbox[-1].to == ["ladron@ejemplo.test"]
    # Confirming the email on file needs no password, as the manual's first entry shows.
    other = make_agent_user(password=AGENT_PASSWORD, contact_confirmed=False)
    keep = sign_in(Client(), "agents", other.get_username()).post(
        url, {"email": other.email, "phone": "5512345678"}
    )
    assert keep.status_code == 302
    other.refresh_from_db()
    assert other.contact_confirmed_at is not None


@pytest.mark.django_db
def test_client_registration_codes_obey_the_same_limit(
    client, make_person, django_capture_on_commit_callbacks
):
    from tests.helpers import ClientWizard

    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    wizard = ClientWizard(client)
    wizard.identify(person)
    limit = ratelimit.rule("code_mail", "session").limit
    pages = []
    for n in range(8):
        with django_capture_on_commit_callbacks(execute=True):
            pages.append(wizard.choose_email(new=f"registro{n}@ejemplo.test").text)
        wizard.back("code", "products")
    assert OutboxEmail.objects.filter(template="codigo").count() == limit
    assert all("Por seguridad espera un momento" in page for page in pages[limit:])
    assert not any("Por seguridad espera un momento" in page for page in pages[:limit])


@pytest.mark.django_db
def test_resending_a_code_to_an_address_taken_meanwhile_says_so_instead_of_failing(
    account, django_capture_on_commit_callbacks
):
    user = account("agents")
    browser = sign_in(Client(), "agents", user.get_username())
    change_email(
        browser, "agents", "nuevo@ejemplo.test", capture=django_capture_on_commit_callbacks
    )
    User.objects.create_user("otra", email="nuevo@ejemplo.test", kind=User.Kind.CLIENT)
    OneTimeCode.objects.update(created_at=OneTimeCode.objects.get().created_at.replace(year=2000))
    page = browser.post("/agentes/correo/cambiar/codigo/", {"resend": "1"}, follow=True)
    assert page.status_code == 200 and html(texts.EMAIL_TAKEN) in page.text
    assert page.redirect_chain[-1][0] == "/agentes/correo/cambiar/"
    assert codes_sent() == 1  # the first code only
