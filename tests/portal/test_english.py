"""English, complete (issue 12): every text of the code in locale/en, English chosen by
Accept-Language or by the switcher on every page, and emails in the language of the request
that caused them (an agent's review emails in the language the agent filed in)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core import mail
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from agents.models import AccessRequest, Role
from notifications.models import OutboxEmail
from portal.accounts.services import mask_email
from tests.helpers import (
    AGENT_WIZARD_URL,
    CLIENT_PASSWORD,
    ROOT,
    ClientWizard,
    RequestWizard,
    birth_date_as_typed,
    captcha_answer_in_browser,
    fresh_env,
    last_code,
    last_link,
    wait_until,
)

CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
ENGLISH = "en-US,en;q=0.9"  # what a browser set to English sends
# Placeholders a translation must keep: %(name)s, %s, %d, {name}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# Spanish a page in English must not show.
GIVEAWAYS = [
    "Continuar", "Regresar", "Cancelar", "Paso ", "correo", "contraseña", "Solicitud",
    "Se detectaron",
]  # fmt: skip


# --- The catalogue ----------------------------------------------------------------------------


def _catalogue(path: Path):
    with open(path, "rb") as po:
        return read_po(po)


def _key(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return f"[{message.context}] {msgid}" if message.context else msgid


def test_every_msgid_has_an_english_translation():
    catalogue = _catalogue(CATALOGUE)
    # pybabel compile skips a catalogue whose header is fuzzy: then nothing would be English.
    assert not catalogue.fuzzy, f"{CATALOGUE} has a fuzzy header: `make install` skips it"
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        if message.fuzzy:
            problems.append(f"fuzzy: {_key(message)!r}")
        if not all(strings):
            problems.append(f"untranslated: {_key(message)!r}")
            continue
        for n, string in enumerate(strings):
            msgid = ids[min(n, len(ids) - 1)]
            for name, pattern in (("placeholders", PLACEHOLDER), ("HTML tags", HTML_TAG)):
                if Counter(pattern.findall(msgid)) != Counter(pattern.findall(string)):
                    problems.append(f"{name} differ: {msgid!r} -> {string!r}")
    assert not problems, f"{len(problems)} problems in {CATALOGUE}:\n" + "\n".join(problems)


def _makemessages_command() -> list[str]:
    """The command of `make messages` (the Makefile's, so there is one), for this Python."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^messages:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no `messages` target"
    command = recipe.group(1).replace("$(BIN)/python", sys.executable)
    return [part.strip('"') for part in command.split()]


def test_the_english_catalogue_lists_every_text_of_the_code(tmp_path):
    assert shutil.which("xgettext"), "GNU gettext is missing (`make system-deps` installs it)"
    command = _makemessages_command()
    # The tree without what the command ignores (-i "tests/*" …) nor .venv and .git.
    ignored = {part.removesuffix("/*") for part in command if part.endswith("/*")}
    tree = tmp_path / "tree"
    tree.mkdir()
    for entry in ROOT.iterdir():
        if entry.name.startswith(".") or entry.name in ignored:
            continue
        if entry.is_dir():
            shutil.copytree(entry, tree / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(entry, tree / entry.name)
    done = subprocess.run(
        command, cwd=tree, env=fresh_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    committed = {(m.context, _key(m)) for m in _catalogue(CATALOGUE) if m.id}
    from_code = _catalogue(tree / "locale" / "en" / "LC_MESSAGES" / "django.po")
    missing = sorted(_key(m) for m in from_code if m.id and (m.context, _key(m)) not in committed)
    assert not missing, (
        f"{len(missing)} texts of the code are not in {CATALOGUE} (run `make messages` and "
        "translate them):\n" + "\n".join(missing)
    )


# --- Accept-Language --------------------------------------------------------------------------

PAGES = {  # page: (a text it shows in English, the same in Spanish)
    "/": ("View your products or register in the client portal.", "Consulta tus productos"),
    "/agentes/ingresar/": ("New user?", "¿Nuevo Usuario?"),
    AGENT_WIZARD_URL: ("Step 1 of 5", "Paso 1 de 5"),
    "/clientes/registro/": ("Step 1 of 4", "Paso 1 de 4"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_accept_language_english_gets_the_page_in_english(client, url):
    english, spanish = PAGES[url]
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=ENGLISH, follow=True)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert english in page.text and spanish not in page.text
    assert re.search(r"[MTWFS][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}", page.text)  # the date


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", [None, "es-MX", "es-ES,es;q=0.9", "es"])
@pytest.mark.parametrize("url", PAGES)
def test_without_the_header_or_asking_spanish_the_page_is_spanish(client, url, accept_language):
    english, spanish = PAGES[url]
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    page = client.get(url, follow=True, **headers)
    assert page.status_code == 200
    assert '<html lang="es-mx">' in page.text
    assert spanish in page.text and english not in page.text


@pytest.mark.django_db
def test_the_header_date_reads_naturally_in_each_language():
    from datetime import date

    from portal.context_processors import today_label

    with translation.override("en"):
        assert today_label(date(2026, 12, 1), "en") == "Tuesday, December 1, 2026"
    with translation.override("es-mx"):
        assert today_label(date(2026, 12, 1), "es-mx") == "Martes 1 de Diciembre de 2026"


@pytest.mark.django_db
def test_the_language_cookie_has_the_session_cookies_flags(client, settings):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert settings.LANGUAGE_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE


# --- The switcher ---------------------------------------------------------------------------


def _visible_text(page) -> str:
    return page.locator("body").inner_text()


def _assert_english(page) -> None:
    assert page.locator("html").get_attribute("lang") == "en"
    text = _visible_text(page)
    shown = [word for word in GIVEAWAYS if word in text]
    assert not shown, f"Spanish on {page.url}: {shown}"


def _tab_to(page, name: str, most: int = 10):
    """Press Tab from the top of the page until the button `name` has the focus."""
    page.locator("body").focus()
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return page.locator(":focus")
    raise AssertionError(f"{name!r} not reached with {most} presses of Tab")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_switcher_turns_a_wizard_step_into_english_and_back_keeping_the_data(page, make_agent):
    agent = make_agent()
    page.goto(AGENT_WIZARD_URL)
    page.get_by_label("Clave de agente").fill(agent.clave_agente)
    page.get_by_label("Clave Promotoría").fill(agent.promotoria.clave)
    page.get_by_label("RFC").fill(agent.rfc)
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Paso 2 de 5")).to_be_visible()
    step_url = page.url

    switcher = _tab_to(page, "English")
    assert switcher.get_attribute("lang") == "en"
    box = switcher.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    page.keyboard.press("Enter")

    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    assert page.url == step_url
    expect(page.get_by_role("cell", name=agent.rfc)).to_be_visible()  # the wizard kept it
    _assert_english(page)
    page.get_by_role("button", name="Back").click()  # the next page: still English
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()
    assert page.get_by_label("Agent key").input_value() == agent.clave_agente
    _assert_english(page)

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_text("Paso 1 de 5")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "es-mx"
    assert page.get_by_label("Clave de agente").input_value() == agent.clave_agente
    assert page.get_by_label("RFC").input_value() == agent.rfc
    expect(page.get_by_role("button", name="English")).to_be_visible()


@pytest.mark.django_db
def test_every_page_has_the_switcher_posting_back_to_itself(client):
    page = client.get("/clientes/registro/?desde=correo", HTTP_ACCEPT_LANGUAGE="es-MX").text
    form = re.search(r'<form class="language" method="post" action="/i18n/setlang/">.*?</form>',
                     page, re.S).group(0)  # fmt: skip
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="next" value="/clientes/registro/?desde=correo"' in form
    assert '<button type="submit" class="secondary" lang="en">English</button>' in form
    admin_login = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="es-MX").text
    assert 'action="/i18n/setlang/"' in admin_login and 'value="English" lang="en"' in admin_login


# --- Emails ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_code_requested_in_english_is_emailed_in_english(
    make_person, django_capture_on_commit_callbacks
):
    person = make_person(emails=["ana@ejemplo.test"])
    wizard = ClientWizard(Client(HTTP_ACCEPT_LANGUAGE="en"))
    wizard.identify(person)
    with django_capture_on_commit_callbacks() as queued:
        wizard.choose_email(email="ana@ejemplo.test")
    # Delivered where Spanish is active (a worker's default): the row's language counts.
    with translation.override("es-mx"):
        for callback in queued:
            callback()
    assert OutboxEmail.objects.get(template="codigo").language == "en"
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert message.subject == "MetLife: your confirmation code"
    assert f"Your confirmation code (token) is: {last_code('ana@ejemplo.test')}" in message.body
    assert "Thank you for using our services." in message.body
    assert '<html lang="en">' in html and "Your confirmation code (token) is:" in html
    for text in (message.subject, message.body, html):
        assert "Estimado" not in text and "código" not in text and "Gracias" not in text


def _file_request(make_agent, accept_language: str, capture) -> AccessRequest:
    """The agent's request, its "request received" email sent (as it is once committed): a
    later batch of the worker would otherwise take it with the credentials."""
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent(nombre="XIMENA", apellido_paterno="SOTO", apellido_materno="PARDO")
    wizard = RequestWizard(Client(HTTP_ACCEPT_LANGUAGE=accept_language))
    with capture(execute=True):
        response = wizard.send(wizard.walk_to_submit(agent), email=agent.email)
    assert response.redirect_chain[-1][0] == "/agentes/solicitud/enviada/"
    return AccessRequest.objects.get(agent=agent)


APPROVAL = {  # language: what the two credential emails say in it
    "en": ("Portal User Registration, username generated", "The following username was generated:",
           "Portal User Registration, password generated", "The following password was generated:"),
    "es-mx": ("Registro de Usuario Portal, usuario generado", "Se generó el siguiente usuario:",
              "Registro de Usuario Portal, contraseña generada",
              "Se generó la siguiente contraseña:"),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filed_in", "reviewer_in", "expected"),
    [("en", "es-MX", "en"), ("es-MX", ENGLISH, "es-mx")],
)
def test_an_agents_credentials_go_in_the_language_the_agent_filed_in(
    make_agent, make_reviewer, django_capture_on_commit_callbacks, filed_in, reviewer_in, expected
):
    request = _file_request(make_agent, filed_in, django_capture_on_commit_callbacks)
    assert request.language == expected
    reviewer = Client(HTTP_ACCEPT_LANGUAGE=reviewer_in)
    reviewer.force_login(make_reviewer())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = reviewer.post(f"/admin/agents/accessrequest/{request.pk}/aprobar/", follow=True)
    assert page.status_code == 200
    # The reviewer read the admin in their own language.
    assert ("Solicitud aprobada" in page.text) == (reviewer_in == "es-MX")
    username, password = mail.outbox
    subject_1, body_1, subject_2, body_2 = APPROVAL[expected]
    assert subject_1 in username.subject and body_1 in username.body
    assert subject_2 in password.subject and body_2 in password.body
    for message in (username, password):
        assert f'<html lang="{expected}">' in message.alternatives[0][0]


# --- English walks in Chromium -----------------------------------------------------------


@pytest.fixture
def english_page(open_page):
    return open_page(locale="en-US")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_requests_access_in_english(english_page, make_agent):
    page = english_page
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent(email="ximena@ejemplo.test")
    page.goto("/")
    _assert_english(page)
    page.get_by_role("link", name="Agents").click()
    _assert_english(page)
    page.get_by_role("link", name="Request it here.").click()

    expect(page.get_by_role("heading", name="Identify agent")).to_be_visible()
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()
    _assert_english(page)
    page.get_by_label("Agent key").fill(agent.clave_agente)
    page.get_by_label("Agency (Promotoría) key").fill(agent.promotoria.clave)
    page.get_by_label("RFC").fill("XAXX010101000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("The following errors were found:")).to_be_visible()
    _assert_english(page)
    page.get_by_label("RFC").fill(agent.rfc)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    _assert_english(page)
    page.get_by_label("Individual Privado").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 3 of 5")).to_be_visible()
    _assert_english(page)
    page.get_by_label("Desired role").select_option(label="AGENTE")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 4 of 5")).to_be_visible()
    expect(page.get_by_role("button", name="Back")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel")).to_be_visible()
    _assert_english(page)
    page.get_by_label(re.compile(r"^Email")).fill("ximena@ejemplo.test")
    page.get_by_label("Confirm email").fill("ximena@ejemplo.test")
    page.get_by_label("Verification code").fill(captcha_answer_in_browser(page))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
    _assert_english(page)
    assert AccessRequest.objects.get().language == "en"
    assert "Portal User Registration, request received" in mail.outbox[-1].subject


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_client_registers_in_english(english_page, make_person):
    page = english_page
    email = "maria.rodriguez@ejemplo.test"
    person = make_person(emails=[email], products=["Vida Individual", "Gastos Médicos Mayores"])
    policies = list(person.policies.all())
    page.goto("/clientes/ingresar/")
    expect(page.get_by_role("heading", name="Sign in to the client portal")).to_be_visible()
    _assert_english(page)
    page.get_by_role("link", name="I'm not registered yet").click()

    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    _assert_english(page)
    page.get_by_label("Policy number").fill(policies[0].numero_poliza)
    page.get_by_label("First name").fill(person.nombre)
    page.get_by_label("Paternal last name").fill(person.apellido_paterno)
    page.get_by_label("Date of birth").fill(birth_date_as_typed(person.fecha_nacimiento))
    page.get_by_role("button", name="NEXT").click()

    expect(page.get_by_text("Step 2 of 4")).to_be_visible()
    for policy in policies:
        expect(page.get_by_role("cell", name=policy.numero_poliza)).to_be_visible()
    _assert_english(page)
    page.get_by_label(mask_email(email)).check()  # masked until the code
    page.get_by_role("button", name="NEXT").click()

    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    _assert_english(page)
    wait_until(lambda: mail.outbox, timeout=15, what="the code email")
    assert mail.outbox[-1].subject == "MetLife: your confirmation code"
    page.get_by_label("Confirmation code (token)").fill(last_code(email))
    page.get_by_role("button", name="NEXT").click()

    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    expect(page.get_by_text("Your registration was created")).to_be_visible()
    _assert_english(page)
    wait_until(lambda: len(mail.outbox) >= 2, timeout=15, what="the link email")
    assert mail.outbox[-1].subject == "MetLife: set your client portal password"
    page.get_by_role("link", name="OK").click()
    expect(page.get_by_role("heading", name="Sign in to the client portal")).to_be_visible()

    page.goto(last_link(email))
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    _assert_english(page)
    page.get_by_label(re.compile(r"^Password")).fill(CLIENT_PASSWORD)
    page.get_by_label("Confirm your password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("heading", name="Success!")).to_be_visible()
    _assert_english(page)
    page.get_by_role("link", name="OK").click()
    page.get_by_label(re.compile(r"^Email")).fill(email)
    page.get_by_label(re.compile(r"^Password")).fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My products")).to_be_visible()
    _assert_english(page)


# --- Scripts --------------------------------------------------------------------------------


def test_scripts_take_their_sentences_from_the_page():
    """No Spanish in static/js's string literals: the texts come translated in data-*."""
    literal = re.compile(r"""(["'])((?:\\.|(?!\1).)*)\1""")
    spanish = re.compile(r"[áéíóúñ¿¡]|\b(el|la|los|las|de|del|en|un|una|otra|segundos?)\b", re.I)
    found = []
    for script in sorted((ROOT / "static" / "js").glob("*.js")):
        for number, line in enumerate(script.read_text().splitlines(), 1):
            code = line.split("//")[0] if not line.strip().startswith("//") else ""
            found += [
                f"{script.name}:{number}: {text!r}"
                for _, text in literal.findall(code)
                if spanish.search(text)
            ]
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_a_notice_to_the_address_on_file_is_in_the_portals_language(make_agent):
    """The SAA owner hears of a request made with another email in Spanish, whatever
    language the requester chose: the requester may be someone else."""
    from notifications.models import OutboxEmail

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent(email="titular@ejemplo.test")
    wizard = RequestWizard(Client(HTTP_ACCEPT_LANGUAGE="en"))
    response = wizard.send(wizard.walk_to_submit(agent), email="otra@ejemplo.test")
    assert response.redirect_chain[-1][0] == "/agentes/solicitud/enviada/"
    notice = OutboxEmail.objects.get(template="solicitud_otro_correo")
    assert notice.to == "titular@ejemplo.test" and notice.language == "es-mx"
    assert OutboxEmail.objects.get(template="solicitud_recibida").language == "en"


@pytest.mark.django_db
def test_an_agents_set_password_link_goes_in_the_language_the_agent_filed_in(
    make_agent, make_reviewer, django_capture_on_commit_callbacks, settings
):
    """With AGENT_CREDENTIALS "link" the second email is the set-password link: English for
    an agent who filed in English, although the reviewer's admin is Spanish."""
    settings.AGENT_CREDENTIALS = "link"
    request = _file_request(make_agent, "en", django_capture_on_commit_callbacks)
    reviewer = Client(HTTP_ACCEPT_LANGUAGE="es-MX")
    reviewer.force_login(make_reviewer())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = reviewer.post(f"/admin/agents/accessrequest/{request.pk}/aprobar/", follow=True)
    assert page.status_code == 200
    _username, link = mail.outbox
    assert "Portal User Registration, create your password" in link.subject
    assert '<html lang="en">' in link.alternatives[0][0]
