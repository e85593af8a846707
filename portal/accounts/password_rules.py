"""The password checklist and the password errors, both read from AUTH_PASSWORD_VALIDATORS.

The list shown before typing (ticked live by static/js/password-rules.js) and the messages
after a submit come from the validators the server applies, so a rule the settings add or
change reaches the page, the script and the errors at once, in our words ("tú"), never
Django's help texts ("Su contraseña no puede…").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext

from portal import texts
from portal.models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Rule:
    """One line of the checklist. `key` names the check static/js/password-rules.js runs
    (none: the script cannot check it and leaves it pending); `data` is what that check
    needs, written as the item's data-* attributes."""

    text: StrOrPromise
    key: str = ""
    data: tuple[tuple[str, str], ...] = ()


def checklist(user: User | None, *, with_current: bool = False) -> list[Rule]:
    """The rules a new password for `user` must meet, in AUTH_PASSWORD_VALIDATORS' order,
    then "the confirmation matches" and, when changing a password, "differs from it"."""
    validators = password_validation.get_default_password_validators()
    rules = [rule for validator in validators if (rule := _rule(validator, user, validators))]
    rules.append(Rule(texts.RULE_MATCH, "match"))
    if with_current:
        rules.append(Rule(texts.RULE_DIFFERENT, "different"))
    return rules


def validate_password(password: str, user: User | None) -> None:
    """Django's validate_password with our message for each rule it knows; a validator of
    another kind keeps its own."""
    errors = []
    for validator in password_validation.get_default_password_validators():
        try:
            validator.validate(password, user)
        except ValidationError as error:
            errors.append(_error(validator, error, password, user))
    if errors:
        raise ValidationError(errors)


def _shortest(validators: Sequence[object]) -> int:
    """The length every accepted password reaches (0 without a MinimumLengthValidator)."""
    lengths = [
        v.min_length
        for v in validators
        if isinstance(v, password_validation.MinimumLengthValidator)
    ]
    return max(lengths, default=0)


def _personal_data(
    user: User, validator: password_validation.UserAttributeSimilarityValidator
) -> dict[str, str]:
    """The user's values the validator compares, each with how the page names it ("tu
    nombre"); one value held by two attributes (a client's username is the email) is named
    once, by the later."""
    named: dict[str, str] = {}
    for attribute in validator.user_attributes:
        value = getattr(user, attribute, None)
        if value and isinstance(value, str):
            named[value.lower()] = str(_attribute_name(attribute))
    return named


def _attribute_name(attribute: str) -> StrOrPromise:
    if attribute in texts.PERSONAL_DATA:
        return texts.PERSONAL_DATA[attribute]
    try:
        return str(getattr(User._meta.get_field(attribute), "verbose_name", attribute))
    except FieldDoesNotExist:
        return attribute


def _list(names: list[str]) -> str:
    """ "tu usuario, tu nombre ni tu correo electrónico" (Django's get_text_list takes its
    comma from a catalogue whose Spanish drops the space)."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {gettext('ni')} {names[-1]}"


def _rule(validator: object, user: User | None, validators: Sequence[object]) -> Rule | None:
    if isinstance(validator, password_validation.MinimumLengthValidator):
        length = validator.min_length
        text = texts.RULE_LENGTH % {"min_length": length}
        return Rule(text, "length", (("min", str(length)),))
    if isinstance(validator, password_validation.NumericPasswordValidator):
        return Rule(texts.RULE_NOT_NUMERIC, "not-numeric")
    if isinstance(validator, password_validation.UserAttributeSimilarityValidator):
        named = _personal_data(user, validator) if user is not None else {}
        if not named:  # Django skips the check without a user or any of its values
            return None
        text = texts.RULE_NOT_PERSONAL % {
            "personal_data": _list(list(dict.fromkeys(named.values())))
        }
        data = (("values", "\n".join(named)), ("max-similarity", str(validator.max_similarity)))
        return Rule(text, "not-personal", data)
    if isinstance(validator, password_validation.CommonPasswordValidator):
        # Only the listed passwords the length rule lets through (all without one): the page
        # carries a few hundred words instead of 20,000, and a shorter candidate stays
        # "pendiente" until it is long enough to tell.
        shortest = _shortest(validators)
        words = sorted(word for word in validator.passwords if len(word) >= shortest)
        data = (("min", str(shortest)), ("words", "\n".join(words)))
        return Rule(texts.RULE_NOT_COMMON, "not-common", data)
    help_text = getattr(validator, "get_help_text", None)
    return Rule(help_text()) if help_text else None


def _error(
    validator: object, error: ValidationError, password: str, user: User | None
) -> ValidationError:
    code = error.code
    if code == "password_too_short":
        return ValidationError(texts.PASSWORD_TOO_SHORT, code=code, params=error.params)
    if code == "password_entirely_numeric":
        return ValidationError(texts.PASSWORD_ENTIRELY_NUMERIC, code=code)
    if code == "password_too_common":
        return ValidationError(texts.PASSWORD_TOO_COMMON, code=code)
    if (
        code == "password_too_similar"
        and user is not None
        and isinstance(validator, password_validation.UserAttributeSimilarityValidator)
    ):
        name = _similar_attribute(validator, password, user)
        return ValidationError(
            texts.PASSWORD_TOO_SIMILAR, code=code, params={"personal_data": name}
        )
    return error


def _similar_attribute(
    validator: password_validation.UserAttributeSimilarityValidator, password: str, user: User
) -> str:
    """How the page names the first attribute the password resembles ("tu nombre"): the
    validator's own check, one attribute at a time."""
    for attribute in validator.user_attributes:
        one = password_validation.UserAttributeSimilarityValidator(
            user_attributes=(attribute,), max_similarity=validator.max_similarity
        )
        try:
            one.validate(password, user)
        except ValidationError:
            return str(_attribute_name(attribute))
    return _list([str(_attribute_name(a)) for a in validator.user_attributes])
