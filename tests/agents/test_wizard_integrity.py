"""Wizard integrity (issue 5 §7): whatever order the steps are posted in, a request is
written only for data the user proved, in the manual's order, and never a 500."""

import itertools

import pytest
from captcha.models import CaptchaStore

from agents.models import AccessRequest, Role
from tests.helpers import RequestWizard

STEPS = ("identify", "channels", "role", "submit")
pytestmark = pytest.mark.django_db


def step_data(step: str, agent) -> dict:
    if step == "identify":
        return {"clave_agente": agent.clave_agente, "clave_promotoria": agent.promotoria.clave,
                "rfc": agent.rfc}  # fmt: skip
    if step == "channels":
        return {"channels": [str(pk) for pk in agent.channels.values_list("pk", flat=True)]}
    if step == "role":
        return {"role": str(Role.objects.get(code="AGENTE").pk)}
    # An attacker can solve a captcha: give every submit post a valid, fresh challenge.
    hashkey = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=hashkey).response
    return {"email": "x@ejemplo.test", "email_confirmation": "x@ejemplo.test",
            "captcha_0": hashkey, "captcha_1": answer}  # fmt: skip


@pytest.mark.parametrize("order", list(itertools.permutations(STEPS)))
def test_every_order_of_posted_steps(client, make_agent, order):
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.start()
    statuses = [wizard.post(step, step_data(step, agent)).status_code for step in order]
    assert all(status in (200, 302) for status in statuses), statuses
    created = AccessRequest.objects.filter(agent=agent).count()
    assert created == (1 if order == STEPS else 0)


def test_each_step_posted_twice_in_a_row_is_harmless(client, make_agent):
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.start()
    for step in STEPS:
        for _ in range(2):  # a double click: the second post re-validates the next step
            response = wizard.post(step, step_data(step, agent))
            assert response.status_code in (200, 302)
    assert AccessRequest.objects.filter(agent=agent).count() == 1


def test_identifying_another_agent_in_a_second_tab_cannot_mix_their_data(client, make_agent):
    """Tab 1 identified agent A and chose A's channels; tab 2 (same session) identifies B
    whose channels differ. The final step must not file a request for B with A's channel."""
    a = make_agent(canales=["Individual Privado"])
    b = make_agent(canales=["Grupo Privado"])
    wizard = RequestWizard(client)
    wizard.start()
    wizard.post("identify", step_data("identify", a))
    wizard.post("channels", step_data("channels", a))
    wizard.post("role", step_data("role", a))
    wizard.post("identify", step_data("identify", b))  # the other tab
    response = wizard.post("submit", step_data("submit", a))
    assert response.status_code == 200
    for request in AccessRequest.objects.all():
        agent_channels = set(request.agent.channels.values_list("pk", flat=True))
        assert set(request.channels.values_list("pk", flat=True)) <= agent_channels
    assert not AccessRequest.objects.filter(agent=b).exists()


def test_unproved_agent_key_swapped_into_a_later_step_is_ignored(client, make_agent):
    """Extra fields naming another agent on later steps change nothing."""
    a, b = make_agent(), make_agent()
    wizard = RequestWizard(client)
    wizard.start()
    wizard.post("identify", step_data("identify", a))
    wizard.post("channels", {**step_data("channels", a), "clave_agente": b.clave_agente})
    wizard.post("role", {**step_data("role", a), "clave_agente": b.clave_agente})
    response = wizard.post("submit", {**step_data("submit", a), "clave_agente": b.clave_agente})
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)
    assert list(AccessRequest.objects.values_list("agent", flat=True)) == [a.pk]
