"""Database sessions whose idle timeout slides without a write on every request, and that a
GET reads from Redis.

`SESSION_SAVE_EVERY_REQUEST` slides the 30-minute idle timeout by saving the session on
every request that has one: an UPDATE and a COMMIT for each page a signed-in person or a
wizard in progress reads, which was most of the cost of a wizard step's GET. Here the
session is saved when it changed, as Django does by default, and otherwise once its row's
expiry is more than `SESSION_RENEW_AFTER_SECONDS` old, so the timeout still ends 30 idle
minutes after the last request, give or take that minute.

The row stays the session; Redis keeps a copy (Django's `cached_db` idea, with two limits):

- Only a GET or HEAD reads the copy. A POST reads the row, so what a POST decides on (a
  wizard's step, a code checked) never comes from a copy that a Redis failover or an outage
  left behind; its save writes the row and then the copy. A GET that changes a session it
  read from a copy first checks the copy is still the row (one SELECT): a stale copy is
  dropped with the GET's change instead of being written over the row.
- Only a session without a signed-in user has a copy. A signed-in one is always read from
  its row: a sign-out deletes the row, and a copy whose deletion failed while Redis did not
  answer must not sign anyone back in when it answers again.

A Redis that does not answer costs one timeout per process and period (portal.redis_health):
meanwhile sessions are read from and written to their rows only. The copy's key is a digest
of the session key, so a reader of Redis's key names learns no cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from formtools.wizard.storage.session import SessionStorage

from portal import redis_health

COPY_PREFIX = "alta.session."


def _copy_key(session_key: str) -> str:
    return COPY_PREFIX + hashlib.sha256(session_key.encode()).hexdigest()


class SessionStore(DatabaseSessionStore):
    """Django's database store that remembers the expiry of the row it read, and keeps a copy
    in Redis for GETs (see the module's docstring)."""

    expire_date: datetime | None = None
    # Set by RenewIdleSessionMiddleware for a GET or HEAD, before the session is read.
    read_copy = False
    # The copy this request read (serialized), while it has not been saved since.
    _copy_read: bytes | None = None

    def load(self) -> dict[str, Any]:
        if self.read_copy and self.session_key:
            key = self.session_key
            copy = redis_health.with_redis_cache(lambda cache: cache.get(_copy_key(key)))
            fresh = isinstance(copy, dict) and isinstance(copy.get("data"), bytes)
            if fresh and copy["expires"] > timezone.now():
                self.expire_date = copy["expires"]
                self._copy_read = copy["data"]
                data: dict[str, Any] = self.serializer().loads(copy["data"])
                return data
        data = super().load()
        if self.session_key and data:
            self._copy(self.session_key, data)
        return data

    def _get_session_from_db(self) -> Any:
        row = super()._get_session_from_db()  # type: ignore[misc]  # not in django-stubs
        self.expire_date = row.expire_date if row is not None else None
        return row

    def save(self, must_create: bool = False) -> None:
        if self._copy_read is not None and not must_create and self._copy_is_stale():
            # A GET changed a session read from a copy that is not its row any more: its
            # change is dropped, never written over the row, and so is the copy.
            self._drop_copy(self.session_key)
            return
        self._copy_read = None
        super().save(must_create=must_create)
        if self.session_key:
            self.expire_date = self.get_expiry_date()
            data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]  # not in django-stubs
            self._copy(self.session_key, data)

    def _copy_is_stale(self) -> bool:
        """Whether the row now holds something else than the copy this request read."""
        row = (
            self.model.objects.filter(session_key=self.session_key, expire_date__gt=timezone.now())
            .only("session_data")
            .first()
        )
        read = self.serializer().loads(self._copy_read or b"{}")
        return row is None or self.decode(row.session_data) != read

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        self._drop_copy(key)

    @staticmethod
    def _drop_copy(session_key: str | None) -> None:
        if session_key:
            redis_health.with_redis_cache(lambda cache: cache.delete(_copy_key(session_key)))

    def _copy(self, session_key: str, data: dict[str, Any]) -> None:
        """Copy the session to Redis, or drop the copy when it must not have one."""
        if SESSION_KEY in data:
            self._drop_copy(session_key)
            return
        expires = self.expire_date or self.get_expiry_date()
        timeout = int((expires - timezone.now()).total_seconds())
        if timeout > 0:
            copy = {"data": self.serializer().dumps(data), "expires": expires}
            redis_health.with_redis_cache(
                lambda cache: cache.set(_copy_key(session_key), copy, timeout)
            )


class RenewIdleSessionMiddleware:
    """Marks a read, unchanged session for saving once its expiry is a minute old.

    Goes right after SessionMiddleware, so that its answer is seen before the session is
    saved. A session nobody read (a static file) is not loaded for this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if isinstance(session, SessionStore) and request.method in {"GET", "HEAD"}:
            session.read_copy = True  # a GET only shows: it may read Redis's copy
        response = self.get_response(request)
        if session is None or session.modified or not session.accessed:
            return response
        expires = getattr(session, "expire_date", None)
        if expires is not None:
            renew_before = timedelta(
                seconds=settings.SESSION_COOKIE_AGE - settings.SESSION_RENEW_AFTER_SECONDS
            )
            if expires - timezone.now() < renew_before:
                session.modified = True
        return response


class WizardSessionStorage(SessionStorage):  # type: ignore[misc]
    """formtools' session storage, saved only when the wizard changed something.

    formtools marks the session modified on every read of its data, so every wizard request,
    a GET of a step included, wrote the session row; here only its writes mark it."""

    def _get_data(self) -> Any:
        return self.request.session[self.prefix]

    def _set_data(self, value: Any) -> None:
        self.request.session[self.prefix] = value  # marks the session modified

    data = property(_get_data, _set_data)

    def _changed(self) -> None:
        self.request.session.modified = True

    def show_step(self, step: str) -> None:
        """The step a GET shows, for this request only: saved only if something else is."""
        self.data[self.step_key] = step

    def _set_current_step(self, step: str | None) -> None:
        if self.data[self.step_key] != step:
            super()._set_current_step(step)
            self._changed()

    def _set_extra_data(self, extra_data: dict[str, Any]) -> None:
        super()._set_extra_data(extra_data)
        self._changed()

    def set_step_data(self, step: str, cleaned_data: Any) -> None:
        super().set_step_data(step, cleaned_data)
        self._changed()

    def set_step_files(self, step: str, files: Any) -> None:
        super().set_step_files(step, files)
        self._changed()
