"""The wizards' funnel (portal.funnel): each step passed counts once per flow, the finish
counts, a page shown counts nothing, and the rows hold no personal data."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal import funnel
from portal.models import FunnelCount
from tests.helpers import ClientWizard, RequestWizard, last_code

pytestmark = pytest.mark.django_db

MEXICO = ZoneInfo("America/Mexico_City")
# 19:00 in Mexico City is 01:00 UTC the next day: the count goes to the local date.
EVENING = datetime.datetime(2026, 3, 19, 19, 0, tzinfo=MEXICO)
DAY = datetime.date(2026, 3, 19)


def counts(wizard: str) -> dict[str, int]:
    rows = FunnelCount.objects.filter(wizard=wizard, day=DAY)
    return {row.step: row.count for row in rows}


def request_access(client, agent, capture):
    """The whole agent request, with Regresar from step 2 and step 1 posted again."""
    wizard = RequestWizard(client)
    wizard.start()
    wizard.identify(agent)
    wizard.back("channels", "identify")
    wizard.identify(agent)
    wizard.choose_channels(agent)
    page = wizard.choose_role()
    with capture(execute=True):
        return wizard.send(page, email=agent.email)


def test_agent_request_counts_each_step_once_and_the_finish(
    client, make_agent, django_capture_on_commit_callbacks
):
    agent = make_agent(email="xsoto@ejemplo.test")
    with time_machine.travel(EVENING, tick=False):
        response = request_access(client, agent, django_capture_on_commit_callbacks)
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    assert counts("agents") == {
        "identify": 1, "channels": 1, "role": 1, "submit": 1, funnel.FINISHED: 1,
    }  # fmt: skip


def test_a_second_visitor_counts_again(make_agent, django_capture_on_commit_callbacks):
    with time_machine.travel(EVENING, tick=False):
        for n in range(2):
            agent = make_agent(email=f"agente{n}@ejemplo.test")
            request_access(Client(), agent, django_capture_on_commit_callbacks)
    assert counts("agents")["identify"] == 2
    assert counts("agents")[funnel.FINISHED] == 2


def test_a_refused_step_and_the_pages_count_nothing(client, make_agent):
    agent = make_agent()
    wizard = RequestWizard(client)
    with CaptureQueriesContext(connection) as queries:
        wizard.start()
        wizard.open("identify")
    assert not [q for q in queries if "portal_funnelcount" in q["sql"]]
    wizard.identify(agent, rfc="SOPX690529MV4")  # wrong data: the step is not passed
    assert not FunnelCount.objects.exists()


def test_client_registration_counts_both_entries_in_one_funnel(
    make_person, django_capture_on_commit_callbacks
):
    with time_machine.travel(EVENING, tick=False):
        for n in range(2):
            person = make_person(emails=[f"cliente{n}@ejemplo.test"])
            wizard = ClientWizard(Client())
            wizard.identify(person)
            with django_capture_on_commit_callbacks(execute=True):
                wizard.choose_email(email=f"cliente{n}@ejemplo.test")
            wizard.choose_email(email=f"cliente{n}@ejemplo.test")  # posted again: counted once
            if n == 0:
                with django_capture_on_commit_callbacks(execute=True):
                    response = wizard.enter_code(last_code(f"cliente{n}@ejemplo.test"))
                assert response.redirect_chain[-1][0] == "/clientes/registro/listo/"
    assert counts("registration") == {"identify": 2, "products": 2, "code": 1, funnel.FINISHED: 1}


def test_rows_hold_no_personal_data(client, make_agent, django_capture_on_commit_callbacks):
    agent = make_agent(email="xsoto@ejemplo.test")
    with time_machine.travel(EVENING, tick=False):
        request_access(client, agent, django_capture_on_commit_callbacks)
    session_key = client.session.session_key
    # The table has no column that could hold any: counts per wizard, step and day only.
    assert [f.name for f in FunnelCount._meta.get_fields()] == [
        "id",
        "wizard",
        "step",
        "day",
        "count",
    ]
    stored = " ".join(
        str(value)
        for row in FunnelCount.objects.values_list("wizard", "step", "day", "count")
        for value in row
    ).lower()
    for personal in (agent.clave_agente, agent.rfc, agent.email, "127.0.0.1", session_key):
        assert personal and personal.lower() not in stored


def test_a_failed_count_does_not_break_the_wizard(client, make_agent, monkeypatch):
    monkeypatch.setattr(
        funnel, "_upsert_sql", lambda: "INSERT INTO no_such_table VALUES (%s, %s, %s)"
    )
    agent = make_agent()
    response = RequestWizard(client).identify(agent)
    assert response.status_code == 200
    assert "Paso 2 de 5" in response.text
    assert not FunnelCount.objects.exists()
