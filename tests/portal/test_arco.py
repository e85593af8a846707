"""ARCO rights (issue 21): "Mis datos" shows and exports everything held about the signed-in
person and nothing of anyone else; requests are due in 20 Mexican business days, queued in
admin with the overdue marked, answered once (append-only) and emailed; a granted
cancellation deactivates and anonymises the portal account."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone

from notifications.models import OutboxEmail
from portal import arco
from portal.business_days import add_business_days
from portal.models import ArcoDecision, ArcoRequest, User
from tests.helpers import AGENT_PASSWORD, next_rfc, post_login


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_agent_sees_and_downloads_everything_held_and_nothing_of_another(make_agent_user):
    agent_user = make_agent_user(password=AGENT_PASSWORD)
    other = make_agent_user(password=AGENT_PASSWORD, rfc=next_rfc())
    agent = agent_user.agent
    assert other.agent.rfc != agent.rfc
    client = _signed_in(agent_user)
    page = client.get("/agentes/mis-datos/").content.decode()
    for shown in (agent.clave_agente, agent.rfc, agent_user.email, agent.promotoria.nombre):
        assert shown in page
    assert other.agent.rfc not in page and other.email not in page
    assert "pbkdf2" not in page and "argon2" not in page  # no password hash

    response = client.get("/agentes/mis-datos/?formato=json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    text = json.dumps(data, ensure_ascii=False)
    assert agent.rfc in text and agent.clave_agente in text and agent_user.email in text
    assert other.agent.rfc not in text and other.email not in text
    assert "argon2" not in text
    keys = {section["clave"] for section in data["secciones"]}
    assert {"account", "codes", "emails", "second_factor", "consent", "arco"} <= keys

    html = client.get("/agentes/mis-datos/?formato=html")
    assert html["Content-Disposition"].endswith('.html"')
    assert agent.rfc in html.content.decode()


@pytest.mark.django_db
def test_a_client_sees_policies_and_emails_on_file(make_portal_user):
    user = make_portal_user("clients", password=AGENT_PASSWORD)
    person = user.person
    page = _signed_in(user).get("/clientes/mis-datos/").content.decode()
    assert person.rfc in page
    for policy in person.policies.all():
        assert policy.numero_poliza in page
    for email in person.emails.all():
        assert email.email in page


@pytest.mark.django_db
def test_a_request_is_due_in_twenty_business_days_and_the_person_gets_a_receipt(
    make_agent_user,
):
    user = make_agent_user(password=AGENT_PASSWORD)
    client = _signed_in(user)
    page = client.post(
        "/agentes/mis-datos/", {"kind": "oposicion", "details": "No quiero publicidad."},
        follow=True,
    ).content.decode()  # fmt: skip
    request = ArcoRequest.objects.get(user=user)
    assert request.due_on == add_business_days(timezone.localdate(), 20)
    assert str(request) in page
    assert OutboxEmail.objects.filter(to=user.email, template="arco_recibida").exists()
    # Without a right chosen: the message on the page, nothing filed.
    page = client.post("/agentes/mis-datos/", {"details": "x"}).content.decode()
    assert "Se detectaron los siguientes errores" in page
    assert ArcoRequest.objects.filter(user=user).count() == 1


def test_twenty_business_days_skip_weekends_and_mexican_holidays():
    # Friday 2026-12-11 + 20 business days: Dec 25 and Jan 1 are holidays.
    assert add_business_days(date(2026, 12, 11), 20) == date(2027, 1, 12)
    assert add_business_days(date(2026, 12, 11), 0) == date(2026, 12, 11)


@pytest.mark.django_db
def test_the_queue_marks_the_overdue_and_a_decision_is_once_append_only_and_emailed(
    make_agent_user, make_reviewer
):
    from django.contrib.auth.models import Permission

    user = make_agent_user(password=AGENT_PASSWORD)
    late = arco.file_request(user=user, kind="acceso", details="", ip="10.0.0.1")
    ArcoRequest.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    staff = make_reviewer(username="privacidad")
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_arcorequest", "decide_arcorequest"])
    )
    admin = _signed_in(staff)
    queue = admin.get("/admin/portal/arcorequest/?estado=vencida").content.decode()
    assert str(late) in queue
    assert user.email not in queue  # masked in the list

    url = f"/admin/portal/arcorequest/{late.pk}/change/"
    response = admin.post(url, {"outcome": "procedente", "reason": "Se envió la copia."})
    assert response.status_code == 302
    decision = ArcoDecision.objects.get(request=late)
    assert decision.decided_by == staff
    assert OutboxEmail.objects.filter(to=user.email, template="arco_resuelta").exists()
    assert admin.post(url, {"outcome": "improcedente", "reason": "otra"}).status_code == 403
    with pytest.raises(DatabaseError), transaction.atomic():
        ArcoDecision.objects.filter(pk=decision.pk).update(reason="otra")
    # Staff without the permission see no form and cannot decide.
    second = arco.file_request(user=user, kind="acceso", details="", ip="10.0.0.1")
    viewer = make_reviewer(username="solo-ve")
    viewer.user_permissions.add(Permission.objects.get(codename="view_arcorequest"))
    response = _signed_in(viewer).post(
        f"/admin/portal/arcorequest/{second.pk}/change/",
        {"outcome": "procedente", "reason": "x"},
    )
    assert response.status_code == 403 and not ArcoDecision.objects.filter(request=second).exists()


@pytest.mark.django_db
def test_a_granted_cancellation_deactivates_and_anonymises_the_account(
    make_agent_user, make_reviewer
):
    user = make_agent_user(password=AGENT_PASSWORD)
    agent = user.agent
    email = user.email
    request = arco.file_request(user=user, kind="cancelacion", details="", ip="10.0.0.1")
    arco.decide(
        request_id=request.pk, outcome="procedente", reason="Cancelada.", by=make_reviewer()
    )
    user.refresh_from_db()
    agent.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert user.email == "" and user.first_name == "" and user.phone == ""
    assert email not in user.username
    assert agent.user is None  # the SAA mirror stays: it is the insurer's record
    assert OutboxEmail.objects.filter(to=email, template="arco_resuelta").exists()
    # No sign-in: the login answers 303 to itself and the page shown is the login form again.
    anonymous = Client()
    refused = post_login(anonymous, "agents", user.username, AGENT_PASSWORD)
    assert refused.status_code == 200 and "_auth_user_id" not in anonymous.session


@pytest.mark.django_db
def test_requests_are_rate_limited(make_agent_user):
    user = make_agent_user(password=AGENT_PASSWORD)
    client = _signed_in(user)
    for _ in range(5):
        client.post("/agentes/mis-datos/", {"kind": "acceso"})
    page = client.post("/agentes/mis-datos/", {"kind": "acceso"}).content.decode()
    assert "Ya enviaste varias solicitudes hoy" in page
    assert ArcoRequest.objects.filter(user=user).count() == 5
