"""Admin lists show a task what it needs (issue 21): RFCs and emails masked in the lists of
people, their emails, invitations, policies, agents and access requests; the full values on
a record's own page for whoever may view it; search still takes the full values."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from portal.masks import mask_rfc
from portal.models import User
from registration import services

PASSWORD = "Clave-Consulta-2026"
PERSON_RFC, AGENT_RFC = "ROLM850312AB1", "SOPX800101XY2"
PERSON_EMAILS = ["maria.rodriguez@ejemplo.test", "maria.rl@correo.test"]  # the 2nd: username
AGENT_EMAILS = ["ximena.soto@ejemplo.test", "ximena.otra@ejemplo.test"]  # SAA's, request's
FULL = [PERSON_RFC, AGENT_RFC, *PERSON_EMAILS, *AGENT_EMAILS]
VIEW = ["view_person", "view_personemail", "view_registrationkey", "view_policy", "view_agent",
        "view_accessrequest"]  # fmt: skip


@pytest.fixture
def records(make_person, make_agent, make_request):
    person = make_person(emails=PERSON_EMAILS[:1], rfc=PERSON_RFC)
    services.invite(person, by=None, base_url="https://alta.test/")  # to PERSON_EMAILS[0]
    # Registered afterwards on another address: the list's "usuario del portal" is an email.
    person.user = User.objects.create_user(
        PERSON_EMAILS[1], PERSON_EMAILS[1], kind=User.Kind.CLIENT
    )
    person.save()
    agent = make_agent(rfc=AGENT_RFC, email=AGENT_EMAILS[0])
    request = make_request(agent=agent, email=AGENT_EMAILS[1])
    return person, agent, request


@pytest.fixture
def viewer(db):
    """Staff allowed to view (not change) those records, signed in at /admin/."""
    user = User.objects.create_user(
        "consulta", "consulta@back.test", PASSWORD, is_staff=True, kind=User.Kind.STAFF
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=VIEW))
    client = Client(HTTP_ACCEPT_LANGUAGE="es-MX")
    response = client.post("/admin/login/", {"username": "consulta", "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


LISTS = [
    "/admin/registration/person/",
    "/admin/registration/personemail/",
    "/admin/registration/registrationkey/",
    "/admin/registration/policy/",
    "/admin/agents/agent/",
    "/admin/agents/accessrequest/?estatus=todas",
]


def test_lists_show_rfc_and_email_masked(records, viewer):
    shown = ""
    for url in LISTS:
        page = viewer.get(url)
        assert page.status_code == 200, url
        for value in FULL:
            assert value not in page.text, (url, value)
        shown += page.text
    for masked in ["ROLM******AB1", "SOPX******XY2", "ma***@ej***.test", "ma***@co***.test",
                   "xi***@ej***.test"]:  # fmt: skip
        assert masked in shown, masked


def test_a_records_own_page_shows_the_full_values(records, viewer):
    person, agent, request = records
    email, invitation = person.emails.get(), person.registration_keys.get()
    pages = {
        f"/admin/registration/person/{person.pk}/change/": [PERSON_RFC, PERSON_EMAILS[0]],
        f"/admin/registration/personemail/{email.pk}/change/": [PERSON_EMAILS[0]],
        f"/admin/registration/registrationkey/{invitation.pk}/change/": [PERSON_EMAILS[0]],
        f"/admin/agents/agent/{agent.pk}/change/": [AGENT_RFC, AGENT_EMAILS[0]],
        f"/admin/agents/accessrequest/{request.pk}/change/": [AGENT_EMAILS[1], AGENT_RFC],
    }
    for url, values in pages.items():
        page = viewer.get(url)
        assert page.status_code == 200, url
        for value in values:
            assert value in page.text, (url, value)


def test_search_takes_the_full_values(records, make_person, viewer):
    other = make_person(emails=["otra.persona@ejemplo.test"])
    searches = {
        f"/admin/registration/person/?q={PERSON_RFC}": "ROLM******AB1",
        f"/admin/registration/person/?q={PERSON_EMAILS[0]}": "ROLM******AB1",
        f"/admin/registration/personemail/?q={PERSON_EMAILS[0]}": "ma***@ej***.test",
        f"/admin/registration/registrationkey/?q={PERSON_RFC}": "ma***@ej***.test",
        f"/admin/agents/agent/?q={AGENT_RFC}": "SOPX******XY2",
        f"/admin/agents/accessrequest/?estatus=todas&q={AGENT_EMAILS[1]}": "xi***@ej***.test",
    }
    for url, masked in searches.items():
        page = viewer.get(url)
        assert masked in page.text, url
        assert mask_rfc(other.rfc) not in page.text and "ot***@ej***.test" not in page.text


@pytest.mark.parametrize(
    ("rfc", "masked"),
    [("ROLM850312AB1", "ROLM******AB1"), ("ABC800101XY9", "ABC8*****XY9"), ("ABC", "***")],
)
def test_rfc_mask_keeps_the_first_four_and_the_last_three(rfc, masked):
    assert mask_rfc(rfc) == masked
