"""Log lines as JSON, one object a line, timed in UTC, each carrying the id of the request
it was written for: Django, our apps, gunicorn and Celery all log through `JsonFormatter`
(LOGGING in settings, `gunicorn.conf.py`)."""

from __future__ import annotations

import logging
import re
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
    stderr handler in `log_format` ("json" or "text") with the request id on every record."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.logging.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "portal.logging.JsonFormatter"},
            "text": {"()": "portal.logging.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["console"], "level": root_level},
        "loggers": {},
    }
