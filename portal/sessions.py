"""Database sessions whose idle timeout slides without a write on every request.

`SESSION_SAVE_EVERY_REQUEST` slides the 30-minute idle timeout by saving the session on
every request that has one: an UPDATE and a COMMIT for each page a signed-in person or a
wizard in progress reads, which was most of the cost of a wizard step's GET. Here the
session is saved when it changed, as Django does by default, and otherwise once its row's
expiry is more than `SESSION_RENEW_AFTER_SECONDS` old, so the timeout still ends 30 idle
minutes after the last request, give or take that minute.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from formtools.wizard.storage.session import SessionStorage


class SessionStore(DatabaseSessionStore):
    """Django's database store that remembers the expiry of the row it read."""

    expire_date: datetime | None = None

    def _get_session_from_db(self) -> Any:
        row = super()._get_session_from_db()  # type: ignore[misc]  # not in django-stubs
        self.expire_date = row.expire_date if row is not None else None
        return row


class RenewIdleSessionMiddleware:
    """Marks a read, unchanged session for saving once its expiry is a minute old.

    Goes right after SessionMiddleware, so that its answer is seen before the session is
    saved. A session nobody read (a static file) is not loaded for this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
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
