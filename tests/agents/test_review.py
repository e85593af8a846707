"""The review queue in Django admin: decisions, permissions, audit, concurrency (issue 3)."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from agents import services
from agents.models import AccessRequest, Decision
from portal.models import User
from tests.helpers import run_together

CHANGELIST = "/admin/agents/accessrequest/"
INSUFFICIENT = "No se cuenta con la suficiente información."


def page_url(request) -> str:
    return f"{CHANGELIST}{request.pk}/change/"


def submitted(request, days_ago: int = 0, when: datetime | None = None):
    """Backdate a request's submission."""
    when = when or timezone.now() - timedelta(days=days_ago)
    AccessRequest.objects.filter(pk=request.pk).update(created_at=when)
    request.refresh_from_db()
    return request


def action(client, name: str, requests, **extra):
    data = {"action": name, "index": "0", "_selected_action": [str(r.pk) for r in requests]}
    return client.post(CHANGELIST, {**data, **extra}, follow=True)


def status_of(request) -> str:
    request.refresh_from_db()
    return request.status


@pytest.fixture
def reviewer_client(client, make_reviewer):
    client.force_login(make_reviewer())
    return client


@pytest.fixture
def staff_client(client, make_reviewer):
    """Staff who can see the queue but lack the review permission."""
    from django.contrib.auth.models import Permission

    user = make_reviewer("mirona", review=False)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_accessrequest", "view_decision"])
    )
    client.force_login(user)
    return client


# --- The Revisores group -------------------------------------------------------------


@pytest.mark.django_db
def test_migration_creates_revisores_group_with_just_the_review_permissions():
    group = Group.objects.get(name="Revisores")
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        ("agents", "review_accessrequest"),
        ("agents", "view_accessrequest"),
        ("agents", "view_agent"),
        ("agents", "view_decision"),
        # Resetting an agent's lost second factor (portal migration 0008; never staff's).
        ("portal", "add_secondfactorreset"),
        ("portal", "view_secondfactorreset"),
    }


# --- Business days -------------------------------------------------------------------


def test_business_days_skip_weekends_and_mexican_holidays():
    # 2026-09-16 (Wednesday) is Independence Day.
    assert services.business_days_between(start=date(2026, 9, 14), end=date(2026, 9, 18)) == 3
    # Friday to Monday: one business day.
    assert services.business_days_between(start=date(2026, 9, 11), end=date(2026, 9, 14)) == 1
    # 2026-02-02 is the observed Constitution Day (first Monday of February).
    assert services.business_days_between(start=date(2026, 1, 30), end=date(2026, 2, 3)) == 1
    assert services.business_days_between(start=date(2026, 9, 18), end=date(2026, 9, 18)) == 0


def test_overdue_cutoff_is_more_than_three_business_days_back(settings):
    settings.REVIEW_SLA_BUSINESS_DAYS = 3
    # Thursday 2026-09-17: Thu, Tue, Mon count (Wed 16 is a holiday); Friday 11 is the 4th.
    cutoff = services.overdue_cutoff(date(2026, 9, 17))
    assert timezone.localtime(cutoff).date() == date(2026, 9, 11)


# --- The queue -----------------------------------------------------------------------


def test_queue_opens_on_pending_requests_oldest_first(reviewer_client, make_agent, make_request):
    make_request(make_agent(apellido_paterno="NUEVO"))
    submitted(make_request(make_agent(apellido_paterno="VIEJO")), days_ago=1)
    decided = make_request(make_agent(apellido_paterno="DECIDIDO"))
    decided.status = AccessRequest.Status.REJECTED
    decided.save()

    text = reviewer_client.get(CHANGELIST).text
    assert "VIEJO" in text and "NUEVO" in text
    assert "DECIDIDO" not in text
    assert text.index("VIEJO") < text.index("NUEVO")
    for heading in ("Clave de agente", "Nombre", "Promotoría", "Canales", "Rol deseado",
                    "Correo electrónico", "Enviada", "Antigüedad (días hábiles)"):  # fmt: skip
        assert heading in text
    assert "DECIDIDO" in reviewer_client.get(CHANGELIST, {"estatus": "todas"}).text
    assert "DECIDIDO" in reviewer_client.get(CHANGELIST, {"estatus": "rechazada"}).text


def test_requests_past_three_business_days_are_marked_and_filtered(
    reviewer_client, make_agent, make_request
):
    fresh = make_request(make_agent(apellido_paterno="RECIENTE"))
    late = submitted(make_request(make_agent(apellido_paterno="ATRASADO")), days_ago=15)

    text = reviewer_client.get(CHANGELIST).text
    assert text.count("alta-overdue") == 1
    assert services.is_overdue(late) and not services.is_overdue(fresh)
    overdue = reviewer_client.get(CHANGELIST, {"vencida": "si"}).text
    assert "ATRASADO" in overdue and "RECIENTE" not in overdue
    on_time = reviewer_client.get(CHANGELIST, {"vencida": "no"}).text
    assert "RECIENTE" in on_time and "ATRASADO" not in on_time


def test_queue_filters_by_promotoria_channel_and_role(reviewer_client, make_agent, make_request):
    from agents.models import Channel, Promotoria, Role

    make_request(make_agent(apellido_paterno="NORTE", clave_promotoria="131"))
    make_request(
        make_agent(apellido_paterno="OCCIDENTE", clave_promotoria="245", canales=["Grupo"]),
        role_code="PROMOTOR",
    )
    by = {
        "agent__promotoria__id__exact": Promotoria.objects.get(clave="245").pk,
        "channels__id__exact": Channel.objects.get(name="Grupo").pk,
        "role__id__exact": Role.objects.get(code="PROMOTOR").pk,
    }
    for param, value in by.items():
        text = reviewer_client.get(CHANGELIST, {param: value}).text
        assert "OCCIDENTE" in text and "NORTE" not in text, param


@pytest.mark.parametrize("field", ["clave_agente", "rfc", "apellido_paterno", "email"])
def test_queue_searches_by_key_rfc_name_and_email(reviewer_client, make_agent, make_request, field):
    from tests.helpers import valid_rfc

    wanted = make_agent(apellido_paterno="BUSCADO", rfc=valid_rfc("BUSX"), email="b@x.test")
    make_request(wanted, email="buscado@ejemplo.test")
    make_request(make_agent(apellido_paterno="OTRO"))
    term = getattr(wanted, field) if field != "email" else "buscado@ejemplo"
    text = reviewer_client.get(CHANGELIST, {"q": term}).text
    assert "BUSCADO" in text and "OTRO" not in text


def test_request_page_shows_saa_data_beside_the_request(reviewer_client, make_agent, make_request):
    agent = make_agent(domicilio_fiscal="CALLE FISCAL 1", nombre_promotor="VICENTE ORDAZ")
    request = make_request(agent, email="otro@ejemplo.test")
    text = reviewer_client.get(page_url(request)).text
    assert "Datos del agente en el SAA" in text
    for value in (agent.rfc, "CALLE FISCAL 1", "VICENTE ORDAZ", agent.email, "otro@ejemplo.test"):
        assert value in text
    assert "El correo de la solicitud es distinto del registrado en el SAA." in text


def test_reviewers_read_the_saa_mirror_but_cannot_change_it(reviewer_client, make_agent):
    agent = make_agent(apellido_paterno="ESPEJO")
    listing = reviewer_client.get("/admin/agents/agent/", {"q": agent.rfc})
    assert listing.status_code == 200 and "ESPEJO" in listing.text
    page = reviewer_client.get(f"/admin/agents/agent/{agent.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.text
    assert reviewer_client.get("/admin/agents/agent/add/").status_code == 403


# --- Decisions -----------------------------------------------------------------------


def test_bulk_approve_action_approves_each_selected_request(
    reviewer_client, make_request, django_capture_on_commit_callbacks
):
    requests = [make_request(), make_request()]
    with django_capture_on_commit_callbacks(execute=True):
        response = action(reviewer_client, "approve_selected", requests)
    assert "2 solicitud(es) aprobada(s)" in response.text
    assert [status_of(r) for r in requests] == ["aprobada", "aprobada"]
    assert all(r.agent.user is not None for r in requests)
    assert len(mail.outbox) == 4


def test_bulk_reject_goes_through_a_page_asking_the_reason(
    reviewer_client, make_request, django_capture_on_commit_callbacks
):
    requests = [make_request(), make_request()]
    page = action(reviewer_client, "reject_selected", requests)
    assert INSUFFICIENT in page.text
    assert [status_of(r) for r in requests] == ["pendiente", "pendiente"]

    with django_capture_on_commit_callbacks(execute=True):
        response = action(
            reviewer_client, "reject_selected", requests, post="yes",
            reason=INSUFFICIENT, detail="Falta la cédula vigente.",
        )  # fmt: skip
    assert "2 solicitud(es) rechazada(s)" in response.text
    for request in requests:
        assert status_of(request) == "rechazada"
        assert request.rejection_reason == f"{INSUFFICIENT}\nFalta la cédula vigente."
    assert len(mail.outbox) == 2
    assert "Falta la cédula vigente." in mail.outbox[0].body


def test_other_reason_needs_the_free_text(reviewer_client, make_request):
    request = make_request()
    response = action(reviewer_client, "reject_selected", [request], post="yes", reason="otro")
    assert "Escribe el motivo del rechazo." in response.text
    assert status_of(request) == "pendiente"
    action(reviewer_client, "reject_selected", [request], post="yes", reason="otro",
           detail="Clave de promotoría equivocada.")  # fmt: skip
    assert status_of(request) == "rechazada"
    assert request.rejection_reason == "Clave de promotoría equivocada."


def test_request_page_buttons_approve(
    reviewer_client, make_request, django_capture_on_commit_callbacks
):
    request = make_request()
    page = reviewer_client.get(page_url(request)).text
    assert "Aprobar" in page and "Rechazar" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(f"{CHANGELIST}{request.pk}/aprobar/", follow=True)
    assert "Solicitud aprobada; usuario generado:" in response.text
    assert status_of(request) == "aprobada"
    # Decided: the buttons are gone.
    assert f"{request.pk}/aprobar/" not in reviewer_client.get(page_url(request)).text


def test_request_page_reject_button_asks_the_reason(reviewer_client, make_request):
    request = make_request()
    url = f"{CHANGELIST}{request.pk}/rechazar/"
    form = reviewer_client.get(url)
    assert form.status_code == 200 and INSUFFICIENT in form.text
    assert status_of(request) == "pendiente"
    response = reviewer_client.post(url, {"reason": INSUFFICIENT}, follow=True)
    assert "Solicitud rechazada." in response.text
    assert status_of(request) == "rechazada"
    assert request.rejection_reason == INSUFFICIENT


def test_decision_urls_refuse_get_and_unknown_requests(reviewer_client, make_request):
    request = make_request()
    assert reviewer_client.get(f"{CHANGELIST}{request.pk}/aprobar/").status_code == 405
    assert reviewer_client.post(f"{CHANGELIST}abc/aprobar/").status_code == 404
    assert reviewer_client.get(f"{CHANGELIST}999999/rechazar/").status_code == 404
    assert status_of(request) == "pendiente"


def test_a_decided_request_cannot_be_decided_again(
    reviewer_client, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    request = make_request()
    services.reject_request(request.pk, make_reviewer("otra"), INSUFFICIENT)
    with pytest.raises(services.AlreadyDecided):
        services.approve_request(request.pk, make_reviewer("tercera"))
    response = reviewer_client.post(f"{CHANGELIST}{request.pk}/aprobar/", follow=True)
    assert "ya fue rechazada" in response.text
    response = action(reviewer_client, "approve_selected", [request], estatus="todas")
    assert status_of(request) == "rechazada"
    assert Decision.objects.filter(request=request).count() == 1
    assert not User.objects.filter(kind=User.Kind.AGENT).exists()


# --- Permissions ---------------------------------------------------------------------


def test_staff_without_the_review_permission_cannot_decide(staff_client, make_request):
    request = make_request()
    changelist = staff_client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert "approve_selected" not in changelist.text
    assert "reject_selected" not in changelist.text
    page = staff_client.get(page_url(request))
    assert page.status_code == 200
    assert "/aprobar/" not in page.text and "/rechazar/" not in page.text

    assert staff_client.post(f"{CHANGELIST}{request.pk}/aprobar/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}{request.pk}/rechazar/").status_code == 403
    assert (
        staff_client.post(f"{CHANGELIST}{request.pk}/rechazar/", {"reason": INSUFFICIENT})
    ).status_code == 403
    action(staff_client, "approve_selected", [request])
    action(staff_client, "reject_selected", [request], post="yes", reason=INSUFFICIENT)
    assert status_of(request) == "pendiente"
    assert not Decision.objects.exists()


def test_services_refuse_users_without_the_permission(make_request, make_reviewer):
    request = make_request()
    for user in (
        make_reviewer("sinpermiso", review=False),
        make_reviewer("inactiva", is_active=False),
    ):
        with pytest.raises(PermissionDenied):
            services.approve_request(request.pk, user)
        with pytest.raises(PermissionDenied):
            services.reject_request(request.pk, user, INSUFFICIENT)
    assert status_of(request) == "pendiente"


def test_anonymous_users_are_sent_to_the_admin_login(client, make_request):
    request = make_request()
    response = client.post(f"{CHANGELIST}{request.pk}/aprobar/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert status_of(request) == "pendiente"


# --- Audit ---------------------------------------------------------------------------


def test_each_decision_is_recorded_and_shown_on_the_request_page(
    reviewer_client, make_request, make_reviewer
):
    ana = make_reviewer("ana")
    approved, rejected = make_request(), make_request()
    services.approve_request(approved.pk, ana)
    services.reject_request(rejected.pk, ana, INSUFFICIENT)

    decision = Decision.objects.get(request=rejected)
    assert (decision.decision, decision.reason, decision.decided_by) == (
        "rechazada", INSUFFICIENT, ana,
    )  # fmt: skip
    assert timezone.now() - decision.decided_at < timedelta(minutes=1)
    assert Decision.objects.get(request=approved).decision == "aprobada"
    rejected.refresh_from_db()
    assert (rejected.decided_by, rejected.rejection_reason) == (ana, INSUFFICIENT)

    text = reviewer_client.get(page_url(rejected)).text
    assert "Decisiones registradas" in text
    assert "alta-decision" in text and "ana" in text and INSUFFICIENT in text


def test_nobody_can_change_or_delete_decisions_in_admin(client, make_request, make_reviewer):
    request = make_request()
    services.reject_request(request.pk, make_reviewer(), INSUFFICIENT)
    decision = Decision.objects.get()
    root = User.objects.create_superuser("root", "root@back.test", "x")
    client.force_login(root)
    base = f"/admin/agents/decision/{decision.pk}"

    page = client.get(f"{base}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.text
    client.post(f"{base}/change/", {"decision": "aprobada", "reason": "cambiado"})
    assert client.get(f"{base}/delete/").status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/agents/decision/add/").status_code == 403
    changelist = client.get("/admin/agents/decision/").text
    assert "delete_selected" not in changelist
    # Requests, too, are only changed by a decision.
    assert client.get(f"{CHANGELIST}{request.pk}/delete/").status_code == 403
    assert client.get(f"{CHANGELIST}add/").status_code == 403

    decision.refresh_from_db()
    assert (decision.decision, decision.reason) == ("rechazada", INSUFFICIENT)
    with pytest.raises(PermissionDenied):
        decision.save()
    with pytest.raises(PermissionDenied):
        decision.delete()


# --- Two reviewers at once -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reviewers", [2, 8])
def test_concurrent_reviewers_exactly_one_decision_wins(make_request, make_reviewer, reviewers):
    request = make_request()
    people = [make_reviewer(f"revisor{n}") for n in range(reviewers)]

    def reviewer(n: int):
        def decide() -> str:
            if n % 2:
                services.reject_request(request.pk, people[n], INSUFFICIENT)
                return "rechazada"
            services.approve_request(request.pk, people[n])
            return "aprobada"

        return decide

    outcomes = run_together([reviewer(n) for n in range(reviewers)])
    winners = [o for o in outcomes if o != "AlreadyDecided"]
    assert len(winners) == 1, outcomes
    assert outcomes.count("AlreadyDecided") == reviewers - 1
    assert status_of(request) == winners[0]
    (decision,) = Decision.objects.filter(request=request)
    assert decision.decision == winners[0]
    agents = User.objects.filter(kind=User.Kind.AGENT).count()
    assert agents == (1 if winners[0] == "aprobada" else 0)


# --- As a reviewer sees it -----------------------------------------------------------


@pytest.mark.browser
def test_reviewer_approves_and_rejects_from_the_request_page_in_chromium(
    page, make_agent, make_request, make_reviewer
):
    user = make_reviewer("revisora")
    user.set_password("clave-revisora-2026")
    user.save()
    first = make_request(make_agent(apellido_paterno="PRIMERO"))
    second = make_request(make_agent(apellido_paterno="SEGUNDO"))

    page.goto("/admin/")
    page.get_by_label("Nombre de usuario").fill("revisora")
    page.get_by_label("Contraseña").fill("clave-revisora-2026")
    page.get_by_role("button", name="Identificarse").click()
    page.get_by_role("link", name="Solicitudes de acceso").first.click()
    page.get_by_role("link", name=first.agent.clave_agente).click()
    page.get_by_role("button", name="Aprobar").click()
    page.get_by_text("Solicitud aprobada; usuario generado:").wait_for()
    assert page.locator(".alta-decision").count() == 1

    page.goto(f"/admin/agents/accessrequest/{second.pk}/change/")
    page.get_by_role("link", name="Rechazar").click()
    page.get_by_label(INSUFFICIENT).check()
    page.get_by_label("Detalle (se incluye en el correo al agente)").fill("Falta la cédula.")
    page.get_by_role("button", name="Rechazar").click()
    page.get_by_text("Solicitud rechazada.").wait_for()
    assert "Falta la cédula." in page.locator(".alta-decision").inner_text()

    assert status_of(first) == "aprobada" and status_of(second) == "rechazada"


def test_the_database_refuses_to_change_or_delete_a_decision(make_request, make_reviewer):
    from django.db import DatabaseError, transaction

    request = make_request()
    services.reject_request(request.pk, make_reviewer(), INSUFFICIENT)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.update(reason="otro")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.all()._raw_delete(Decision.objects.db)
    assert Decision.objects.get().reason == INSUFFICIENT
