"""Log lines as JSON, one object a line, timed in UTC, each carrying the id of the request
it was written for: Django, our apps, gunicorn and Celery all log through `JsonFormatter`
(LOGGING in settings, `gunicorn.conf.py`)."""

from __future__ import annotations

import logging
import re
import socket
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

# The request being served by this thread (or task): set by portal.middleware.AccessLogMiddleware.
request_id: ContextVar[str] = ContextVar("request_id", default="")

# An incoming X-Request-ID is kept only when it is an id (a proxy's uuid or hex): anything
# else could forge log lines or carry a long text into every line of the request.
_SAFE_REQUEST_ID = re.compile(r"[0-9A-Fa-f-]{1,64}")


def incoming_or_new_request_id(header: str | None) -> str:
    """The proxy's X-Request-ID when it looks like an id, else a new one."""
    if header and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record written while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get() or None
        return True


# PostgreSQL's DETAIL repeats the values a constraint refused, a person's email among them:
# `Key (email)=(ana@…) already exists.`, `Failing row contains (7, ana@…, …).`
_ROW_DETAIL = re.compile(r"(Failing row contains \().*(\))", re.M)
_KEY_DETAIL = re.compile(r"(Key \((?:[^()]|\([^()]*\))*\)=\().*(\))", re.M)
REDACTED = "***"  # ASCII: JSON lines would show "…" as \u2026


def redact_database_details(text: str) -> str:
    """`text` with the values of PostgreSQL's DETAIL lines replaced; constraint and column
    names kept, so the line still says what was refused."""
    if "Failing row" not in text and "Key (" not in text:  # every line passes here: be quick
        return text
    text = _ROW_DETAIL.sub(rf"\g<1>{REDACTED}\g<2>", text)
    return _KEY_DETAIL.sub(rf"\g<1>{REDACTED}\g<2>", text)


class PersonalDataFilter(logging.Filter):
    """Redacts database error details in a record's message and in its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format is the formatter's to report
            return True
        redacted = redact_database_details(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatted here, once: every formatter then prints the redacted text it finds.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text = redact_database_details(record.exc_text)
            if text != record.exc_text:
                record.exc_text, record.exc_info = text, None
        return True


def _connection_errors() -> tuple[type[BaseException], ...]:
    """What a broker, cache or network outage raises (Python's, redis-py's and kombu's)."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror]
    try:
        from kombu.exceptions import OperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - both come with Celery's Redis transport
        return tuple(found)
    return (*found, RedisConnectionError, RedisTimeoutError, OperationalError)


def _outage(error: BaseException | None) -> BaseException | None:
    """The connection error in `error`'s chain (itself, its cause or its context), if any."""
    kinds = _connection_errors()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kinds):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


class ConnectionErrorFilter(logging.Filter):
    """A connection error's record becomes one short line, `<message> (Kind: text)`, without
    its traceback: during an outage Celery and kombu log one per retry, 15 KB each."""

    MESSAGE_CHARS = 200

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info:
            return True
        error = _outage(record.exc_info[1])
        if error is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format is the formatter's to report
            message = str(record.msg)
        first_line = message.strip().split("\n", 1)[0][: self.MESSAGE_CHARS]
        reason = (str(error).strip().split("\n", 1)[0] or "-")[: self.MESSAGE_CHARS]
        # The error's text is often in the message already: then its kind is enough.
        detail = (
            type(error).__name__ if reason in first_line else f"{type(error).__name__}: {reason}"
        )
        record.msg = f"{first_line} ({detail})"
        record.args, record.exc_info, record.exc_text, record.stack_info = (), None, None, None
        return True


class JsonFormatter(_JsonFormatter):
    """`{"time": "…Z", "level", "logger", "message", …extra}`. `request` and `server_time`
    (what Django adds to its request and runserver records) are left out: the request's
    repr carries the query string, which may carry a token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # The time first and in UTC whatever TIME_ZONE says (Django sets the process's TZ to
        # it, which put Celery's lines in Mexico City time and gunicorn's in UTC).
        log_data["time"] = (
            datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        ).replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)
        if log_data.get("request_id") is None:
            log_data.pop("request_id", None)


class TextFormatter(logging.Formatter):
    """For a developer's terminal (`LOG_FORMAT=text`): the same fields, in UTC, on one line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))


def console_logging(log_format: str, *, root_level: str = "INFO") -> dict[str, Any]:
    """The dictConfig shared by Django (settings.LOGGING) and gunicorn (gunicorn.conf.py): one
    stderr handler in `log_format` ("json" or "text"), the request id on every record, no
    personal data from database errors, one line per connection error."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "portal.logging.RequestIdFilter"},
            "connection_errors": {"()": "portal.logging.ConnectionErrorFilter"},
            "personal_data": {"()": "portal.logging.PersonalDataFilter"},
        },
        "formatters": {
            "json": {"()": "portal.logging.JsonFormatter"},
            "text": {"()": "portal.logging.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                # In this order: an outage's traceback is dropped before any is redacted.
                "filters": ["request_id", "connection_errors", "personal_data"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["console"], "level": root_level},
        "loggers": {},
    }
