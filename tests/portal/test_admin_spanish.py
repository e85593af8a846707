"""The back-office in Spanish (issue 12, item 8): no English left on any admin page a
superuser opens, ours or django-axes', and no header or label made from a Python name."""

from html.parser import HTMLParser

import pytest
from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignObjectRel
from django.test import RequestFactory
from django.urls import reverse

from agents import services as agent_services
from agents.models import Announcement
from portal.models import User
from registration import services as registration_services

PASSWORD = "Clave-Admin-2026"
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX"}
# What the issue and a walk through admin found in English; each as a whole word or phrase.
LEFTOVERS = [
    "Request", "Decided by", "Access attempts", "Access attempt", "Access failures",
    "Access failure", "Access logs", "Access log", "Access lock out", "Attempt Time",
    "IP Address", "User Agent", "Username", "HTTP Accept", "Path", "GET Data", "POST Data",
    "Failed Logins", "Logout Time", "Locked Out", "Form Data", "Meta Data", "Not set",
    "Clean up expired attempts", "Attempt Remaining", "Attempted Access", "Failed access",
    "Axes", "Status", "Attempts", "Created at", "Next attempt at", "Last error", "Sent at",
    "Secret provider", "Message id", "Imported at", "Temporary password expires at",
    "Password changed at", "Contact confirmed at", "Can add", "Can change", "Can delete",
    "Can view", "results", "Search",
]  # fmt: skip


class VisibleText(HTMLParser):
    """The text a person reads or a screen reader announces: text nodes, and the titles,
    alternative texts, labels, placeholders and button values."""

    ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        values = dict(attrs)
        self.parts += [values[name] for name in self.ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def english_in(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        words = f" {part} "
        for cut in (":", "(", ")", ".", ","):
            words = words.replace(cut, " ")
        for leftover in LEFTOVERS:
            if f" {leftover} " in words:
                found.append(f"{leftover!r} in {part!r}")
    return found


@pytest.fixture
def superuser_client(client, make_request, make_person, make_agent):
    """A superuser signed in through the login form after a typo (so django-axes has an
    attempt, a failure and a log to show), with a row in every model of the back-office."""
    superuser = User.objects.create_superuser("directora", "directora@back.test", PASSWORD)
    # A typo in the username: a success resets the attempts of its own username only.
    client.post("/admin/login/", {"username": "diretcora", "password": PASSWORD}, **SPANISH)
    client.post("/admin/login/", {"username": "directora", "password": PASSWORD}, **SPANISH)
    # Its failure log is off (AXES_ENABLE_ACCESS_FAILURE_LOG), its admin page is not.
    AccessFailureLog.objects.create(
        username="diretcora", ip_address="127.0.0.1", user_agent="", http_accept="*/*",
        path_info="/admin/login/", locked_out=False,
    )  # fmt: skip
    pending = make_request(email="otro.correo@ejemplo.test", agent=make_agent())
    rejected = make_request()
    agent_services.reject_request(rejected.pk, superuser, "Motivo de prueba.")
    Announcement.objects.create(title="Novedad", body="Texto")
    registration_services.invite(make_person(), by=superuser, base_url="http://testserver/")
    from portal.accounts import mfa

    lost = User.objects.create_user("perdio.telefono@ejemplo.test", kind=User.Kind.CLIENT)
    mfa.reset_second_factor(user=lost, reason="Llamada, folio 1", reset_by=superuser)
    from portal.record_access import record_access_log

    record_access_log(viewer=superuser, model=Announcement, object_pk=1)  # the read log
    from portal import arco

    arco_request = arco.file_request(user=lost, kind="acceso", details="Copia", ip="10.0.0.1")
    arco.decide(request_id=arco_request.pk, outcome="procedente", reason="Enviada", by=superuser)
    client.superuser, client.pending = superuser, pending
    return client


def admin_pages(client) -> list[str]:
    """The index, and for each registered model its app page, list, add form, the change
    form and history of one row; then the review queue's own pages."""
    urls = ["/admin/"]
    request = RequestFactory().get("/admin/")
    request.user = client.superuser
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        urls += [
            reverse("admin:app_list", args=[info[0]]),
            reverse("admin:{}_{}_changelist".format(*info)),
        ]
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"no {model._meta.label} row to open"
        urls += [
            reverse("admin:{}_{}_change".format(*info), args=[row.pk]),
            reverse("admin:{}_{}_history".format(*info), args=[row.pk]),
        ]
        if model_admin.has_delete_permission(request, row):
            urls.append(reverse("admin:{}_{}_delete".format(*info), args=[row.pk]))
    pending = client.pending.pk
    urls += [
        "/admin/agents/accessrequest/?estatus=todas",
        f"/admin/agents/accessrequest/{pending}/rechazar/",
    ]
    return list(dict.fromkeys(urls))


@pytest.mark.django_db
def test_every_admin_page_a_superuser_opens_is_in_spanish(superuser_client):
    found = []
    for url in admin_pages(superuser_client):
        response = superuser_client.get(url, **SPANISH)
        assert response.status_code == 200, url
        found += [f"{url}: {text}" for text in english_in(response.text)]
    # "Aprobar" on a request whose email is not the SAA's asks for a confirmation first.
    approve = f"/admin/agents/accessrequest/{superuser_client.pending.pk}/aprobar/"
    response = superuser_client.post(approve, **SPANISH)
    assert "Confirmo que verifiqué" in response.text
    found += [f"{approve}: {text}" for text in english_in(response.text)]
    assert found == []


@pytest.mark.django_db
def test_the_review_queue_counts_one_result_in_spanish(superuser_client):
    # Django's own es_MX catalogue says "1 results"; ours corrects it.
    text = superuser_client.get("/admin/agents/accessrequest/", **SPANISH).text
    assert "1 resultado (" in text


def labelled_by_python_name(model, model_admin, name) -> bool:
    """True when admin would title a column, filter or field with `name` itself
    ("decided_by" → "Decided by"): a model field without verbose_name, or a method or
    property without a description."""
    if not isinstance(name, str) or name in ("__str__", "action_checkbox"):
        return False
    try:
        field = get_fields_from_path(model, name)[-1]
    except (FieldDoesNotExist, admin.utils.NotRelationField):
        attribute = getattr(model_admin, name, None) or getattr(model, name, None)
        attribute = attribute.fget if isinstance(attribute, property) else attribute
        return not hasattr(attribute, "short_description")
    if isinstance(field, ForeignObjectRel):
        return False  # titled by the related model's verbose name
    return field._verbose_name is None


@pytest.mark.django_db
def test_no_column_filter_or_field_is_titled_by_its_python_name(superuser_client):
    request = RequestFactory().get("/admin/")
    request.user = superuser_client.superuser
    untitled = []
    for model, model_admin in admin.site._registry.items():
        row = model._default_manager.order_by("pk").first()
        names = [
            *model_admin.get_list_display(request),
            *model_admin.get_list_filter(request),
            *flatten_fieldsets(model_admin.get_fieldsets(request, row)),
        ]
        checks = [(model, model_admin, name) for name in names]
        for inline in model_admin.get_inline_instances(request, row):
            fields = flatten_fieldsets(inline.get_fieldsets(request, row))
            checks += [(inline.model, inline, name) for name in fields]
        untitled += [
            f"{m._meta.label}.{name}"
            for m, a, name in checks
            if labelled_by_python_name(m, a, name)
        ]
    assert untitled == []
