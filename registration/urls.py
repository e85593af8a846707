from django.urls import path

from portal.accounts.urls import account_urlpatterns

from . import views
from .accounts import CLIENTS

app_name = "registration"

urlpatterns = [
    path("", views.home, name="home"),
    path("registro/", views.ClientRegistrationWizard.as_view(), name="register"),
    path("registro/clave/", views.KeyRegistrationWizard.as_view(), name="register_key"),
    # The invitation's link; `token`, so the access log masks it.
    path(
        "registro/clave/enlace/<str:token>/",
        views.KeyRegistrationWizard.as_view(),
        name="register_key_link",
    ),
    path(
        "registro/clave/<str:step>/",
        views.KeyRegistrationWizard.as_view(),
        name="register_key_step",
    ),
    path("registro/cancelar/", views.cancel, name="cancel"),
    path("registro/listo/", views.registered, name="registered"),
    # After every other registro/<name>/: a step's name is whatever is left.
    path(
        "registro/<str:step>/",
        views.ClientRegistrationWizard.as_view(),
        name="register_step",
    ),
    path("cuenta/bloquear/<str:token>/", views.block_account, name="block_account"),
    *account_urlpatterns(CLIENTS),
]
