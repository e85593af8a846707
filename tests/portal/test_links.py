"""Dead ends and missing links (issue 12, item 7): every link a person needs is there and
leads somewhere real — a new reset link, Cancelar, the footer's policies, the portal's
address in the approval emails, "¿No recibiste el código?", the manual's "Manual para
recuperar contraseña" — and no page of either portal links to a 404, a 500 or "#"."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from notifications.models import OutboxEmail
from portal import codes, ratelimit
from portal.accounts import services as account
from tests.helpers import AGENT_PASSWORD, KEY_WIZARD_URL, ClientWizard, last_code, sign_in

NEW = "Jacaranda-Morada-2026"
PORTALS = {"agents": "/agentes/", "clients": "/clientes/"}


def html_of(message) -> str:
    return message.alternatives[0][0]


def wait_for_mail(count: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail.outbox) >= count, [m.subject for m in mail.outbox]


def reset_link_in(message) -> str:
    return re.search(r"https?://\S+/contrasena/[^/\s]+/[^/\s]+/", message.body).group(0)


# --- a. A link that no longer works offers a new one, in its own portal ------------------


class OldTokens(PasswordResetTokenGenerator):
    """Tokens made 25 hours ago: past PASSWORD_RESET_TIMEOUT (one day)."""

    def _now(self):
        return super()._now() - timedelta(hours=25)


def link_path(prefix: str, user, token: str) -> str:
    return f"{prefix}contrasena/{urlsafe_base64_encode(force_bytes(user.pk))}/{token}/"


@pytest.mark.django_db
@pytest.mark.parametrize("portal", ["agents", "clients"])
@pytest.mark.parametrize("case", ["expired", "used", "garbled"])
def test_a_dead_reset_link_offers_a_new_one_from_its_own_portal(
    client, make_portal_user, django_capture_on_commit_callbacks, portal, case
):
    prefix = PORTALS[portal]
    user = make_portal_user(portal, password=AGENT_PASSWORD)
    if case == "expired":
        path = link_path(prefix, user, OldTokens().make_token(user))
    elif case == "garbled":
        path = link_path(prefix, user, "abc-0123456789abcdef")
    else:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"{prefix}contrasena/olvide/", {"email": user.email})
        path = urlsplit(reset_link_in(mail.outbox[-1])).path
        set_url = client.get(path).url
        client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    page = Client().get(path, follow=True)
    assert "Este vínculo ya no es válido" in page.text
    new_link = re.search(r'<a class="button" href="([^"]+)">Pedir un vínculo nuevo</a>', page.text)
    assert new_link and new_link[1] == f"{prefix}contrasena/olvide/"
    forgot = Client().get(new_link[1])
    assert forgot.status_code == 200 and "¿Olvidaste tu contraseña?" in forgot.text


# --- b. Agents: "Usuario o correo electrónico", Cancelar, same answer, same limit -----------


def post_reset(client, portal: str, typed: str, capture):
    with capture(execute=True):
        return client.post(f"{PORTALS[portal]}contrasena/olvide/", {"email": typed})


@pytest.mark.django_db
def test_agent_forgot_password_asks_usuario_o_correo_and_cancels_to_the_login(client):
    page = client.get("/agentes/contrasena/olvide/").text
    assert re.search(r'<label for="id_email">Usuario o correo electrónico\b', page)
    assert re.search(r'<input type="text" name="email"', page)
    assert re.search(r'<a class="[^"]*cancel[^"]*" href="/agentes/ingresar/">Cancelar</a>', page)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["username", "lower-case username", "email"])
def test_agent_username_finds_the_account_like_its_email(
    client, make_agent_user, django_capture_on_commit_callbacks, typed
):
    user = make_agent_user()
    text = {"username": user.username, "lower-case username": f" {user.username.lower()} "}
    response = post_reset(
        client, "agents", text.get(typed, user.email), django_capture_on_commit_callbacks
    )
    assert response.url == "/agentes/contrasena/olvide/enviado/"
    assert [m.to for m in mail.outbox] == [[user.email]]
    link = reset_link_in(mail.outbox[0])
    set_url = client.get(link).url
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    user.refresh_from_db()
    assert user.check_password(NEW)


@pytest.mark.django_db
def test_unknown_username_gets_the_same_answer_and_time_and_nothing_is_sent(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    user = make_agent_user()
    answers, durations = {}, {}
    for name, typed in {"known": user.username, "unknown": "NOEX9999"}.items():
        started = time.monotonic()
        answers[name] = post_reset(client, "agents", typed, django_capture_on_commit_callbacks)
        durations[name] = time.monotonic() - started
    assert answers["known"].url == answers["unknown"].url
    # Nothing to write for an unknown username: it must not answer quicker than a known one.
    assert min(durations.values()) >= account.USERNAME_RESET_SECONDS, durations
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert OutboxEmail.objects.count() == 1


@pytest.mark.django_db
def test_typing_the_username_and_the_email_shares_one_limit(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    per_email = ratelimit.rule("reset_password_email", "email").limit
    user = make_agent_user()
    for attempt in range(2 * per_email):
        typed = user.username if attempt % 2 == 0 else user.email.upper()
        response = post_reset(client, "agents", typed, django_capture_on_commit_callbacks)
        assert response.url == "/agentes/contrasena/olvide/enviado/"  # silently, as before
    assert len(mail.outbox) == per_email


@pytest.mark.django_db
def test_username_typing_obeys_the_address_limit_of_the_form(
    client, make_agent_user, django_capture_on_commit_callbacks
):
    per_ip = ratelimit.rule("reset_password", "ip").limit
    user = make_agent_user()
    for n in range(per_ip):
        post_reset(client, "agents", f"otro{n}@ejemplo.test", django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    response = post_reset(client, "agents", user.username, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Se excedió el número de intentos." in response.text
    assert len(mail.outbox) == sent


@pytest.mark.django_db
def test_clients_still_type_only_an_email(
    client, make_portal_user, django_capture_on_commit_callbacks
):
    user = make_portal_user("clients", password=AGENT_PASSWORD)
    page = client.get("/clientes/contrasena/olvide/").text
    assert re.search(r'<label for="id_email">Correo electrónico\b', page)
    assert "Usuario o correo" not in page
    response = post_reset(
        client, "clients", user.username.split("@")[0], django_capture_on_commit_callbacks
    )
    assert response.status_code == 200 and "Se detectaron los siguientes errores:" in response.text
    assert not mail.outbox


# --- c. The footer's policies are pages -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["/", "/agentes/ingresar/", "/clientes/ingresar/"])
def test_footer_links_to_the_privacy_and_security_pages(client, settings, start):
    footer = re.search(r"<footer.*?</footer>", client.get(start).text, re.S).group(0)
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer))
    assert links == {
        "/privacidad/": "Política de Privacidad",
        "/seguridad/": "Política de Seguridad",
    }
    privacy = client.get("/privacidad/").text
    assert "<h1>Política de Privacidad</h1>" in privacy
    assert "ARCO" in privacy and settings.CALL_CENTER_PHONE in privacy
    security = client.get("/seguridad/").text
    assert "<h1>Política de Seguridad</h1>" in security
    assert "Nunca te pediremos tu contraseña" in security
    assert "vence en 24 horas" in security and "vence en 10 minutos" in security
    assert settings.CALL_CENTER_PHONE in security


# --- d. The approval, registration and invitation emails say where the portal is -------------

HOST = "portal.ejemplo.test"


@pytest.fixture
def portal_host(settings):
    """The portal's address is HOST's (PORTAL_BASE_URL), and requests come in by another
    allowed host, with a port: the emails must name the portal's address, not the request's."""
    settings.PORTAL_BASE_URL = f"https://{HOST}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST, "alta.example.com"]
    return Client(HTTP_HOST="alta.example.com:4444")


@pytest.mark.django_db
@pytest.mark.parametrize("credentials", ["temporary", "link"])
def test_approval_emails_carry_the_agent_portal_address(
    portal_host, settings, make_request, make_reviewer, django_capture_on_commit_callbacks,
    credentials,
):  # fmt: skip
    settings.AGENT_CREDENTIALS = credentials
    request = make_request()
    portal_host.force_login(make_reviewer())
    with django_capture_on_commit_callbacks(execute=True):
        portal_host.post(f"/admin/agents/accessrequest/{request.pk}/aprobar/")
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert f"Portal de Agentes: https://{HOST}/agentes/ingresar/" in message.body
        assert f'<a href="https://{HOST}/agentes/ingresar/">' in html_of(message)


@pytest.mark.django_db
def test_invitation_and_registration_emails_carry_the_client_portal_address(
    portal_host, make_person, make_reviewer, django_capture_on_commit_callbacks
):
    from registration import services as registration

    person = make_person(emails=["jose.torres@ejemplo.test"])
    with django_capture_on_commit_callbacks(execute=True):
        registration.invite(person, by=make_reviewer(), base_url=f"https://{HOST}/")
    invitation = mail.outbox[-1]
    assert f"Portal de clientes: https://{HOST}/clientes/ingresar/" in invitation.body
    assert f'<a href="https://{HOST}/clientes/ingresar/">' in html_of(invitation)

    key = re.search(r"clave de registro es: (\S+)", invitation.body).group(1)
    wizard = ClientWizard(portal_host, KEY_WIZARD_URL)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.start()
        wizard.identify_with_key(key, person.policies.first().numero_poliza)
        wizard.choose_email("jose.torres@ejemplo.test")
    with django_capture_on_commit_callbacks(execute=True):
        wizard.enter_code(last_code("jose.torres@ejemplo.test"))
    registered = mail.outbox[-1]
    assert "Para establecer tu contraseña" in registered.body
    assert f"ingresa al portal de clientes en https://{HOST}/clientes/ingresar/" in registered.body
    assert f'<a href="https://{HOST}/clientes/ingresar/">' in html_of(registered)


# --- e. "¿No recibiste el código?" leads to "Reenviar código" -------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_recibiste_el_codigo_resends_it_after_the_cooldown(page, live_server, make_person):
    from registration import services as registration

    email = "jose.torres@ejemplo.test"
    person = make_person(emails=[email])
    registration.invite(person, by=None, base_url=live_server.url + "/")
    wait_for_mail(1)
    key = re.search(r"clave de registro es: (\S+)", mail.outbox[-1].body).group(1)
    page.goto("/clientes/ingresar/")
    page.get_by_role("link", name="Recibí un correo para registrarme").click()
    page.get_by_label("Clave de registro").fill(key)
    page.get_by_label("Número de póliza").fill(person.policies.first().numero_poliza)
    page.get_by_role("button", name="SIGUIENTE").click()
    page.get_by_label(account.mask_email(email)).check()  # masked until the code
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 3 de 4")).to_be_visible()
    wait_for_mail(2)
    first = last_code(email)

    expect(page.get_by_text("¿No recibiste el código?")).to_be_visible()
    expect(page.get_by_text("presiona «Reenviar código»")).to_be_visible()
    page.get_by_role("button", name="Reenviar código").click()
    expect(page.get_by_text("Por seguridad espera un momento")).to_be_visible()
    assert len(mail.outbox) == 2  # the cooldown holds: nothing sent

    codes.OneTimeCode.objects.update(created_at=timezone.now() - codes.RESEND_COOLDOWN * 2)
    page.get_by_role("button", name="Reenviar código").click()
    masked = account.mask_email(email)
    expect(page.get_by_text(f"Enviamos un código de confirmación a {masked}")).to_be_visible()
    wait_for_mail(3)
    second = last_code(email)
    assert second != first
    page.get_by_label("Código de confirmación (token)").fill(second)
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Tu registro fue creado")).to_be_visible()


# --- f. "Manual para recuperar contraseña"; b. and a. as the agent clicks them --------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_recovers_the_password_from_the_manual_link(page, make_agent_user):
    user = make_agent_user()
    page.goto("/agentes/ingresar/")
    page.get_by_role("link", name="Manual para recuperar contraseña").click()
    manual = page.locator("#recuperar-contrasena")
    expect(manual.get_by_role("heading", name="Manual para recuperar contraseña")).to_be_visible()
    expect(manual.get_by_text("Escribe tu usuario")).to_be_visible()

    manual.get_by_role("link", name="«Recupérala haciendo click aquí.»").click()
    expect(page.get_by_role("heading", name="¿Olvidaste tu contraseña?")).to_be_visible()
    page.get_by_role("link", name="Cancelar").click()
    expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()

    page.get_by_role("link", name="Recupérala haciendo click aquí.").click()
    page.get_by_label("Usuario o correo electrónico").fill(user.username)
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("heading", name="Revisa tu correo electrónico")).to_be_visible()
    wait_for_mail(1)
    assert mail.outbox[0].to == [user.email]
    link = reset_link_in(mail.outbox[0])

    page.goto(link)
    page.get_by_label(re.compile(r"^Nueva contraseña")).fill(NEW)
    page.get_by_label("Confirmar nueva contraseña").fill(NEW)
    page.get_by_role("button", name="ACEPTAR").click()
    expect(page.get_by_role("heading", name="¡Éxito!")).to_be_visible()

    page.goto(link)  # used: a dead end no more
    expect(page.get_by_role("heading", name="Este vínculo ya no es válido")).to_be_visible()
    page.get_by_role("link", name="Pedir un vínculo nuevo").click()
    expect(page.get_by_label("Usuario o correo electrónico")).to_be_visible()
    assert urlsplit(page.url).path == "/agentes/contrasena/olvide/"


@pytest.mark.django_db
def test_manual_link_on_the_agent_login_leads_to_the_recovery_steps(client):
    login = client.get("/agentes/ingresar/").text
    href = re.search(r'<a href="([^"]+)">Manual para recuperar contraseña</a>', login).group(1)
    path, fragment = urldefrag(href)
    manual = client.get(path)
    assert manual.status_code == 200
    section = re.search(rf'<section[^>]* id="{fragment}".*?</section>', manual.text, re.S)
    assert section and "<ol>" in section.group(0)
    assert 'href="/agentes/contrasena/olvide/"' in section.group(0)


# --- c. in Chromium: a person follows the footer ------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_footer_policies_open_from_any_page(page, settings):
    page.goto("/agentes/ingresar/")
    page.locator("footer").get_by_role("link", name="Política de Privacidad").click()
    expect(page.get_by_role("heading", name="Política de Privacidad", exact=True)).to_be_visible()
    expect(page.get_by_text(settings.CALL_CENTER_PHONE).first).to_be_visible()
    page.locator("footer").get_by_role("link", name="Política de Seguridad").click()
    expect(page.get_by_role("heading", name="Política de Seguridad", exact=True)).to_be_visible()
    expect(page.get_by_text("Nunca te pediremos tu contraseña")).to_be_visible()


# --- g. The client's "¿Olvidaste tu contraseña?" ends on its own words ------------------------


@pytest.mark.django_db
def test_client_forgot_password_pages_say_what_happened(
    client, make_portal_user, django_capture_on_commit_callbacks
):
    user = make_portal_user("clients", password=AGENT_PASSWORD)
    done = post_reset(client, "clients", user.email, django_capture_on_commit_callbacks)
    sent = client.get(done.url).text
    assert "<h1>Revisa tu correo electrónico</h1>" in sent
    assert "recibirás un enlace para crear una nueva contraseña" in sent
    set_url = client.get(reset_link_in(mail.outbox[-1])).url
    complete = client.post(set_url, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert complete.redirect_chain[-1][0] == "/clientes/contrasena/lista/"
    assert "<h1>¡Éxito!</h1>" in complete.text
    assert "Tu contraseña quedó establecida" in complete.text
    for text in (sent, complete.text):
        assert "Tu registro fue creado" not in text


# --- Every link of both portals leads somewhere ---------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


SKIPPED = ("/admin/", "/captcha/", "/salir/")  # back-office, images, signing out
MAX_PAGES = 300


def crawl(client: Client, starts: list[str]) -> dict[str, int]:
    """GET every same-site page reachable by <a href> (or a redirect) from `starts`, the
    addresses a person types; returns the status of every page reached by a link."""
    linked: dict[str, int] = {}
    typed: set[str] = set()
    queue = [(url, False) for url in starts]
    while queue and len(linked) < MAX_PAGES:
        url, by_link = queue.pop(0)
        if url in linked or url in typed or url.startswith(SKIPPED):
            continue
        response = client.get(url)
        status = response.status_code
        if by_link:
            linked[url] = status
        else:  # typed: the other portal's home refuses a signed-in user (403), by design
            typed.add(url)
            assert status != 404 and status < 500, (url, status)
        found: list[tuple[str | None, bool]] = []
        if status in (301, 302, 303, 307, 308):
            found.append((response["Location"], by_link))  # where the typed address goes
        elif "text/html" in response.get("Content-Type", ""):
            parser = Links()
            parser.feed(response.content.decode())
            for href in parser.hrefs:
                assert href and href.strip() and href.strip() != "#", f"{url}: <a href={href!r}>"
            found.extend((href, True) for href in parser.hrefs)
        for href, linked_to in found:
            parts = urlsplit(urldefrag(href or "")[0])
            if parts.netloc in ("", "testserver") and parts.path.startswith("/"):
                queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), linked_to))
    return linked


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "agent", "client"])
def test_no_link_leads_to_a_missing_or_broken_page(client, make_portal_user, who):
    if who != "anonymous":
        user = make_portal_user(f"{who}s", password=AGENT_PASSWORD)
        sign_in(client, f"{who}s", user.get_username())
    linked = crawl(client, ["/", "/agentes/", "/clientes/"])
    broken = {url: status for url, status in linked.items() if status >= 400}
    assert not broken, broken
    assert len(linked) >= 8, linked  # the walk went past the entry pages
    assert {"/privacidad/", "/seguridad/"} <= set(linked)
