"""Who signs in where: each portal's accounts, back office only at /admin/; and the end of a
user's other sessions (after an email change, a second factor's reset, an ARCO decision)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db.models import QuerySet
from django.utils import timezone

if TYPE_CHECKING:
    from portal.accounts import AccountConfig
    from portal.models import User


def is_back_office(user: User) -> bool:
    """Staff and superusers, whatever their `kind`: they sign in only at /admin/."""
    return user.kind == user.Kind.STAFF or user.is_staff or user.is_superuser


def portal_accounts(config: AccountConfig) -> QuerySet[User]:
    """The accounts that exist for `config`'s portal: its kind, no back-office account (to
    its login, reset and code forms any other is an unknown name)."""
    return get_user_model().objects.filter(
        kind=config.user_kind, is_staff=False, is_superuser=False
    )


def signs_in_elsewhere(*, username: str, user_kind: str) -> bool:
    """True when `username` (exactly, as ModelBackend looks it up) names an account that
    does not sign in to the portal of `user_kind`: a back-office one, or another portal's."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    return user is not None and (user.kind != user_kind or is_back_office(user))


def end_other_sessions(user: User, *, keep_session_key: str | None) -> int:
    """Delete every stored session of `user` except `keep_session_key`; returns how many.
    A thief's session must not outlive the change; sessions are kept in the database
    (Django's db or cached_db engine), whose rows are read here."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model = store.get_model_class()
    ended = 0
    for row in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        if row.session_key == keep_session_key:
            continue
        if str(row.get_decoded().get(SESSION_KEY)) == str(user.pk):
            store(session_key=row.session_key).delete()  # clears the cache copy too
            ended += 1
    return ended
