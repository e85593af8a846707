"""One register in both portals (issue 12, item 8): every page and message says "tú" as the
client guide does (the agent manual's "usted" turned to "tú"), the password checklist is
ours and follows AUTH_PASSWORD_VALIDATORS as the person types, and no "minuto(s)"."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.test import Client
from playwright.sync_api import expect

from portal import texts
from tests.helpers import AGENT_PASSWORD, ROOT, ClientWizard, RequestWizard, last_code, last_link

# The "usted" register, and the agent manual's impersonal orders, as they would show.
USTED = re.compile(
    r"\b(usted|ustedes|su|sus|le|les|ingrese|seleccione|escriba|capture|verifique|intente|"
    r"consulte|presione|llame|comuníquese|comuniquelo|comuníquelo|introduzca|asegúrese|"
    r"comunicarse|contactar|cuenta con estos|deberá ser informado|pueda crear)\b",
    re.IGNORECASE,
)
# "su" of a third party, not of the reader: the password's or email's confirmation, the
# captcha image's characters, the insurer's portal.
THIRD_PARTY = re.compile(
    r"\b(y su confirmación|sus caracteres|te invita a registrarte en su portal)\b", re.IGNORECASE
)
# Attributes whose text a person hears or reads (the data-* ones are the scripts' sentences).
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
# Data, not text: the checklist's comparison values and common passwords.
DATA_ATTRIBUTES = {"data-values", "data-words"}


class VisibleText(HTMLParser):
    """The text a page shows or reads aloud: no scripts, styles or markup."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping += 1
        for name, value in attrs:
            sentence = name.startswith("data-") and " " in (value or "")
            if value and name not in DATA_ATTRIBUTES and (name in READ_ATTRIBUTES or sentence):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def usted_words(html: str) -> list[str]:
    text = THIRD_PARTY.sub("", visible_text(html))
    return sorted({m.group(0) for m in USTED.finditer(text)})


def pages_of_anyone(client: Client) -> dict[str, str]:
    """Pages without an account, by URL."""
    urls = [
        "/",
        "/clientes/ingresar/",
        "/agentes/ingresar/",
        "/clientes/contrasena/olvide/",
        "/agentes/contrasena/olvide/",
        "/clientes/contrasena/olvide/enviado/",
        "/agentes/contrasena/olvide/enviado/",
        "/clientes/contrasena/lista/",
        "/agentes/contrasena/lista/",
        "/agentes/contrasena/MQ/no-vale/",  # a link that is not valid
        "/clientes/cuenta/bloquear/no-vale/",
        "/clientes/registro/clave/",
        "/no-existe/",
    ]
    return {url: client.get(url, follow=True).text for url in urls}


def pages_of_the_agent_request(make_agent) -> dict[str, str]:
    """Each step of "¿Nuevo Usuario? Solicítalo aquí." to "Solicitud enviada"."""
    agent = make_agent()
    wizard = RequestWizard(Client())
    shown = {"identify": wizard.start().text}
    response = wizard.identify(agent)
    shown["channels"] = response.text
    response = wizard.choose_channels(agent)
    shown["role"] = response.text
    response = wizard.choose_role()
    shown["submit"] = response.text
    shown["sent"] = wizard.send(response, email=agent.email).text
    assert "Solicitud enviada" in shown["sent"]
    return {f"agent request: {step}": html for step, html in shown.items()}


def pages_of_the_client_registration(make_person, capture) -> dict[str, str]:
    """Each step of "Aún no estoy registrado", then the link "aquí" and "¡Éxito!"."""
    person = make_person(emails=["lucia.mora@ejemplo.test"])
    browser = Client()
    wizard = ClientWizard(browser)
    shown = {"identify": wizard.start().text, "products": wizard.identify(person).text}
    with capture(execute=True):
        shown["code"] = wizard.choose_email(email="lucia.mora@ejemplo.test").text
    with capture(execute=True):
        shown["registered"] = wizard.enter_code(last_code("lucia.mora@ejemplo.test")).text
    link = browser.get(last_link("lucia.mora@ejemplo.test"), follow=True)
    shown["set password"] = link.text
    form_url = link.redirect_chain[-1][0]
    shown["weak password"] = browser.post(
        form_url, {"new_password1": "1234", "new_password2": "1234"}
    ).text
    assert "Se detectaron los siguientes errores:" in shown["weak password"]
    return {f"client registration: {step}": html for step, html in shown.items()}


def pages_of_an_account(client: Client, prefix: str, capture) -> dict[str, str]:
    """The pages a signed-in user of the portal at `prefix` reaches."""
    urls = {
        "/agentes/": ["inicio/", "herramientas/", "ayuda/", "contacto/", "usuario/",
                      "telefono/cambiar/", "inicio/?numero=0000"],
        "/clientes/": [""],
    }[prefix] + ["contrasena/cambiar/", "correo/cambiar/"]  # fmt: skip
    shown = {prefix + url: client.get(prefix + url, follow=True).text for url in urls}
    new_email = f"nuevo.{prefix.strip('/')}@ejemplo.test"
    with capture(execute=True):
        sent = client.post(
            prefix + "correo/cambiar/",
            {"email": new_email, "email_confirmation": new_email, "password": AGENT_PASSWORD},
        )
    assert sent.status_code == 302, visible_text(sent.text)
    confirm = client.get(prefix + "correo/cambiar/codigo/")
    assert "data-countdown" in confirm.text  # the resend countdown is among the texts
    shown[prefix + "correo/cambiar/codigo/"] = confirm.text
    return shown


# --- (a) every page says "tú" ----------------------------------------------------------------


@pytest.mark.django_db
def test_no_page_of_either_portal_speaks_as_usted(
    client, make_agent, make_agent_user, make_portal_user, make_person,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    capture = django_capture_on_commit_callbacks
    pages = pages_of_anyone(client)
    pages.update(pages_of_the_agent_request(make_agent))
    pages.update(pages_of_the_client_registration(make_person, capture))

    agent = Client()
    agent.force_login(make_agent_user(password=AGENT_PASSWORD))
    pages.update(pages_of_an_account(agent, "/agentes/", capture))
    first_entry = Client()
    first_entry.force_login(make_agent_user(password=AGENT_PASSWORD, password_expired=True))
    pages["forced password change"] = first_entry.get("/agentes/contrasena/cambiar/").text
    contact = Client()
    contact.force_login(make_agent_user(password=AGENT_PASSWORD, contact_confirmed=False))
    pages["contact data"] = contact.get("/agentes/datos-de-contacto/").text

    customer = Client()
    customer.force_login(make_portal_user("clients", password=AGENT_PASSWORD))
    pages.update(pages_of_an_account(customer, "/clientes/", capture))

    assert len(pages) > 35
    found = {page: words for page, html in pages.items() if (words := usted_words(html))}
    assert found == {}


def test_no_email_speaks_as_usted():
    from django.conf import settings
    from django.template.loader import render_to_string

    names = sorted(path.name for path in (ROOT / "templates" / "emails").iterdir())
    assert "usuario_generado.txt" in names and "solicitud_rechazada.html" in names
    context = {
        "brand": "MetLife",
        "full_name": "XIMENA SOTO PARDO",
        "role": "AGENTE",
        "username": "SOPX1076",
        "password": "19vhcjm2",
        "hours": 24,
        "minutes": 10,
        "code": "123456",
        "reason": "No se cuenta con la suficiente información.",
        "call_center": settings.CALL_CENTER_PHONE,
        "link": "https://e.test/aqui/",
    }
    found = {}
    for name in names:
        rendered = render_to_string(f"emails/{name}", context)
        if words := usted_words(rendered if name.endswith(".html") else f"<pre>{rendered}</pre>"):
            found[name] = words
    assert found == {}


def test_the_usted_check_finds_the_agent_manuals_register():
    # The check itself: the manual's own sentences, as they were on our pages.
    assert usted_words(
        "<p>Si no cuenta con estos datos por favor comunicarse con su Promotor.</p>"
    ) == ["comunicarse", "cuenta con estos", "su"]
    assert usted_words('<img alt="Le enviará una contraseña expirada">') == ["Le"]
    assert usted_words("<p>Si no cuentas con estos datos comunícate con tu Promotor.</p>") == []
    assert usted_words("<p>La nueva contraseña y su confirmación no coinciden.</p>") == []


# --- (b) no "(s)" plurals --------------------------------------------------------------------

PLURAL_HACK = re.compile(r"\w\((?:s|es)\)")


def wording_files() -> list[Path]:
    """Templates, Python and scripts that hold what a person reads; the Django admin's are
    the reviewers' and worded on their own."""
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt")]
    found += ROOT.glob("static/js/*.js")
    for app in ("portal", "agents", "registration", "notifications"):
        found += ROOT.glob(f"{app}/**/*.py")
    return [
        path
        for path in found
        if "admin" not in path.relative_to(ROOT).parts
        and path.name != "admin.py"
        and "migrations" not in path.parts
    ]


def test_no_text_counts_with_an_s_in_brackets():
    files = wording_files()
    assert any(path.name == "texts.py" for path in files)
    hacks = {
        str(path.relative_to(ROOT)): PLURAL_HACK.findall(path.read_text(encoding="utf-8"))
        for path in files
    }
    assert {path: found for path, found in hacks.items() if found} == {}


# A countdown's sentence needs `count` to say "1 segundo" (the settings' figures elsewhere,
# a link's 24 horas or a code's 10 minutos, are plural by configuration).
UNCOUNTED = re.compile(
    r"\{% blocktranslate(?![^%]*\bcount\b)[^%]*%\}"
    r"(?:(?!\{% endblocktranslate).)*?\{\{ *\w+ *\}\} segundos",
    re.DOTALL,
)


def test_no_translated_sentence_counts_without_its_singular():
    assert UNCOUNTED.search("{% blocktranslate %}en {{ n }} segundos.{% endblocktranslate %}")
    counted = "{% blocktranslate count n=s %}en {{ n }} segundo.{% plural %}en {{ n }} segundos."
    assert not UNCOUNTED.search(counted + "{% endblocktranslate %}")
    uncounted = {
        str(path.relative_to(ROOT)): UNCOUNTED.findall(path.read_text(encoding="utf-8"))
        for path in wording_files()
        if path.suffix in (".html", ".txt")
    }
    assert {path: found for path, found in uncounted.items() if found} == {}


@pytest.mark.parametrize("count, shown", [(1, "en 1 minuto o"), (15, "en 15 minutos o")])
def test_locked_access_says_minute_or_minutes_by_the_count(count, shown):
    assert shown in texts.ACCOUNT_LOCKED % {"minutes": count}


@pytest.mark.parametrize(
    "seconds, shown",
    [(1, "1 segundo."), (59, "59 segundos."), (120, "2 minutos."), (61 * 60, "61 minutos.")],
)
def test_code_cooldown_says_seconds_or_minutes_by_the_count(seconds, shown):
    assert texts.code_wait(seconds).endswith(shown)


# --- (c) the agent's set-password page in Chromium -------------------------------------------


def agent_set_password_path(settings, make_request, make_reviewer) -> tuple[str, object]:
    """Approve a request with AGENT_CREDENTIALS="link" as back-office does; the path of the
    link "aquí" the agent receives, and the agent's user."""
    settings.AGENT_CREDENTIALS = "link"
    request = make_request()
    reviewer = Client()
    reviewer.force_login(make_reviewer())
    reviewer.post(f"/admin/agents/accessrequest/{request.pk}/aprobar/")
    link = re.search(r"https?://\S+/agentes/contrasena/\S+/", mail.outbox[-1].body).group(0)
    request.agent.refresh_from_db()
    return urlsplit(link).path, request.agent.user


def server_verdicts(password: str, user) -> dict[str, bool]:
    """Whether each of AUTH_PASSWORD_VALIDATORS accepts `password`, by checklist item."""
    keys = {
        password_validation.MinimumLengthValidator: "length",
        password_validation.NumericPasswordValidator: "not-numeric",
        password_validation.UserAttributeSimilarityValidator: "not-personal",
        password_validation.CommonPasswordValidator: "not-common",
    }
    verdicts = {}
    for validator in password_validation.get_default_password_validators():
        try:
            validator.validate(password, user)
        except Exception:  # noqa: BLE001 - ValidationError: the rule is not met
            verdicts[keys[type(validator)]] = False
        else:
            verdicts[keys[type(validator)]] = True
    return verdicts


# Passwords near each rule's edge: length 11/12, digits of other scripts, the agent's name,
# surnames and email, a username lookalike, listed and padded common passwords, an emoji.
SAMPLES = [
    "Abcdefghijk",
    "Abcdefghijkl",
    "123456789012",
    "١٢٣٤٥٦٧٨٩٠١٢",
    "ximena soto pardo",
    "Pardo-Soto-1999",
    "soto pardo 1",
    "agente7000@ejemplo.test",
    "password1234",
    "qwerty123456",
    "  Password1234  ",
    "Girasol-Azul-2024",
    "🌵🌵🌵🌵🌵🌵Tlaquepaque",
]


def item(page, key):
    return page.locator(f"#password-rules li[data-rule={key}]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agents_set_password_page_shows_our_checklist_ticking_as_they_type(
    page, settings, make_request, make_reviewer
):
    path, user = agent_set_password_path(settings, make_request, make_reviewer)
    page.goto(path)
    expect(page.get_by_role("heading", name="Define tu contraseña")).to_be_visible()
    body = page.locator("body")
    expect(body).not_to_contain_text("Su contraseña")
    for validator in password_validation.get_default_password_validators():
        expect(body).not_to_contain_text(str(validator.get_help_text()))

    # One item per configured validator, then the confirmation; all pending to begin with.
    keys = [item.get_attribute("data-rule") for item in page.locator("#password-rules li").all()]
    assert keys == [*server_verdicts("x", user), "match"]
    expect(item(page, "length")).to_contain_text("Al menos 12 caracteres.")
    for key in keys:
        expect(item(page, key).locator(".status")).to_have_text("pendiente")
    assert page.locator("#password-rules").get_attribute("aria-live") == "polite"

    # Each item ticks exactly when the server's validator accepts what is typed.
    password = page.get_by_label(re.compile(r"^Contraseña"))
    confirmation = page.get_by_label("Confirma tu contraseña")
    for sample in SAMPLES:
        password.fill(sample)
        for key, accepted in server_verdicts(sample, user).items():
            if key == "not-common" and len(sample.strip()) < 12:
                accepted = False  # too short to tell from the listed ones: stays pending
            status = "cumplido" if accepted else "pendiente"
            expect(item(page, key).locator(".status"), f"{sample!r} {key}").to_have_text(status)
            ticked = re.compile(r"\bok\b")
            if accepted:
                expect(item(page, key)).to_have_class(ticked)
            else:
                expect(item(page, key)).not_to_have_class(ticked)
    expect(item(page, "match").locator(".status")).to_have_text("pendiente")
    confirmation.fill(SAMPLES[-1])
    expect(item(page, "match").locator(".status")).to_have_text("cumplido")

    # A weak password: our words, on the same page, the checklist still there.
    password.fill("ximena soto pardo")
    confirmation.fill("ximena soto pardo")
    page.get_by_role("button", name="ACEPTAR").click()
    expect(page.get_by_text("Se detectaron los siguientes errores:")).to_be_visible()
    similar = texts.PASSWORD_TOO_SIMILAR % {"personal_data": texts.PERSONAL_DATA["last_name"]}
    expect(page.get_by_text(similar).first).to_be_visible()
    expect(page.get_by_role("heading", name="Define tu contraseña")).to_be_visible()
    expect(body).not_to_contain_text("Su contraseña")
    user.refresh_from_db()
    assert not user.has_usable_password()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_password_change_ticks_different_from_the_current_one(page, make_agent_user):
    user = make_agent_user(password=AGENT_PASSWORD)
    page.goto("/agentes/ingresar/")
    page.get_by_label("Usuario").fill(user.username)
    page.get_by_label(re.compile(r"^Contraseña")).fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.goto("/agentes/contrasena/cambiar/")
    different = item(page, "different")
    expect(different).to_contain_text("Debe ser diferente a tu contraseña actual.")
    page.get_by_label("Contraseña actual").fill(AGENT_PASSWORD)
    page.get_by_label(re.compile(r"^Nueva contraseña")).fill(AGENT_PASSWORD)
    expect(different.locator(".status")).to_have_text("pendiente")
    page.get_by_label(re.compile(r"^Nueva contraseña")).fill("Girasol-Azul-2024")
    expect(different.locator(".status")).to_have_text("cumplido")
    expect(different).to_have_class(re.compile(r"\bok\b"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resend_countdown_says_1_segundo_then_nothing(page, make_portal_user):
    user = make_portal_user("clients", password=AGENT_PASSWORD)
    page.clock.install()
    page.goto("/clientes/ingresar/")
    page.get_by_label("Correo electrónico").fill(user.email)
    page.get_by_label("Contraseña").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.goto("/clientes/correo/cambiar/")
    page.get_by_label(re.compile(r"^Nuevo correo")).fill("otro@ejemplo.test")
    page.get_by_label("Confirmar nuevo correo electrónico").fill("otro@ejemplo.test")
    page.get_by_label("Contraseña actual").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Enviar código").click()
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_contain_text(re.compile(r"Podrás pedir otro código en \d+ segundos\."))
    page.wait_for_load_state("load")  # countdown.js (deferred) has started its timer
    seconds = int(countdown.get_attribute("data-countdown"))
    page.clock.run_for((seconds - 2) * 1000)
    expect(countdown).to_have_text("Podrás pedir otro código en 2 segundos.")
    page.clock.run_for(1000)
    expect(countdown).to_have_text("Podrás pedir otro código en 1 segundo.")
    page.clock.run_for(1000)
    expect(countdown).to_have_text("")
