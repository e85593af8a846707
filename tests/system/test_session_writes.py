"""No session for a visitor who only looks (issue 11): a crawler or a campaign
click-through opening a first page writes no `django_session` row and gets no session
cookie, while the wizards still work from a fresh browser, CSRF included, and a visitor
with a wizard in progress who opens step 1 again (Back, a link) finds it as they left it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from agents.models import AccessRequest
from registration import services
from registration.models import Person
from tests.helpers import (
    AGENT_WIZARD_PREFIX,
    AGENT_WIZARD_URL,
    CLIENT_WIZARD_URL,
    KEY_WIZARD_URL,
    ClientWizard,
    RequestWizard,
    last_code,
)

pytestmark = pytest.mark.django_db

FIRST_PAGES = [
    "/",
    "/agentes/ingresar/",
    "/clientes/ingresar/",
    AGENT_WIZARD_URL,
    CLIENT_WIZARD_URL,
    KEY_WIZARD_URL,
]
WIZARD_KEYS = {  # where formtools keeps each wizard in the session
    AGENT_WIZARD_URL: f"wizard_{AGENT_WIZARD_PREFIX}",
    CLIENT_WIZARD_URL: "wizard_client_registration_wizard",
    KEY_WIZARD_URL: "wizard_key_registration_wizard",
}
LOOKS = 5  # GETs per page: one row each before the fix


def test_what_the_fix_relies_on():
    # The CSRF token lives in its own cookie, so a form page needs no session for it.
    assert settings.CSRF_USE_SESSIONS is False


def test_reading_a_step_in_progress_writes_nothing(client, make_agent):
    """A reload of a step (or Back to it) reads the session and saves nothing: the idle
    timeout slides at most once a minute (portal.sessions), not with a write per page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.helpers import RequestWizard

    wizard = RequestWizard(client)
    wizard.start()
    shown = wizard.identify(make_agent())
    step_url = shown.request["PATH_INFO"]
    assert client.get(step_url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(step_url).status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []


@pytest.mark.parametrize("path", FIRST_PAGES)
def test_looking_at_a_first_page_writes_no_session(path):
    before = Session.objects.count()
    for _ in range(LOOKS):  # new visitors, no cookies
        response = Client().get(path)
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    reloading = Client()  # one visitor reloading: still nothing to keep
    for _ in range(LOOKS):
        assert settings.SESSION_COOKIE_NAME not in reloading.get(path).cookies
    assert Session.objects.count() == before


@pytest.mark.parametrize("path", [AGENT_WIZARD_URL, CLIENT_WIZARD_URL, KEY_WIZARD_URL])
def test_a_wizard_page_still_sets_its_csrf_cookie(path):
    response = Client().get(path)
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_first_post_with_csrf_checks_starts_the_wizard(make_agent):
    """A browser as it is: CSRF enforced, step 1 seen without a session, then posted."""
    agent = make_agent()
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(AGENT_WIZARD_URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post(
        AGENT_WIZARD_URL,
        {
            "csrfmiddlewaretoken": token,
            f"{AGENT_WIZARD_PREFIX}-current_step": "identify",
            "identify-clave_agente": agent.clave_agente,
            "identify-clave_promotoria": agent.promotoria.clave,
            "identify-rfc": agent.rfc,
        },
    )
    assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}channels/"
    assert settings.SESSION_COOKIE_NAME in response.cookies  # the storage exists now
    assert Session.objects.count() == 1
    assert "Paso 2 de 5" in browser.get(response.url).text


def test_agent_wizard_completes_from_a_fresh_browser(make_agent):
    agent = make_agent(email="xsoto@ejemplo.test")
    wizard = RequestWizard(Client())
    page = wizard.walk_to_submit(agent)  # starts with a GET that stores nothing
    response = wizard.send(page)
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    assert AccessRequest.objects.filter(agent=agent).count() == 1


def test_agent_wizard_accepts_step_one_posted_without_any_get(make_agent):
    # No GET, no session: what a browser whose session expired on step 1 sends.
    agent = make_agent()
    wizard = RequestWizard(Client())
    assert "Paso 2 de 5" in wizard.identify(agent).text


def _register(wizard: ClientWizard, person: Person, capture, key: str | None = None):
    wizard.start()
    if key:
        wizard.identify_with_key(key, person.policies.first().numero_poliza)
    else:
        wizard.identify(person)
    with capture(execute=True):
        wizard.choose_email(email="maria.rodriguez@ejemplo.test")
    with capture(execute=True):
        return wizard.enter_code(last_code("maria.rodriguez@ejemplo.test"))


def test_client_wizard_completes_from_a_fresh_browser(
    make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    response = _register(ClientWizard(Client()), person, django_capture_on_commit_callbacks)
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert Person.objects.get(pk=person.pk).user is not None


def test_key_wizard_completes_from_a_fresh_browser(make_person, django_capture_on_commit_callbacks):
    from django.core import mail

    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(person, by=None, base_url="http://testserver/")
    key = re.search(r"clave de registro es: (\S+)", mail.outbox[-1].body).group(1)
    wizard = ClientWizard(Client(), KEY_WIZARD_URL)
    response = _register(wizard, person, django_capture_on_commit_callbacks, key=key)
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert Person.objects.get(pk=person.pk).user is not None


def test_step_one_again_mid_wizard_keeps_the_wizard_as_it_was(make_agent):
    """Step 1's URL is where Back from step 2 lands: it shows the typed data and throws
    nothing away, storage and all (it writes nothing), and the next step is still open."""
    agent = make_agent()
    browser = Client()
    wizard = RequestWizard(browser)
    wizard.identify(agent)
    key = WIZARD_KEYS[AGENT_WIZARD_URL]
    stored = browser.session[key]
    assert stored["extra_data"]  # the agent identified
    page = wizard.start()
    assert page.status_code == 200 and "Paso 1 de 5" in page.text
    assert f'value="{agent.clave_agente}"' in page.text
    assert browser.session[key] == stored
    assert "Paso 2 de 5" in wizard.open("channels").text
    assert not AccessRequest.objects.exists()


def test_cancel_is_what_starts_a_wizard_over(make_agent):
    """Cancelar forgets the wizard: step 1 empty again, a later step refused."""
    agent = make_agent()
    browser = Client()
    wizard = RequestWizard(browser)
    wizard.identify(agent)
    browser.post("/agentes/solicitud/cancelar/")  # "Sí, cancelar la solicitud"
    assert WIZARD_KEYS[AGENT_WIZARD_URL] not in browser.session
    page = wizard.start()
    assert "Paso 1 de 5" in page.text and agent.clave_agente not in page.text
    refused = wizard.choose_channels(agent)
    assert refused.redirect_chain[-1] == (f"{AGENT_WIZARD_URL}identify/", 302)
    assert "Paso 1 de 5" in refused.text
    assert not AccessRequest.objects.exists()


OTHER_WIZARD = {
    AGENT_WIZARD_URL: CLIENT_WIZARD_URL,
    CLIENT_WIZARD_URL: AGENT_WIZARD_URL,
    KEY_WIZARD_URL: AGENT_WIZARD_URL,
}


@pytest.mark.parametrize("path", [AGENT_WIZARD_URL, CLIENT_WIZARD_URL, KEY_WIZARD_URL])
def test_a_visitor_with_a_session_keeps_it_without_an_empty_wizard(path):
    """A session that exists (another wizard was posted to) is saved as every request
    does, but looking at this wizard's step 1 adds no row and no empty entry for it."""
    browser = Client()
    browser.post(OTHER_WIZARD[path], {})
    assert WIZARD_KEYS[OTHER_WIZARD[path]] in browser.session
    before = Session.objects.count()
    assert browser.get(path).status_code == 200
    assert Session.objects.count() == before
    assert WIZARD_KEYS[path] not in browser.session
    assert WIZARD_KEYS[OTHER_WIZARD[path]] in browser.session
