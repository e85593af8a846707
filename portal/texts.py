"""The user-facing texts both portals share: one meaning, one text.

Texts that belong to one flow only (the agent manual's wizard messages, the client guide's
identification messages) live with that flow's forms.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- Login ---------------------------------------------------------------------------------
INVALID_LOGIN_USERNAME = _(
    "Usuario o contraseña incorrectos. Después de varios intentos fallidos el acceso se bloquea "
    "por un tiempo; si olvidaste tu contraseña, recupérala con «¿Olvidaste tu contraseña?»."
)
INVALID_LOGIN_EMAIL = _(
    "El correo electrónico o la contraseña no son correctos. Después de varios intentos "
    "fallidos el acceso se bloquea por un tiempo; si olvidaste tu contraseña, recupérala con "
    "«¿Olvidaste tu contraseña?»."
)
# Too many wrong passwords (at login or as "Contraseña actual"): even the right one is refused.
# The number picks the form: `ACCOUNT_LOCKED % {"minutes": n}` (or as ValidationError params).
ACCOUNT_LOCKED = ngettext_lazy(
    "Por seguridad tu acceso quedó bloqueado temporalmente tras varios intentos fallidos. "
    "Inténtalo de nuevo en %(minutes)d minuto o recupera tu contraseña con «¿Olvidaste tu "
    "contraseña?».",
    "Por seguridad tu acceso quedó bloqueado temporalmente tras varios intentos fallidos. "
    "Inténtalo de nuevo en %(minutes)d minutos o recupera tu contraseña con «¿Olvidaste tu "
    "contraseña?».",
    "minutes",
)
TEMPORARY_PASSWORD_EXPIRED = _(
    "Tu contraseña temporal ya venció. Solicita una nueva con «¿Olvidaste tu contraseña?» o "
    "comunícate al Call Center %(phone)s."
)

# --- Passwords -----------------------------------------------------------------------------
WRONG_PASSWORD = _("La contraseña actual es incorrecta.")
CURRENT_PASSWORD_REQUIRED = _("Escribe tu contraseña actual para cambiar el correo electrónico.")
SAME_PASSWORD = _("La nueva contraseña debe ser diferente a la contraseña actual.")
PASSWORDS_DIFFER = _("La nueva contraseña y su confirmación no coinciden.")
PASSWORD_CHANGED = _("Contraseña cambiada exitosamente.")

# The checklist of AUTH_PASSWORD_VALIDATORS before typing, and each rule's error after a
# submit, in the same words (portal.accounts.password_rules), instead of Django's "Su
# contraseña…" help texts.
RULE_LENGTH = ngettext_lazy(
    "Al menos %(min_length)d carácter.", "Al menos %(min_length)d caracteres.", "min_length"
)
RULE_NOT_NUMERIC = _("No puede ser sólo números.")
RULE_NOT_PERSONAL = _("No puede parecerse a %(personal_data)s.")  # "tu nombre ni tu usuario"
RULE_NOT_COMMON = _("No puede ser una contraseña común (como «password1234»).")
RULE_MATCH = _("La confirmación debe ser igual a la contraseña.")
RULE_DIFFERENT = _("Debe ser diferente a tu contraseña actual.")
# The user's data UserAttributeSimilarityValidator compares, by attribute.
PERSONAL_DATA = {
    "username": _("tu usuario"),
    "first_name": _("tu nombre"),
    "last_name": _("tus apellidos"),
    "email": _("tu correo electrónico"),
}
PASSWORD_TOO_SHORT = ngettext_lazy(
    "Tu contraseña es demasiado corta: usa al menos %(min_length)d carácter.",
    "Tu contraseña es demasiado corta: usa al menos %(min_length)d caracteres.",
    "min_length",
)
PASSWORD_ENTIRELY_NUMERIC = _("Tu contraseña no puede ser sólo números: agrega letras o signos.")
PASSWORD_TOO_COMMON = _("Tu contraseña es de las más usadas y fácil de adivinar: elige otra.")
PASSWORD_TOO_SIMILAR = _("Tu contraseña se parece demasiado a %(personal_data)s: elige otra.")

# --- Email addresses -----------------------------------------------------------------------
EMAILS_DIFFER = _("El correo electrónico y su confirmación no coinciden.")
EMAIL_TAKEN = _(
    "Este correo electrónico ya está registrado en otra cuenta. Elige otro o ingresa uno nuevo."
)
# Past the "email_taken" limit, for every address: it no longer says whether one is taken.
EMAIL_UNAVAILABLE = _(
    "No es posible usar este correo electrónico en este momento. Inténtalo más tarde o "
    "comunícate al Call Center."
)
EMAIL_UNCHANGED = _("Ése ya es tu correo electrónico.")
EMAIL_CHANGED = _("Tu correo electrónico quedó actualizado.")
NO_EMAIL_CHANGE_PENDING = _("No hay un cambio de correo pendiente.")
EMAIL_CHANGE_CANCELLED = _("Cancelaste el cambio de correo electrónico.")

# --- One-time codes ------------------------------------------------------------------------
CODE_SENT = _("Enviamos un código de confirmación a %(email)s.")
CODE_WRONG = _("El código no es correcto. Revisa el correo que te enviamos.")
CODE_EXPIRED = _(
    "El código venció o ya no es válido. Presiona «Reenviar código» para recibir uno nuevo."
)
CODE_LOCKED = _(
    "Se excedió el número de intentos con este código. Presiona «Reenviar código» para "
    "recibir uno nuevo."
)
CODE_WAIT = _(
    "Por seguridad espera un momento: ya enviamos un código hace poco. Podrás pedir otro en "
    "%(when)s."
)

# --- Limits and contact data ---------------------------------------------------------------
TOO_MANY_ATTEMPTS = _("Se excedió el número de intentos. Espera unos minutos e inténtalo de nuevo.")
# A right password for an account that is not active (blocked from a "not you?" notice or by
# back-office): told whom to call; a wrong password keeps the usual answer.
ACCOUNT_BLOCKED = _(
    "Tu cuenta está bloqueada mientras confirmamos tu identidad. Comunícate al Call Center "
    "%(phone)s."
)
PHONE_INVALID = _("Escribe un teléfono de 10 dígitos (puedes incluir lada, espacios o guiones).")
PHONE_CHANGED = _("Tu teléfono de contacto quedó actualizado.")
CONTACT_CONFIRMED = _("Gracias, tus datos de contacto quedaron confirmados.")


def code_wait(seconds: int) -> str:
    """CODE_WAIT for a wait of `seconds`: in seconds under two minutes, else in minutes."""
    if seconds < 120:
        when = ngettext("%(n)d segundo", "%(n)d segundos", seconds) % {"n": seconds}
    else:
        minutes = math.ceil(seconds / 60)
        when = ngettext("%(n)d minuto", "%(n)d minutos", minutes) % {"n": minutes}
    return str(CODE_WAIT) % {"when": when}


def code_error(result: str) -> StrOrPromise:
    """The text for a code check that did not pass (the value of a `portal.codes.Check`)."""
    return {"wrong": CODE_WRONG, "locked": CODE_LOCKED}.get(result, CODE_EXPIRED)


# --- Second factor (portal.accounts.mfa) ---------------------------------------------------
SECOND_FACTOR_WRONG = _(
    "El código no es correcto. Escribe el código de 6 dígitos que muestra tu app en este momento."
)
RECOVERY_CODE_WRONG = _(
    "El código de recuperación no es correcto o ya se usó. Cada código sirve una sola vez."
)
CURRENT_FACTOR_WRONG = _(
    "El código no es correcto. Escribe el código de tu app o uno de tus códigos de recuperación."
)
SECOND_FACTOR_LOCKED = ngettext_lazy(
    "Por seguridad se bloquearon los códigos tras varios intentos fallidos. Inténtalo de "
    "nuevo en %(minutes)d minuto.",
    "Por seguridad se bloquearon los códigos tras varios intentos fallidos. Inténtalo de "
    "nuevo en %(minutes)d minutos.",
    "minutes",
)
SECOND_FACTOR_ADDED = _("Listo: tu segundo factor quedó activado.")
SECOND_FACTOR_REMOVED = _("El factor se eliminó de tu cuenta.")
SECOND_FACTOR_SKIPPED = _(
    "Puedes activar el segundo factor cuando quieras desde «Administra tu Usuario»."
)
RECOVERY_CODE_USED = ngettext_lazy(
    "Entraste con un código de recuperación; te queda %(count)d. Si perdiste tu app o tu "
    "llave de acceso, elimínala y agrega otra.",
    "Entraste con un código de recuperación; te quedan %(count)d. Si perdiste tu app o tu "
    "llave de acceso, elimínala y agrega otra.",
    "count",
)
