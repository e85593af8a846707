"""Django admin for staff who passed the second factor (STAFF_MFA): `admin.site` is this
(portal.apps.AltaAdminConfig)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class AltaAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from .accounts import mfa  # models: not importable while the apps load

        # The account gate sends a session that has not passed the second factor to its
        # page first; this keeps every admin view shut to it even without the gate.
        return super().has_permission(request) and mfa.stage(request) is mfa.Stage.DONE
