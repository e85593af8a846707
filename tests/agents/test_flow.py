"""The access request's flow (agents.flow) on its own, without HTTP: what it keeps of the
agent, the rules that move it forward, and its round trip through the session's JSON."""

from __future__ import annotations

import json

import pytest

from agents.flow import AccessRequestFlow, IdentifiedAgent


def identified(pk: int = 7, typed: str = "keys-1") -> IdentifiedAgent:
    return IdentifiedAgent(
        pk=pk,
        typed=typed,
        general_data={"nombre": "Ximena", "promotoria_clave": "131", "promotoria_nombre": "Sur"},
        is_company=False,
        channels=((3, "Individual Privado"), (5, "Gastos Médicos")),
        email="xsoto@ejemplo.test",
    )


def walked() -> AccessRequestFlow:
    flow = AccessRequestFlow(agent=identified(), roles=((1, "AGENTE"),))
    flow.choose_channels([5, 3])
    flow.choose_role(1)
    flow.show_captcha("abc", expires=2_000.0)
    return flow


def test_only_the_agents_own_channels_are_kept_in_the_agents_order():
    flow = AccessRequestFlow(agent=identified())
    flow.choose_channels([5, 99])
    assert flow.channels == (5,)
    assert flow.chosen_channel_names() == ["Gastos Médicos"]
    with pytest.raises(ValueError):
        flow.choose_channels([99])  # none of the agent's: "Se debe seleccionar al menos un canal."
    assert flow.channels == (5,)


def test_no_channel_can_be_chosen_before_an_agent_is_identified():
    with pytest.raises(ValueError):
        AccessRequestFlow().choose_channels([3])


def test_the_keys_step_1_checked_are_known_by_their_digest():
    flow = walked()
    assert flow.is_identified("keys-1") and not flow.is_identified("keys-2")
    assert not AccessRequestFlow().is_identified("keys-1")


def test_a_challenge_is_shown_until_it_dies_and_an_answer_counts_until_the_next_one():
    flow = walked()
    assert flow.captcha_to_show(now=1_999.0) == "abc"
    assert flow.captcha_to_show(now=2_000.0) == ""  # dead: the page makes another
    flow.pass_captcha()
    assert flow.captcha_passed and flow.captcha_to_show(now=0.0) == ""
    flow.forget_captcha()  # arriving at "Envío de solicitud" again
    assert not flow.captcha_passed
    flow.pass_captcha()
    flow.show_captcha("def", expires=3_000.0)  # a new challenge on screen
    assert not flow.captcha_passed


def test_changes_are_marked_for_saving_and_repeats_are_not():
    flow = walked()
    flow.changed = False
    flow.choose_channels([3, 5])
    flow.choose_role(1)
    flow.forget_captcha()
    assert not flow.changed
    flow.choose_role(2)
    assert flow.changed


def test_the_session_holds_plain_json_and_gives_the_same_flow_back():
    flow = walked()
    stored = json.loads(json.dumps(flow.as_session()))
    assert AccessRequestFlow.from_session(stored) == flow
    assert "changed" not in stored


@pytest.mark.parametrize("stored", [None, {}, {"agent": {"pk": "x"}}, {"agent": 3}, {"role": []}])
def test_what_it_cannot_read_is_a_new_request(stored):
    """Nothing, or what an older release stored in another shape: step 1 again."""
    assert AccessRequestFlow.from_session(stored) == AccessRequestFlow()


@pytest.mark.django_db
def test_identifying_keeps_what_the_next_pages_show(make_agent):
    from agents.models import Role

    agent = make_agent(canales=("Autos", "Individual Privado"), nombre="Ximena")
    flow = walked()
    flow.identify_agent(agent, "keys-9", Role.objects.filter(active=True))
    assert flow.agent is not None and flow.agent.pk == agent.pk
    assert flow.agent.general_data["nombre"] == "Ximena"
    assert flow.agent.general_data["promotoria_clave"] == agent.promotoria.clave
    assert [name for _, name in flow.agent.channels] == ["Autos", "Individual Privado"]
    assert ("AGENTE" in dict(flow.roles).values()) and flow.agent.email == agent.email
    # Another agent: nothing chosen for the earlier one carries over.
    assert (flow.channels, flow.role, flow.captcha, flow.captcha_passed) == ((), None, "", False)
    flow.choose_channels([flow.agent.channels[0][0]])
    flow.identify_agent(agent, "keys-9", [])  # the same keys again: the choice stays
    assert flow.channels == (flow.agent.channels[0][0],)
