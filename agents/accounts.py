"""The agent portal's accounts: generated usernames (SPXA1522), the manual's expired
temporary password, and contact data confirmed at the first entry."""

from django.utils.translation import gettext_lazy as _

from portal.accounts import AccountConfig

AGENTS = AccountConfig(
    user_kind="agent",
    namespace="agents",
    display_name="Agentes",
    base_template="agents/portal_base.html",
    login_template="agents/login.html",
    home_url_name="agents:home",
    account_url_name="agents:manage",
    login_title=_("Ingresar"),
    expires_passwords=True,
    confirms_contact=True,
)

# Paths of the account pages (portal.accounts.urls), as the agent portal has them.
ACCOUNT_PATHS = {
    "login": "ingresar/",
    "logout": "salir/",
    "password_change": "usuario/contrasena/",
    "email_change": "usuario/correo/",
    "email_confirm": "usuario/correo/codigo/",
    "phone_change": "usuario/telefono/",
    "confirm_contact": "datos-de-contacto/",
    "password_reset": "olvide-contrasena/",
    "password_reset_done": "olvide-contrasena/enviado/",
    "password_reset_complete": "olvide-contrasena/listo/",
    "password_reset_confirm": "olvide-contrasena/<uidb64>/<token>/",
}
