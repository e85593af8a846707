"""“Aviso de privacidad actualizado”: after a new PRIVACY_NOTICE_VERSION, the account gate
sends each signed-in agent and client here once; "Acepto" records the version accepted
(portal.notice) and goes on to the page they asked for."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from portal import notice

from .guards import AccountRequiredMixin
from .views import AccountPageMixin, safe_next


@method_decorator(never_cache, name="dispatch")
class NoticeUpdatedView(AccountRequiredMixin, AccountPageMixin, TemplateView):
    template_name = "portal/account/privacy_notice_updated.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "notice_version": notice.current_version(),
            "notice_date": settings.PRIVACY_NOTICE_DATE,
            "next": safe_next(self.request),
            "already_accepted": not notice.must_read(self.request),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        notice.accept(request)
        return redirect(safe_next(request) or resolve_url(self.config.home_url_name))
