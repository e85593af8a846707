"""Account decisions shared by both portals, as plain typed functions, by sub-domain:

- `sign_in`: which accounts sign in to which portal, and ending a user's other sessions;
- `passwords`: a chosen password stored, the current one checked, its maximum age, the
  temporary password, the login lock's length;
- `password_links`: set-password links ("aquí", "¿Olvidaste tu contraseña?") and their
  outbox secret provider;
- `emails`: whether another account has an address, its mask in notices, and the change of
  address with a code;
- `contact`: the phone and the confirmation of contact data.

Everything public is re-exported here: callers write `account.set_password(...)`.
The outbox finds an email's secret provider by its template (registered in the apps'
ready()); the dotted path a row also carries for the previous release's workers is the one
re-exported here (notifications.secret_providers.dotted_path), which resolves before and
after the split.
"""

from .contact import confirm_contact, update_phone
from .emails import (
    EMAIL_CHANGE,
    EmailInUse,
    EmailUnavailable,
    NoEmailChangePending,
    cancel_email_change,
    check_new_email,
    confirm_email_change,
    email_in_use,
    mask_email,
    pending_email_change,
    queue_email_changed_notice,
    resend_email_change_code,
    start_email_change,
)
from .password_links import (
    USERNAME_RESET_SECONDS,
    login_url,
    password_link_provider,
    queue_password_link,
    request_password_reset,
)
from .passwords import (
    PasswordCheck,
    blocked_account_password,
    days_until_password_reset,
    lockout_minutes,
    password_expires_at,
    password_needs_change,
    set_password,
    temporary_password_expired,
    verify_current_password,
)
from .sign_in import end_other_sessions, is_back_office, portal_accounts, signs_in_elsewhere

__all__ = [
    "EMAIL_CHANGE",
    "USERNAME_RESET_SECONDS",
    "EmailInUse",
    "EmailUnavailable",
    "NoEmailChangePending",
    "PasswordCheck",
    "blocked_account_password",
    "cancel_email_change",
    "check_new_email",
    "confirm_contact",
    "confirm_email_change",
    "days_until_password_reset",
    "email_in_use",
    "end_other_sessions",
    "is_back_office",
    "lockout_minutes",
    "login_url",
    "mask_email",
    "password_expires_at",
    "password_link_provider",
    "password_needs_change",
    "pending_email_change",
    "portal_accounts",
    "queue_email_changed_notice",
    "queue_password_link",
    "request_password_reset",
    "resend_email_change_code",
    "set_password",
    "signs_in_elsewhere",
    "start_email_change",
    "temporary_password_expired",
    "update_phone",
    "verify_current_password",
]
