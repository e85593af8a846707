"""Back-office: the ARCO queue. Requests are listed by their deadline (20 business days), the
overdue marked; a request is answered once, from its page, by staff with the permission to
resolve them: the answer is recorded append-only and emailed to the person."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from . import arco
from .accounts.services import mask_email
from .models import ArcoDecision, ArcoRequest

DECIDE_PERMISSION = "portal.decide_arcorequest"


class ArcoDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Resolución"), choices=ArcoDecision.Outcome.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Motivo"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Se envía a la persona tal como lo escribas."),
    )


class PendingFilter(admin.SimpleListFilter):
    title = _("estado")
    parameter_name = "estado"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("pendiente", _("pendientes")),
            ("vencida", _("vencidas (más de 20 días hábiles)")),
            ("resuelta", _("resueltas")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "pendiente":
            return queryset.filter(decision__isnull=True)
        if self.value() == "vencida":
            return queryset.filter(decision__isnull=True, due_on__lt=timezone.localdate())
        if self.value() == "resuelta":
            return queryset.filter(decision__isnull=False)
        return queryset


@admin.register(ArcoRequest)
class ArcoRequestAdmin(admin.ModelAdmin[ArcoRequest]):
    list_display = ["folio", "kind", "account_email", "filed_at", "due_on", "overdue", "answered"]
    list_filter = [PendingFilter, "kind"]
    list_select_related = ["user", "decision"]
    readonly_fields = ["folio", "user", "kind", "details", "filed_at", "due_on", "answer"]
    fields = ("folio", "user", "kind", "details", "filed_at", "due_on", "answer")
    change_form_template = "admin/portal/arcorequest/change_form.html"

    @admin.display(description=_("folio"))
    def folio(self, obj: ArcoRequest) -> str:
        return str(obj)

    @admin.display(description=_("correo electrónico"))
    def account_email(self, obj: ArcoRequest) -> str:
        return mask_email(obj.user.email) if obj.user.email else "—"

    @admin.display(description=_("vencida"), boolean=True)
    def overdue(self, obj: ArcoRequest) -> bool:
        return arco.is_overdue(obj)

    @admin.display(description=_("resuelta"), boolean=True)
    def answered(self, obj: ArcoRequest) -> bool:
        return hasattr(obj, "decision")

    @admin.display(description=_("resolución"))
    def answer(self, obj: ArcoRequest) -> str:
        decision = getattr(obj, "decision", None)
        if decision is None:
            return "—"
        when = date_format(timezone.localtime(decision.decided_at), "SHORT_DATETIME_FORMAT")
        return (
            f"{decision.get_outcome_display()} · {when} · {decision.decided_by} · {decision.reason}"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # filed by the person, from "Mis datos"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:  # fmt: skip
        obj = self.get_object(request, object_id)
        may_decide = (
            obj is not None
            and not hasattr(obj, "decision")
            and request.user.has_perm(DECIDE_PERMISSION)
        )
        form = ArcoDecisionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not may_decide or obj is None:
                raise PermissionDenied
            if form.is_valid():
                try:
                    arco.decide(
                        request_id=obj.pk,
                        outcome=form.cleaned_data["outcome"],
                        reason=form.cleaned_data["reason"],
                        by=request.user,  # type: ignore[arg-type]
                    )
                except arco.AlreadyDecided:
                    self.message_user(request, _("Esta solicitud ya fue resuelta."), messages.ERROR)
                else:
                    self.message_user(
                        request, _("Resolución registrada y enviada por correo."), messages.SUCCESS
                    )
                return HttpResponseRedirect(request.path)
            request.method = "GET"  # show the page with the form's errors
        context = {**(extra_context or {}), "decision_form": form if may_decide else None}
        return super().change_view(request, object_id, form_url, context)
