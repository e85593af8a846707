"""One account layer for both portals: login, logout, password change, set-password links,
"¿Olvidaste tu contraseña?", email change with a code, and the pages a user must see first.

Each portal describes itself once with an `AccountConfig` (its user kind, URL namespace,
page layout and a few hooks), listed in `settings.ACCOUNT_CONFIGS`; the views, forms,
services and templates here serve both from that description, the way django-allauth's
adapter configures one set of flows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from portal.models import User


@dataclass(frozen=True)
class AccountConfig:
    """How one portal's accounts behave."""

    user_kind: str  # the `User.Kind` that signs in here; nobody else does
    namespace: str  # URL namespace of the portal's account URLs (`account_urlpatterns`)
    display_name: str  # "Agentes", "Clientes": named in emails
    base_template: str  # the layout account pages extend: it has a `page` block
    login_title: str  # the login page's heading
    login_template: str  # extends portal/account/login.html with the portal's own links
    home_url_name: str  # where a signed-in user lands
    account_url_name: str  # where the user manages the account (email, password)
    # The username is the email: login asks for it, and an email change renames the user.
    login_by_email: bool = False
    email_change_needs_password: bool = False
    # Temporary passwords (already expired) and a maximum age force "Cambio de contraseña".
    expires_passwords: bool = False
    # Contact data must be confirmed at the first entry (a verified new email counts).
    confirms_contact: bool = False
    # Called inside the transaction that gives the user a new email.
    email_changed: Callable[[User, str], None] | None = field(default=None, compare=False)

    def url_name(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def normalize_username(self, username: str) -> str:
        """Emails are kept lower-case; generated usernames (SPXA1522) upper-case."""
        username = (username or "").strip()
        return username.lower() if self.login_by_email else username.upper()


@cache
def configs() -> dict[str, AccountConfig]:
    """Every portal's configuration by user kind (settings.ACCOUNT_CONFIGS)."""
    loaded = [import_string(path) for path in settings.ACCOUNT_CONFIGS]
    return {config.user_kind: config for config in loaded}


def config_for(user: User | None) -> AccountConfig | None:
    """The configuration of the portal `user` belongs to (None for staff and anonymous)."""
    if user is None or not user.is_authenticated:
        return None
    return configs().get(user.kind)
