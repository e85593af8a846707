"""No session for a visitor who only looks (issue 11): a crawler or a campaign
click-through opening a first page writes no `django_session` row and gets no session
cookie, while the wizards still work from a fresh browser, CSRF included, and a visitor
with a wizard in progress who opens step 1 again gets it reset as before."""

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
    # The CSRF token lives in its own cookie, so a form page needs no session for it; and
    # every request saves its session, which is why an empty one must stay unsaved.
    assert settings.CSRF_USE_SESSIONS is False
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


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
    assert response.status_code == 200
    assert "Paso 2 de 5" in response.text
    assert settings.SESSION_COOKIE_NAME in response.cookies  # the storage exists now
    assert Session.objects.count() == 1


def test_agent_wizard_completes_from_a_fresh_browser(make_agent):
    agent = make_agent(email="xsoto@ejemplo.test")
    wizard = RequestWizard(Client())
    page = wizard.walk_to_submit(agent)  # starts with a GET that stores nothing
    response = wizard.send(page)
    assert response.status_code == 302 and response.url == "/agentes/solicitud/enviada/"
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
    assert response.status_code == 302 and response.url == "/clientes/registro/listo/"
    assert Person.objects.get(pk=person.pk).user is not None


def test_key_wizard_completes_from_a_fresh_browser(make_person, django_capture_on_commit_callbacks):
    from django.core import mail

    person = make_person()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(person, by=None, base_url="http://testserver/")
    key = re.search(r"clave de registro es: (\S+)", mail.outbox[-1].body).group(1)
    wizard = ClientWizard(Client(), KEY_WIZARD_URL)
    response = _register(wizard, person, django_capture_on_commit_callbacks, key=key)
    assert response.status_code == 302 and response.url == "/clientes/registro/listo/"
    assert Person.objects.get(pk=person.pk).user is not None


def test_step_one_again_mid_wizard_resets_it_as_before(make_agent):
    """formtools' GET resets a wizard in progress: that is kept, storage and all."""
    agent = make_agent()
    browser = Client()
    wizard = RequestWizard(browser)
    wizard.identify(agent)
    key = WIZARD_KEYS[AGENT_WIZARD_URL]
    assert browser.session[key]["extra_data"]  # the agent identified
    assert "Paso 1 de 5" in wizard.start().text
    assert browser.session[key] == {
        "step": "identify",
        "step_data": {},
        "step_files": {},
        "extra_data": {},
    }
    # Nothing proved survives: a later step is refused, back to step 1.
    assert "Paso 1 de 5" in wizard.choose_channels(agent).text
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
