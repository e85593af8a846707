"""One email, one account: concurrent registrations on PostgreSQL (000 paso 3, issue 4 §4)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from portal.models import OneTimeCode, User
from registration import services
from registration.models import Person
from tests.helpers import ClientWizard, last_code, run_together


def claim(person_id: int, email: str):
    def do():
        services.register_client(person_id, email, base_url="http://testserver/")
        return "created"

    return do


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("people", [2, 8])
def test_different_people_claiming_one_email_get_one_account(make_person, people):
    persons = [make_person(emails=[]) for _ in range(people)]
    outcomes = run_together([claim(p.pk, "compartido@ejemplo.test") for p in persons])
    assert outcomes == ["EmailTaken"] * (people - 1) + ["created"]
    assert User.objects.filter(username="compartido@ejemplo.test").count() == 1
    assert Person.objects.filter(user__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_person_registering_twice_at_once_gets_one_account(make_person):
    person = make_person()
    outcomes = run_together(
        [claim(person.pk, "uno@ejemplo.test"), claim(person.pk, "dos@ejemplo.test")]
    )
    assert outcomes == ["AlreadyRegistered", "created"]
    assert User.objects.filter(kind=User.Kind.CLIENT).count() == 1


def two_wizards_at_the_code_for_one_new_email(make_person) -> list[tuple[ClientWizard, str]]:
    """Two people at the code step, each having chosen "mismo@ejemplo.test" as a new email,
    with the code each was sent."""
    wizards = []
    for _ in range(2):
        person = make_person(emails=[])
        wizard = ClientWizard(Client())
        wizard.identify(person)
        wizard.choose_email(new="mismo@ejemplo.test")
        wizards.append((wizard, last_code("mismo@ejemplo.test")))
        # Past the per-address resend cooldown for the second person's code.
        OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    return wizards


@pytest.mark.django_db(transaction=True)
def test_two_wizards_finishing_at_once_with_one_email(make_person):
    """Both verified their code for the same new email; the last click decides."""
    wizards = two_wizards_at_the_code_for_one_new_email(make_person)

    def finish(wizard, code):
        def do():
            response = wizard.enter_code(code)
            if response.redirect_chain == [("/clientes/registro/listo/", 302)]:
                return "created"
            assert "ya está registrado en otra cuenta" in response.text
            return "taken"

        return do

    # Codes are per person, so the second send did not void the first person's code.
    outcomes = run_together([finish(w, c) for w, c in wizards])
    assert outcomes == ["created", "taken"]
    assert User.objects.filter(username="mismo@ejemplo.test").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_second_of_two_wizards_finishing_one_after_the_other_is_told_why(make_person):
    """The first account takes the address; the second person's code POST then fails
    formtools' final re-check of the email step, and the page it is sent back to says why
    with the address kept (the GET after a failed re-check shows that step's errors)."""
    (first, first_code), (second, second_code) = two_wizards_at_the_code_for_one_new_email(
        make_person
    )
    assert first.enter_code(first_code).redirect_chain == [("/clientes/registro/listo/", 302)]
    response = second.enter_code(second_code)
    assert "ya está registrado en otra cuenta" in response.text
    assert 'value="mismo@ejemplo.test"' in response.text
    assert User.objects.filter(username="mismo@ejemplo.test").count() == 1
    # Shown once: a reload of that step is the plain step again.
    assert "ya está registrado en otra cuenta" not in second.open("products").text
