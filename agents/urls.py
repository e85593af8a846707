from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "agents"

urlpatterns = [
    path("ingresar/", views.AgentLoginView.as_view(), name="login"),
    path("salir/", LogoutView.as_view(next_page="agents:login"), name="logout"),
    path("solicitud/", views.AccessRequestWizard.as_view(), name="request"),
    path("solicitud/cancelar/", views.cancel_request, name="request_cancel"),
    path("solicitud/enviada/", views.request_sent, name="request_sent"),
    path("inicio/", views.home, name="home"),
    path("usuario/", views.manage, name="manage"),
]
