"""'Mis datos' in both portals (ARCO rights): what the portal holds about the signed-in
person, its download as JSON or as an HTML page, where to rectify, and the form that files an
access, rectification, cancellation or opposition request."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from portal import arco, ratelimit
from portal.models import ArcoRequest

from .accounts.guards import AccountRequiredMixin
from .accounts.views import AccountPageMixin

REQUEST_FILED = _(
    "Recibimos tu solicitud %(folio)s. Te responderemos por correo a más tardar el %(due)s."
)
TOO_MANY = _("Ya enviaste varias solicitudes hoy. Si necesitas algo más, llama al Call Center.")


class ArcoRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("¿Qué derecho quieres ejercer?"),
        choices=ArcoRequest.Kind.choices,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Detalle de tu solicitud"),
        required=False,
        max_length=2000,
        help_text=_("Por ejemplo, qué dato se debe corregir, o a qué uso de tus datos te opones."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@method_decorator(never_cache, name="dispatch")
class MyDataView(AccountRequiredMixin, AccountPageMixin, FormView[ArcoRequestForm]):
    """GET: the page (`?formato=json` or `?formato=html` downloads it); POST: file a request."""

    form_class = ArcoRequestForm
    template_name = "portal/account/my_data.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wanted = request.GET.get("formato")
        stamp = timezone.localdate().isoformat()
        if wanted == "json":
            body = json.dumps(arco.export(self.account_user), ensure_ascii=False, indent=2)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="mis-datos-{stamp}.json"'
            return response
        if wanted == "html":
            page = render_to_string(
                "portal/account/my_data_export.html",
                {"sections": arco.held_about(self.account_user), "generated": timezone.now()},
                request=request,
            )
            response = HttpResponse(page, content_type="text/html; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="mis-datos-{stamp}.html"'
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.account_user
        context.update(
            sections=arco.held_about(user),
            requests=ArcoRequest.objects.filter(user=user).select_related("decision"),
            config=self.config,
        )
        return context

    def form_valid(self, form: ArcoRequestForm) -> HttpResponse:
        try:
            filed = arco.file_request(
                user=self.account_user,
                kind=form.cleaned_data["kind"],
                details=form.cleaned_data["details"],
                ip=ratelimit.client_ip(self.request),
            )
        except arco.TooManyRequests:
            form.add_error(None, TOO_MANY)
            return self.form_invalid(form)
        due = date_format(filed.due_on, "DATE_FORMAT")
        messages.success(self.request, REQUEST_FILED % {"folio": str(filed), "due": due})
        return redirect(self.config.url_name("my_data"))
