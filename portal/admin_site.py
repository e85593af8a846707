"""Django admin for staff who passed the second factor (STAFF_MFA): `admin.site` is this
(portal.apps.AltaAdminConfig)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path


class AltaAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from .accounts import mfa  # models: not importable while the apps load

        # The account gate sends a session that has not passed the second factor to its
        # page first; this keeps every admin view shut to it even without the gate.
        return super().has_permission(request) and mfa.stage(request) is mfa.Stage.DONE

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from . import dashboard_views  # reads models: not while the apps load

        return [
            path("tablero/", self.admin_view(self.dashboard), name="dashboard"),
            path(
                "tablero/grafica/<slug:chart>.svg",
                self.admin_view(dashboard_views.dashboard_chart),
                name="dashboard_chart",
            ),
            *super().get_urls(),
        ]

    def dashboard(self, request: HttpRequest) -> HttpResponse:
        """The back-office dashboard (portal.dashboard_views), for holders of its permission."""
        from . import dashboard_views

        return dashboard_views.dashboard_page(request, self)
