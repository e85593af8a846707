"""The channels step (001 §3.4) as the manual shows it: an agent with one channel finds it
ticked, and the step after it is titled by the channels chosen, in its heading and in the
list of steps alike (issue 12, item 6)."""

from __future__ import annotations

import re

import pytest

from agents.models import Role
from tests.helpers import RequestWizard, identify_agent_in_browser


@pytest.mark.django_db
def test_the_only_channel_comes_ticked_and_a_choice_among_several_does_not(client, make_agent):
    wizard = RequestWizard(client)
    wizard.start()
    page = wizard.identify(make_agent(canales=["Individual Privado"]))
    assert re.search(r'<input type="checkbox"[^>]*checked', page.text)

    other = RequestWizard(client)
    other.start()
    page = other.identify(make_agent(canales=["Individual Privado", "Grupo Privado"]))
    assert "Grupo Privado" in page.text
    assert not re.search(r'<input type="checkbox"[^>]*checked', page.text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_with_one_channel_goes_on_without_ticking_it(page, make_agent):
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    identify_agent_in_browser(page, make_agent(canales=["Individual Privado"]))
    assert page.get_by_label("Individual Privado").is_checked()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 3 de 5").wait_for()
    assert page.get_by_text("Se debe seleccionar al menos un canal.").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_next_step_is_titled_by_the_channel_chosen_in_heading_and_list(page, make_agent):
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    identify_agent_in_browser(page, make_agent(canales=["Individual Privado", "Grupo Privado"]))
    page.get_by_label("Grupo Privado").check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 3 de 5").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Datos Grupo Privado"
    steps = page.get_by_role("list", name="Pasos").get_by_role("listitem")
    assert steps.nth(2).inner_text() == "3. Datos Grupo Privado"
    assert page.get_by_text("Datos Individual Privado").count() == 0

    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 4 de 5").wait_for()
    assert steps.nth(2).inner_text() == "3. Datos Grupo Privado"
