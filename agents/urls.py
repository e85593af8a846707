from django.contrib.auth.views import LogoutView
from django.urls import path

from . import portal_views, views

app_name = "agents"

urlpatterns = [
    path("ingresar/", portal_views.AgentLoginView.as_view(), name="login"),
    path("salir/", LogoutView.as_view(next_page="agents:login"), name="logout"),
    path("solicitud/", views.AccessRequestWizard.as_view(), name="request"),
    path("solicitud/cancelar/", views.cancel_request, name="request_cancel"),
    path("solicitud/enviada/", views.request_sent, name="request_sent"),
    # The agent portal (001 §4): agents/portal_views.py
    path("inicio/", portal_views.home, name="home"),
    path("herramientas/", portal_views.tools, name="tools"),
    path("ayuda/", portal_views.help_page, name="help"),
    path("contacto/", portal_views.contact_page, name="contact"),
    path("usuario/", portal_views.manage, name="manage"),
    path("usuario/contrasena/", portal_views.password_change, name="password_change"),
    path("usuario/correo/", portal_views.email_change, name="email_change"),
    path("usuario/correo/codigo/", portal_views.email_confirm, name="email_confirm"),
    path("usuario/telefono/", portal_views.phone_change, name="phone_change"),
    path("datos-de-contacto/", portal_views.confirm_contact, name="confirm_contact"),
    path("olvide-contrasena/", portal_views.password_reset, name="password_reset"),
    path(
        "olvide-contrasena/enviado/",
        portal_views.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "olvide-contrasena/<uidb64>/<token>/",
        portal_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "olvide-contrasena/listo/",
        portal_views.password_reset_complete,
        name="password_reset_complete",
    ),
]
