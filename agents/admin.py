"""Back-office: the review queue of agent access requests and the SAA mirror.

Decisions are taken by `agents.services` (row lock, audit, issuance); the admin only binds
the reviewer's choice to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.accounts.services import mask_email
from portal.csv_export import csv_lines
from portal.dashboard import DateRange
from portal.date_input import IsoDateInput
from portal.links import email_base_url
from portal.masks import mask_rfc
from portal.record_access import RecordAccessMixin

from . import exports, services
from .models import AccessRequest, Agent, Announcement, Channel, Decision, Promotoria, Role

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django.contrib.admin.views.main import ChangeList
    from django_stubs_ext import StrOrPromise

    from portal.models import User

T = TypeVar("T")
_ModelT = TypeVar("_ModelT", bound=Model)
OTHER_REASON = "otro"

# The SAA data shown beside a request, in the order of the agent manual's "Datos generales".
SAA_FIELDS = [
    "clave_agente", "tipo_agente", "nombre", "apellido_paterno", "apellido_materno", "email",
    "rfc", "tipo_cedula", "numero_cedula", "tipo_razon_social", "nombre_razon_social",
    "nombre_apoderado_legal", "direccion", "clave_promotor", "nombre_promotor",
]  # fmt: skip
SAA_FIELDS_AFTER_PROMOTORIA = ["domicilio_fiscal", "sector", "mercado"]


class RejectionForm(forms.Form):
    """The reason of a rejection: a standard one or free text, or both."""

    reason = forms.ChoiceField(
        label=_("Motivo del rechazo"),
        widget=forms.RadioSelect,
        choices=[(r, r) for r in services.STANDARD_REJECTION_REASONS]
        + [(OTHER_REASON, _("Otro motivo (escríbelo abajo)"))],
        error_messages={"required": _("Selecciona el motivo del rechazo.")},
    )
    detail = forms.CharField(
        label=_("Detalle (se incluye en el correo al agente)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        reason, detail = cleaned.get("reason"), (cleaned.get("detail") or "").strip()
        if reason == OTHER_REASON and not detail:
            self.add_error("detail", gettext("Escribe el motivo del rechazo."))
        elif reason:
            parts = [detail] if reason == OTHER_REASON else [reason, detail]
            cleaned["full_reason"] = "\n".join(p for p in parts if p)
        return cleaned


class EmailOverrideForm(forms.Form):
    """Approving a request whose email is not the SAA's: the reviewer vouches for it."""

    confirm = forms.BooleanField(
        label=_(
            "Confirmo que verifiqué con el agente, por un medio distinto de este correo "
            "(por ejemplo, por teléfono con los datos del SAA), que el correo de la solicitud "
            "es suyo."
        ),
        error_messages={
            "required": _("Marca la casilla para confirmar que verificaste el correo.")
        },
    )


class ExportForm(forms.Form):
    """What to export (the kinds `kinds` allows) and the local dates, both included, in the
    browser's date picker (ISO in every language; a posted value that is no date shows empty,
    its error says why)."""

    date_errors = {
        "required": _("Escribe la fecha."),
        "invalid": _("Escribe una fecha válida (aaaa-mm-dd)."),
    }
    desde = forms.DateField(
        label=_("Desde"),
        widget=IsoDateInput,
        input_formats=["%Y-%m-%d"],
        error_messages=date_errors,
    )
    hasta = forms.DateField(
        label=_("Hasta"),
        widget=IsoDateInput,
        input_formats=["%Y-%m-%d"],
        error_messages=date_errors,
    )
    kind = forms.ChoiceField(
        label=_("Qué exportar"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Elige qué exportar.")},
    )

    def __init__(self, *args: Any, kinds: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["kind"])
        field.choices = [(k, label) for k, label in exports.Kind.choices if k in kinds]
        if len(kinds) == 1:
            self.initial.setdefault("kind", kinds[0])

    def clean(self) -> dict[str, Any]:
        super().clean()
        start, end = self.cleaned_data.get("desde"), self.cleaned_data.get("hasta")
        if start and end and start > end:
            self.add_error(
                "hasta", gettext("La fecha «Hasta» debe ser igual o posterior a «Desde».")
            )
        return self.cleaned_data


def _initial_date(value: str | None, default: date) -> date:
    """A date the page was linked with (?desde=aaaa-mm-dd), or `default` for none or junk."""
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


class ReadOnlyAdmin(admin.ModelAdmin[_ModelT]):
    """Shown, never added, changed or deleted in admin (mirrors, requests, the audit)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StatusFilter(admin.SimpleListFilter):
    """Opens on pending requests: the queue is what a reviewer has to do."""

    title = _("estatus")
    parameter_name = "estatus"
    ALL = "todas"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[AccessRequest]
    ) -> list[tuple[str, StrOrPromise]]:
        return [*AccessRequest.Status.choices, (self.ALL, _("Todas"))]

    def value(self) -> str:
        return super().value() or AccessRequest.Status.PENDING

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AccessRequest]
    ) -> QuerySet[AccessRequest]:
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(status=self.value())

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class OverdueFilter(admin.SimpleListFilter):
    parameter_name = "vencida"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Per request, in the reviewer's language: a class attribute would be filled once, at
        # import, in the default one.
        self.title = gettext("vencidas (más de %(days)s días hábiles)") % {
            "days": settings.REVIEW_SLA_BUSINESS_DAYS
        }
        super().__init__(*args, **kwargs)

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[AccessRequest]
    ) -> list[tuple[str, StrOrPromise]]:
        return [("si", _("Sí")), ("no", _("No"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AccessRequest]
    ) -> QuerySet[AccessRequest]:
        overdue = Q(status=AccessRequest.Status.PENDING, created_at__lt=services.overdue_cutoff())
        if self.value() == "si":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin[AccessRequest]):  # changed only by a decision, never deleted
    # Narrow enough for every column, the overdue mark included, to fit a 1280 px screen
    # (change_list.html and css/admin-review.css do the rest).
    list_display = (
        "agent_key", "agent_name", "promotoria", "channel_list", "role", "email_delivery",
        "email_differs", "submitted", "age", "status",
    )  # fmt: skip
    list_display_links = ("agent_key", "agent_name")
    list_filter = (
        StatusFilter, "email_differs_from_saa", "agent__promotoria", "channels", "role",
        OverdueFilter,
    )  # fmt: skip
    search_fields = (
        "agent__clave_agente", "agent__rfc", "agent__nombre", "agent__apellido_paterno",
        "agent__apellido_materno", "agent__nombre_razon_social", "email", "agent__email",
    )  # fmt: skip
    list_select_related = ("agent__promotoria", "role")
    # Oldest first with the id as tie-break: a total order, so admin adds no "-pk" of its
    # own and the `request_queue` indexes serve the page.
    ordering = ("created_at", "pk")
    # The queue shows the filtered count only: a second COUNT(*) over every request ever
    # filed grows with the table and tells a reviewer nothing.
    show_full_result_count = False
    actions = ["approve_selected", "reject_selected", "resend_credentials"]
    fields = (
        "agent", "status", "role_name", "channel_list", "email", "email_undeliverable_at",
        "email_differs", "created_at", "age",
        "decided_at", "decided_by_name", "rejection_reason",
    )  # fmt: skip
    change_form_template = "admin/agents/accessrequest/change_form.html"

    def has_review_permission(self, request: HttpRequest) -> bool:
        return services.can_review(request.user)

    def export_kinds(self, request: HttpRequest) -> list[str]:
        """What this staff user may export. An export takes every agent's name and address
        at once, so the queue's view permission is not enough: requests also need the
        permission to read agents' SAA records (view_agent), decisions the audit's
        (view_decision). The reviewers' group holds all three."""
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm("agents.view_accessrequest")):
            return []
        needs = {
            exports.Kind.REQUESTS: "agents.view_agent",
            exports.Kind.DECISIONS: "agents.view_decision",
        }
        return [kind for kind, permission in needs.items() if user.has_perm(permission)]

    def _reviewer(self, request: HttpRequest) -> User:
        """The signed-in staff user: admin views are only served to them."""
        return cast("User", request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRequest]:
        return super().get_queryset(request).prefetch_related("channels")

    @admin.display(description=_("clave de agente"), ordering="agent__clave_agente")
    def agent_key(self, obj: AccessRequest) -> str:
        return obj.agent.clave_agente

    @admin.display(description=_("nombre"), ordering="agent__apellido_paterno")
    def agent_name(self, obj: AccessRequest) -> str:
        return obj.agent.full_name

    @admin.display(description=_("promotoría"), ordering="agent__promotoria__clave")
    def promotoria(self, obj: AccessRequest) -> Promotoria:
        return obj.agent.promotoria

    # Plain text rather than links to admin pages a reviewer may not be allowed to open.
    @admin.display(description=_("rol deseado"))
    def role_name(self, obj: AccessRequest) -> str:
        return obj.role.name

    @admin.display(description=_("decidida por"))
    def decided_by_name(self, obj: AccessRequest) -> str:
        return obj.decided_by.get_username() if obj.decided_by is not None else "—"

    @admin.display(description=_("canales"))
    def channel_list(self, obj: AccessRequest) -> str:
        return ", ".join(c.name for c in obj.channels.all())

    # The short form ("01/12/2026 09:33"): the long one takes a quarter of the table.
    @admin.display(description=_("enviada"), ordering="created_at")
    def submitted(self, obj: AccessRequest) -> str:
        return date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("antigüedad (días hábiles)"), ordering="created_at")
    def age(self, obj: AccessRequest) -> int | str:
        days = services.request_age(obj)
        if services.is_overdue(obj):
            return format_html('<strong class="alta-overdue">{} · {}</strong>', days, _("vencida"))
        return days

    # The mark beside the address rather than a column of its own: the queue fits 1280 px.
    # Masked in the list, whole on the request's page (a search takes the whole address).
    @admin.display(description=_("correo electrónico"), ordering="email")
    def email_delivery(self, obj: AccessRequest) -> str:
        if obj.email_undeliverable_at is None:
            return mask_email(obj.email)
        return format_html(
            '{} <strong class="alta-undeliverable">{}</strong>',
            mask_email(obj.email),
            _("Correo no entregable"),
        )

    # Words, as the filter beside it says them: admin's icon for a boolean draws "No" as a red
    # ⊗, which reads as an error.
    @admin.display(description=_("correo distinto del SAA"), ordering="email_differs_from_saa")
    def email_differs(self, obj: AccessRequest) -> str:
        return gettext("Sí") if obj.email_differs_from_saa else gettext("No")

    # Decisions: bulk actions on the changelist …

    @admin.action(description=_("Aprobar solicitudes seleccionadas"), permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[AccessRequest]) -> None:
        base_url = email_base_url(request)
        skipped: list[AccessRequest] = []

        def approve(pk: int, by: User) -> User | None:
            try:
                return services.approve_request(pk, by, base_url=base_url)
            except services.EmailNotConfirmed:
                # Never in bulk: each takes its own confirmation page.
                skipped.append(AccessRequest.objects.select_related("agent").get(pk=pk))
                return None

        done = [user for user in self._decide_each(request, queryset, approve) if user]
        if skipped:
            self.message_user(
                request,
                gettext(
                    "No se aprobaron %(count)s solicitud(es) porque su correo es distinto del "
                    "registrado en el SAA; apruébalas una por una desde su página, tras "
                    "verificar el correo con el agente: %(requests)s."
                )
                % {
                    "count": len(skipped),
                    "requests": ", ".join(
                        gettext("folio %(id)s (clave %(clave)s)")
                        % {"id": r.pk, "clave": r.agent.clave_agente}
                        for r in skipped
                    ),
                },
                messages.WARNING,
            )
        if done:
            self.message_user(
                request,
                gettext("%(count)s solicitud(es) aprobada(s); usuarios generados: %(names)s.")
                % {"count": len(done), "names": ", ".join(u.username for u in done)},
                messages.SUCCESS,
            )

    @admin.action(description=_("Rechazar solicitudes seleccionadas"), permissions=["review"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[AccessRequest]
    ) -> HttpResponse | None:
        form = RejectionForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["full_reason"]
            done = self._decide_each(
                request, queryset, lambda pk, by: services.reject_request(pk, by, reason)
            )
            if done:
                self.message_user(
                    request,
                    gettext("%(count)s solicitud(es) rechazada(s).") % {"count": len(done)},
                    messages.SUCCESS,
                )
            return None
        return self._rejection_page(request, form, list(queryset.select_related("agent")))

    @admin.action(description=_("Reenviar credenciales"), permissions=["review"])
    def resend_credentials(self, request: HttpRequest, queryset: QuerySet[AccessRequest]) -> None:
        """An approved agent who lost the emails or the password: a NEW temporary password
        (the old one stops working) and the two emails again, recorded as a Decision."""
        base_url = email_base_url(request)
        done = self._decide_each(
            request, queryset, lambda pk, by: services.resend_credentials(pk, by, base_url=base_url)
        )
        if done:
            self.message_user(
                request,
                gettext("Credenciales reenviadas a: %(names)s.")
                % {"names": ", ".join(u.username for u in done)},
                messages.SUCCESS,
            )

    def _decide_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[AccessRequest],
        decide: Callable[[int, User], T],
    ) -> list[T]:
        """Decide each request in its own transaction; report the ones that could not be."""
        results = []
        for pk in queryset.values_list("pk", flat=True):
            try:
                results.append(decide(pk, self._reviewer(request)))
            except services.DecisionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        return results

    def _rejection_page(
        self,
        request: HttpRequest,
        form: RejectionForm,
        requests: Sequence[AccessRequest],
        *,
        single: bool = False,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Rechazar solicitudes"),
            "opts": self.opts,
            "form": form,
            "requests": requests,
            "single": single,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/agents/accessrequest/reject.html", context)

    # … and buttons on the request page.

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            # Before the change page's "<path:object_id>/", which would take "exportar".
            path(
                "exportar/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<path:object_id>/aprobar/",
                self.admin_site.admin_view(self.approve_view),
                name="{}_{}_approve".format(*info),
            ),
            path(
                "<path:object_id>/rechazar/",
                self.admin_site.admin_view(self.reject_view),
                name="{}_{}_reject".format(*info),
            ),
            *super().get_urls(),
        ]

    def _get_request(self, request: HttpRequest, object_id: str) -> AccessRequest:
        obj = self.get_object(request, unquote(object_id))  # None for a malformed id, too
        if obj is None:
            raise Http404
        return obj

    def _change_url(self, obj: AccessRequest) -> str:
        return reverse("admin:agents_accessrequest_change", args=[obj.pk])

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._approve)(request, object_id)

    def _approve(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_review_permission(request):
            raise PermissionDenied
        obj = self._get_request(request, object_id)
        confirmed = False
        if obj.status == AccessRequest.Status.PENDING and services.needs_email_confirmation(obj):
            # The "Aprobar" button lands here first; the confirmation page posts back with
            # `confirming`, and only a ticked box approves.
            form = EmailOverrideForm(request.POST if "confirming" in request.POST else None)
            if not (form.is_bound and form.is_valid()):
                return self._email_override_page(request, form, obj)
            confirmed = True
        try:
            user = services.approve_request(
                obj.pk,
                self._reviewer(request),
                base_url=email_base_url(request),
                email_override_confirmed=confirmed,
            )
        except services.DecisionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Solicitud aprobada; usuario generado: %(username)s.")
                % {"username": user.username},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(obj))

    def _email_override_page(
        self, request: HttpRequest, form: EmailOverrideForm, obj: AccessRequest
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Aprobar solicitud con un correo distinto del SAA"),
            "opts": self.opts,
            "form": form,
            "original": obj,
        }
        return TemplateResponse(
            request, "admin/agents/accessrequest/approve_other_email.html", context
        )

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_review_permission(request):
            raise PermissionDenied
        obj = self._get_request(request, object_id)
        if obj.status != AccessRequest.Status.PENDING:
            self.message_user(request, gettext("La solicitud ya fue decidida."), messages.WARNING)
            return HttpResponseRedirect(self._change_url(obj))
        form = RejectionForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                services.reject_request(
                    obj.pk, self._reviewer(request), form.cleaned_data["full_reason"]
                )
            except services.DecisionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, gettext("Solicitud rechazada."), messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(obj))
        return self._rejection_page(request, form, [obj], single=True)

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """ "Exportar CSV": the range and the kind; a valid POST streams the file. The page
        takes ?desde=&hasta= (aaaa-mm-dd) as its initial range, as the dashboard links it."""
        kinds = self.export_kinds(request)
        if not kinds:
            raise PermissionDenied
        if request.method == "POST":
            form = ExportForm(request.POST, kinds=kinds)
            if form.is_valid():
                return self._stream_export(request, form)
        else:
            today = timezone.localdate()
            initial = {
                "desde": _initial_date(request.GET.get("desde"), today.replace(day=1)),
                "hasta": _initial_date(request.GET.get("hasta"), today),
            }
            form = ExportForm(initial=initial, kinds=kinds)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Exportar CSV"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/agents/accessrequest/export.html", context)

    def _stream_export(self, request: HttpRequest, form: ExportForm) -> StreamingHttpResponse:
        export = exports.export_csv(
            kind=form.cleaned_data["kind"],
            dates=DateRange(form.cleaned_data["desde"], form.cleaned_data["hasta"]),
            by=self._reviewer(request),
        )
        response = StreamingHttpResponse(
            csv_lines(export.header, export.rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"can_export": bool(self.export_kinds(request)), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra = {}
        if obj is not None:
            extra = {
                "saa_rows": saa_rows(obj.agent),
                "email_differs": services.needs_email_confirmation(obj),
                "email_undeliverable": obj.email_undeliverable_at is not None,
                "decisions": obj.decisions.select_related("decided_by"),
                "can_decide": self.has_review_permission(request)
                and obj.status == AccessRequest.Status.PENDING,
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


def saa_rows(agent: Agent) -> list[tuple[StrOrPromise, object]]:
    """(label, value) pairs of the agent as the SAA knows them."""

    def row(name: str) -> tuple[StrOrPromise, object]:
        field = Agent._meta.get_field(name)
        return (getattr(field, "verbose_name", name), getattr(agent, name))

    return [
        *(row(name) for name in SAA_FIELDS),
        (_("clave promotoría"), agent.promotoria.clave),
        (_("nombre promotoría"), agent.promotoria.nombre),
        *(row(name) for name in SAA_FIELDS_AFTER_PROMOTORIA),
        (_("en vigor"), _("Sí") if agent.en_vigor else _("No")),
        (_("canales"), ", ".join(c.name for c in agent.channels.all())),
        (_("usuario del portal"), agent.user.username if agent.user is not None else "—"),
    ]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin[Decision]):
    """The audit: readable by reviewers, changeable by nobody (not even superusers)."""

    list_display = (
        "decided_at", "request", "decision", "email_override_confirmed", "reason", "decided_by",
    )  # fmt: skip
    list_filter = ("decision", "email_override_confirmed")
    search_fields = ("request__agent__clave_agente", "decided_by__username", "reason")
    list_select_related = ("request__agent", "decided_by")


@admin.register(Agent)
class AgentAdmin(RecordAccessMixin[Agent], ReadOnlyAdmin[Agent]):  # each opening logged
    """The SAA mirror is loaded by `import_saa`; here it is only read."""

    list_display = ("clave_agente", "agent_name", "promotoria", "rfc_in_list", "en_vigor", "user")
    list_filter = ("en_vigor", "promotoria", "channels", "tipo_razon_social")
    search_fields = (
        "clave_agente", "rfc", "nombre", "apellido_paterno", "apellido_materno",
        "nombre_razon_social", "email",
    )  # fmt: skip
    list_select_related = ("promotoria", "user")

    @admin.display(description=_("nombre"), ordering="apellido_paterno")
    def agent_name(self, obj: Agent) -> str:
        return obj.full_name

    # Masked in the list, whole on the agent's page (a search takes the whole RFC).
    @admin.display(description=_("R.F.C."), ordering="rfc")
    def rfc_in_list(self, obj: Agent) -> str:
        return mask_rfc(obj.rfc)


@admin.register(Promotoria)
class PromotoriaAdmin(admin.ModelAdmin[Promotoria]):
    list_display = ("clave", "nombre")
    search_fields = ("clave", "nombre")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin[Role]):
    """The "Rol Deseado" choices of the request wizard."""

    list_display = ("code", "name", "active", "order")
    list_editable = ("name", "active", "order")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin[Announcement]):
    """The "Novedades" on the agent portal's home, written by back-office."""

    list_display = ("title", "published_at", "active")
    list_filter = ("active",)
    search_fields = ("title", "body")
    date_hierarchy = "published_at"
