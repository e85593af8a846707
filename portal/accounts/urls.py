"""The account pages, mounted in each portal's URLconf under the same paths."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.views import View
from django.views.generic import RedirectView

from ..arco_views import MyDataView
from . import STAFF, AccountConfig, views
from .mfa_views import MFA_PAGES
from .notice_views import NoticeUpdatedView
from .passkeys import PASSKEY_PAGES

# URL name → (path, view); the names are the same in every portal's namespace.
PAGES: dict[str, tuple[str, type[View]]] = {
    "login": ("ingresar/", views.LoginView),
    "logout": ("salir/", views.LogoutView),
    "password_change": ("contrasena/cambiar/", views.PasswordChangeView),
    "password_reset": ("contrasena/olvide/", views.PasswordResetView),
    # Before the link's pattern: "contrasena/<uidb64>/<token>/" would match these paths too.
    "password_reset_done": ("contrasena/olvide/enviado/", views.PasswordResetDoneView),
    "password_reset_complete": ("contrasena/lista/", views.PasswordResetCompleteView),
    "password_reset_confirm": ("contrasena/<uidb64>/<token>/", views.SetPasswordView),
    "email_change": ("correo/cambiar/", views.EmailChangeView),
    "email_confirm": ("correo/cambiar/codigo/", views.EmailChangeConfirmView),
    # "Aviso de privacidad actualizado": a new version of the notice, read once (portal.notice).
    "privacy_notice": ("aviso-de-privacidad/", NoticeUpdatedView),
    # "Mis datos": the ARCO rights (portal.arco).
    "my_data": ("mis-datos/", MyDataView),
}
# Only in portals that have the user confirm contact data at the first entry.
CONTACT_PAGES: dict[str, tuple[str, type[View]]] = {
    "phone_change": ("telefono/cambiar/", views.PhoneChangeView),
    "confirm_contact": ("datos-de-contacto/", views.ConfirmContactView),
}


def account_urlpatterns(config: AccountConfig) -> list[URLPattern]:
    """The account pages of `config`'s portal, to include in its URLconf."""
    pages = {
        **PAGES,
        **(CONTACT_PAGES if config.contact_confirmation else {}),
        **MFA_PAGES,
        **PASSKEY_PAGES,
    }
    return [
        path(route, view.as_view(config=config), name=name) for name, (route, view) in pages.items()
    ]


def staff_urlpatterns() -> list[URLPattern]:
    """The back office's second-factor pages, mounted under /admin/ (namespace "backoffice")
    before Django admin's own; "home" and "login" are admin's."""
    pages = {**MFA_PAGES, **PASSKEY_PAGES}
    return [
        *(
            path(route, view.as_view(config=STAFF), name=name)
            for name, (route, view) in pages.items()
        ),
        path(
            "segundo-factor/inicio/", RedirectView.as_view(pattern_name="admin:index"), name="home"
        ),
        path(
            "segundo-factor/ingresar/",
            RedirectView.as_view(pattern_name="admin:login"),
            name="login",
        ),
    ]
