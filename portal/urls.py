from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from notifications import views as inbox
from portal import metrics, pages, views
from portal.accounts.urls import staff_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    path("privacidad/", pages.privacy, name="privacy"),
    path("seguridad/", pages.security, name="security"),
    # The agent portal's own address, as /clientes/ is the clients': its home, or its login.
    path("agentes/", RedirectView.as_view(pattern_name="agents:home"), name="agents-root"),
    # The favicon and home-screen icons at the addresses browsers ask for unlinked too.
    path("favicon.ico", views.favicon_ico, name="favicon-ico"),
    path("favicon.svg", views.favicon_svg, name="favicon-svg"),
    path("apple-touch-icon.png", views.app_icon, {"size": 180}, name="apple-touch-icon"),
    path("apple-touch-icon-precomposed.png", views.app_icon, {"size": 180}),
    path("icon-192.png", views.app_icon, {"size": 192}, name="icon-192"),
    path("icon-512.png", views.app_icon, {"size": 512}, name="icon-512"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("salud/", views.health, name="health"),
    path("salud/vivo/", views.liveness, name="liveness"),
    path("metricas/", metrics.metrics, name="metrics"),
    path("agentes/", include("agents.urls")),
    path("clientes/", include("registration.urls")),
    # simple-captcha's own routes (captcha.urls) are not mounted: they serve images, audio and
    # refreshes without a limit, and their audio pattern's dot is unescaped (`<key>xwav`
    # matched). Its names point at our limited views; any other spelling under image/ or
    # audio/ reaches the same view, counts against the same limit and finds nothing.
    path("captcha/refresh/", views.captcha_refresh, name="captcha-refresh"),
    re_path(r"^captcha/image/(?P<key>\w+)/$", views.captcha_image, name="captcha-image"),
    re_path(
        r"^captcha/image/(?P<key>\w+)@2/$",
        views.captcha_image,
        {"scale": 2},
        name="captcha-image-2x",
    ),
    re_path(r"^captcha/image/", views.captcha_image, {"key": None}),
    re_path(r"^captcha/audio/(?P<key>\w+)\.wav$", views.captcha_audio, name="captcha-audio"),
    re_path(r"^captcha/audio/", views.captcha_audio, {"key": None}),
    # Staff's second factor (namespace "backoffice"), before admin's catch-all.
    path("admin/", include((staff_urlpatterns(), "backoffice"))),
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
