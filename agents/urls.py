from django.urls import path

from portal.accounts.urls import account_urlpatterns

from . import views
from .accounts import AGENTS

app_name = "agents"

urlpatterns = [
    path("solicitud/", views.AccessRequestWizard.as_view(), name="request"),
    path("solicitud/cancelar/", views.cancel_request, name="request_cancel"),
    path("solicitud/enviada/", views.request_sent, name="request_sent"),
    path("solicitud/estado/reenviar/", views.resend_status_link, name="request_status_resend"),
    path("solicitud/estado/<str:token>/", views.request_status, name="request_status"),
    # After every other solicitud/<name>/: a step's name is whatever is left.
    path("solicitud/<str:step>/", views.AccessRequestWizard.as_view(), name="request_step"),
    path("inicio/", views.home, name="home"),
    path("herramientas/", views.tools, name="tools"),
    path("ayuda/", views.help_page, name="help"),
    path("contacto/", views.contact_page, name="contact"),
    path("usuario/", views.manage, name="manage"),
    *account_urlpatterns(AGENTS),
]
