from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("ingresar/", views.login, name="login"),
]
