"""The client registration's flow (registration.flow) on its own, without HTTP."""

from __future__ import annotations

import json

import pytest

from registration.flow import IdentifiedPerson, RegistrationFlow


def identified(pk: int = 4, typed: str = "data-1", invitation: int | None = None):
    return IdentifiedPerson(
        pk=pk,
        typed=typed,
        invitation=invitation,
        policies=(("7100234518", "Vida Individual", "Vigente"),),
        emails_on_file=("x***@ejemplo.test",),
        new_email_allowed=False,
    )


def test_a_code_is_needed_once_per_address_and_a_new_address_needs_its_own():
    flow = RegistrationFlow()
    flow.identify_person(identified())
    assert not flow.needs_code()  # no address chosen yet
    flow.choose_email("xsoto@ejemplo.test", "x***@ejemplo.test")
    assert flow.needs_code()
    flow.code_sent(11, now=100.0, cooldown=60.0)
    assert not flow.needs_code() and flow.seconds_until_resend(now=130.0) == 30
    flow.confirm_code()
    assert flow.is_confirmed() and flow.is_confirmed("xsoto@ejemplo.test")
    flow.choose_email("otra@ejemplo.test", "otra@ejemplo.test")
    assert not flow.is_confirmed() and flow.needs_code()
    assert not flow.is_confirmed("")


def test_a_refused_send_says_when_to_ask_again():
    flow = RegistrationFlow()
    flow.identify_person(identified())
    flow.choose_email("xsoto@ejemplo.test", "x***@ejemplo.test")
    flow.code_refused(now=100.0, wait=42)
    assert flow.needs_code() and flow.seconds_until_resend(now=100.0) == 42
    assert flow.seconds_until_resend(now=200.0) == 0


@pytest.mark.parametrize(
    "other", [identified(pk=5), identified(typed="data-2"), identified(invitation=9)]
)
def test_another_person_other_data_or_another_invitation_start_again(other):
    flow = RegistrationFlow()
    flow.identify_person(identified())
    flow.choose_email("xsoto@ejemplo.test", "x***@ejemplo.test")
    flow.code_sent(11, now=0.0, cooldown=60.0)
    flow.confirm_code()
    flow.identify_person(other)
    assert (flow.email, flow.code_to, flow.code_id, flow.confirmed) == ("", "", None, "")
    assert flow.person == other


def test_the_same_identification_again_keeps_the_progress():
    flow = RegistrationFlow()
    flow.identify_person(identified())
    flow.choose_email("xsoto@ejemplo.test", "x***@ejemplo.test")
    flow.identify_person(identified())
    assert flow.email == "xsoto@ejemplo.test"


def test_the_session_holds_plain_json_and_gives_the_same_flow_back():
    flow = RegistrationFlow()
    flow.identify_person(identified(invitation=3))
    flow.choose_email("xsoto@ejemplo.test", "x***@ejemplo.test")
    flow.code_sent(11, now=0.0, cooldown=60.0)
    stored = json.loads(json.dumps(flow.as_session()))
    back = RegistrationFlow.from_session(stored)
    assert back == flow and back.person is not None and back.person.invitation == 3


@pytest.mark.parametrize("stored", [None, {}, {"person": {"pk": 1}}, {"code_id": "x"}])
def test_what_it_cannot_read_is_a_new_registration(stored):
    assert RegistrationFlow.from_session(stored) == RegistrationFlow()


@pytest.mark.django_db
def test_identifying_keeps_the_policies_the_products_step_lists(make_person):
    person = make_person(products=("Vida Individual", "Autos"))
    shown = IdentifiedPerson.of(
        person, "data-1", None, emails_on_file=["x***@ejemplo.test"], new_email_allowed=True
    )
    assert {number for number, _, _ in shown.policies} == set(
        person.policies.values_list("numero_poliza", flat=True)
    )
    assert {product for _, product, _ in shown.policies} == {"Vida Individual", "Autos"}
