"""Mount the account pages in a portal's URLconf, under the portal's own paths."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import AccountConfig, views

# URL name → view. The names are the same in every portal's namespace.
PAGES: dict[str, type] = {
    "login": views.LoginView,
    "logout": views.LogoutView,
    "password_change": views.PasswordChangeView,
    "email_change": views.EmailChangeView,
    "email_confirm": views.EmailChangeConfirmView,
    "phone_change": views.PhoneChangeView,
    "confirm_contact": views.ConfirmContactView,
    "password_reset": views.PasswordResetView,
    # Before the link's pattern: "<uidb64>/<token>/" would match these paths too.
    "password_reset_done": views.PasswordResetDoneView,
    "password_reset_complete": views.PasswordResetCompleteView,
    "password_reset_confirm": views.SetPasswordView,
}


def account_urlpatterns(config: AccountConfig, paths: dict[str, str]) -> list[URLPattern]:
    """The pages named in `paths` (URL name → route) for `config`'s portal. Every portal
    mounts login, logout, the password pages and the email change; "phone_change" and
    "confirm_contact" only where contact data is confirmed."""
    required = set(PAGES) - {"phone_change", "confirm_contact"}
    missing = required - set(paths)
    if missing:
        raise ValueError(f"{config.namespace}: account pages without a path: {sorted(missing)}")
    return [
        path(paths[name], view.as_view(config=config), name=name)
        for name, view in PAGES.items()
        if name in paths
    ]
