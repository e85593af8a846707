"""The baseline's pages: Django's login, django-allauth's account URLs, and the agents'
access request as a stock formtools wizard with simple-captcha's image URLs."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from .views import AccessRequestWizard

request_wizard = AccessRequestWizard.as_view(url_name="request_step")

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/", include("allauth.urls")),
    path("solicitud/", request_wizard, name="request"),
    path(
        "solicitud/enviada/",
        TemplateView.as_view(template_name="stock/sent.html"),
        name="request_sent",
    ),
    path("solicitud/<str:step>/", request_wizard, name="request_step"),
    path("captcha/", include("captcha.urls")),
]
