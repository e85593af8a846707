"""At most one pending request per agent, under concurrent submissions on PostgreSQL."""

import pytest

from agents import services
from agents.models import AccessRequest, Role
from notifications.models import OutboxEmail
from tests.helpers import run_together


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("submitters", [2, 20])
def test_simultaneous_submissions_for_one_agent_make_exactly_one_request(make_agent, submitters):
    agent = make_agent()
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    channel_ids = list(agent.channels.values_list("pk", flat=True))

    def submitter(n: int):
        def submit() -> str:
            services.submit_access_request(
                clave_agente=agent.clave_agente, clave_promotoria=agent.promotoria.clave,
                rfc=agent.rfc, channel_ids=channel_ids, role=role, email=f"a{n}@ejemplo.test",
            )  # fmt: skip
            return "created"

        return submit

    outcomes = run_together([submitter(n) for n in range(submitters)])
    assert outcomes == ["RequestPending"] * (submitters - 1) + ["created"]
    [request] = AccessRequest.objects.filter(agent=agent)
    # The losers left no email behind: their outbox rows were rolled back with their request.
    # The winner's are "Solicitud recibida" and, its email not being the SAA's, the notice.
    assert sorted(OutboxEmail.objects.values_list("to", flat=True)) == sorted(
        [request.email, agent.email]
    )


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_second_pending_request(make_agent):
    from django.db import IntegrityError

    agent = make_agent()
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    AccessRequest.objects.create(agent=agent, role=role, email="a@ejemplo.test")
    with pytest.raises(IntegrityError):
        AccessRequest.objects.create(agent=agent, role=role, email="b@ejemplo.test")
    # A decided request does not block a new one.
    AccessRequest.objects.filter(agent=agent).update(status=AccessRequest.Status.REJECTED)
    AccessRequest.objects.create(agent=agent, role=role, email="c@ejemplo.test")
