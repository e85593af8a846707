from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("", views.home, name="home"),
    path("ingresar/", views.ClientLoginView.as_view(), name="login"),
    path("salir/", views.ClientLogoutView.as_view(), name="logout"),
    path("registro/", views.ClientRegistrationWizard.as_view(), name="register"),
    path("registro/clave/", views.KeyRegistrationWizard.as_view(), name="register_key"),
    path("registro/cancelar/", views.cancel, name="cancel"),
    path("registro/listo/", views.registered, name="registered"),
    path(
        "contrasena/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set_password",
    ),
    path("contrasena/lista/", views.password_set, name="password_set"),
    path("contrasena/olvide/", views.ForgotPasswordView.as_view(), name="forgot_password"),
    path("contrasena/cambiar/", views.change_password, name="change_password"),
    path("correo/cambiar/", views.change_email, name="change_email"),
]
