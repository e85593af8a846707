"""The baseline's two pages: Django's login (GET) and django-allauth's account URLs."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/", include("allauth.urls")),
]
