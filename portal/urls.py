from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from notifications import views as inbox
from portal import metrics, pages, views

urlpatterns = [
    path("", views.home, name="home"),
    path("privacidad/", pages.privacy, name="privacy"),
    path("seguridad/", pages.security, name="security"),
    # The agent portal's own address, as /clientes/ is the clients': its home, or its login.
    path("agentes/", RedirectView.as_view(pattern_name="agents:home"), name="agents-root"),
    path("salud/", views.health, name="health"),
    path("salud/vivo/", views.liveness, name="liveness"),
    path("metricas/", metrics.metrics, name="metrics"),
    path("agentes/", include("agents.urls")),
    path("clientes/", include("registration.urls")),
    path("captcha/refresh/", views.captcha_refresh, name="captcha-refresh-limited"),
    re_path(
        r"^captcha/audio/(?P<key>\w+)\.wav$", views.captcha_audio, name="captcha-audio-limited"
    ),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
    # The language switcher on every page posts to Django's set_language (/i18n/setlang/).
    path("i18n/", include("django.conf.urls.i18n")),
]

# The dev inbox answers 404 unless DEBUG is on (checked per request in the views).
urlpatterns += [
    path("dev/correo/", inbox.inbox, name="dev-inbox"),
    path("dev/correo/<str:message_id>/", inbox.message, name="dev-inbox-message"),
]

# Our 500 page without the context processors, which query the database (portal.views).
handler500 = "portal.views.server_error"

admin.site.site_header = format_lazy("{} · Alta ({})", settings.PORTAL_BRAND, _("back-office"))
admin.site.site_title = "Alta"
admin.site.index_title = _("Revisión de solicitudes")
