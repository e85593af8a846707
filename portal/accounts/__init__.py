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
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User


@dataclass(frozen=True)
class AccountConfig:
    """How one portal's accounts behave."""

    user_kind: str  # the `User.Kind` that signs in here; nobody else does
    # The portal's app: its URL namespace, and its templates' folder, which holds
    # `base.html` (the layout, with a `page` block) and `login.html` (extending
    # portal/account/login.html with the portal's own links). `<namespace>:home` is where a
    # signed-in user lands.
    namespace: str
    # "Agentes", "Clientes": named in emails, stored in Spanish in the outbox row and translated
    # when the email is rendered in its language (gettext_noop marks them for the catalogue).
    display_name: str
    # Where the user manages the account (email, password), when not the home page.
    account_page: str = "home"
    # The username is the email: login asks for it, and an email change renames the user.
    # (An email change asks for the password in every portal: the address receives
    # "¿Olvidaste tu contraseña?".)
    login_by_email: bool = False
    # The agent manual's first-entry rules (portal.accounts.gate), each a flag: a password
    # past PASSWORD_MAX_AGE_DAYS only opens "Cambio de contraseña" (a temporary one always
    # does), and contact data (email, phone) must be confirmed at the first entry, where a
    # verified new email counts.
    forced_password_change: bool = False
    contact_confirmation: bool = False
    # Called inside the transaction that gives the user a new email.
    email_changed: Callable[[User, str], None] | None = field(default=None, compare=False)
    # What this portal's app holds about the user, for "Mis datos" (ARCO access): titled
    # lists of model instances (portal.arco serialises their fields).
    personal_data: Callable[[User], list[tuple[str, list[Any]]]] | None = field(
        default=None, compare=False
    )

    def url_name(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    @property
    def base_template(self) -> str:
        return f"{self.namespace}/base.html"

    @property
    def login_template(self) -> str:
        return f"{self.namespace}/login.html"

    @property
    def home_url_name(self) -> str:
        return self.url_name("home")

    @property
    def account_url_name(self) -> str:
        return self.url_name(self.account_page)

    def normalize_username(self, username: str) -> str:
        """Emails are kept lower-case; generated usernames (SPXA1522) upper-case."""
        username = (username or "").strip()
        return username.lower() if self.login_by_email else username.upper()


@cache
def configs() -> dict[str, AccountConfig]:
    """Every portal's configuration by user kind (settings.ACCOUNT_CONFIGS)."""
    loaded = [import_string(path) for path in settings.ACCOUNT_CONFIGS]
    return {config.user_kind: config for config in loaded}


def config_for(user: User | AnonymousUser | None) -> AccountConfig | None:
    """The configuration of the portal `user` belongs to (None for staff and anonymous)."""
    if user is None or not user.is_authenticated:
        return None
    return configs().get(user.kind)


# The back office's account pages are its second-factor pages only (under /admin/): staff sign
# in and out at Django admin. Not in ACCOUNT_CONFIGS, so no portal's login knows staff.
STAFF = AccountConfig(
    user_kind="staff",
    namespace="backoffice",
    display_name="Back-office",
    account_page="mfa_manage",
)
