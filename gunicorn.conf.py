"""gunicorn's settings, read from the working directory by default: its own lines (start, stop,
worker timeouts) as JSON in UTC through the app's formatter (portal.logging), and the
Prometheus counts of several workers added up (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from portal.logging import console_logging

_JSON = os.environ.get("LOG_FORMAT", "json").strip().lower() != "text"

# The application writes the access line (portal.middleware.AccessLogMiddleware), with the
# request id and without the query string, which gunicorn's own access line would carry
# (tokens included). GUNICORN_ACCESS_LOG=1 adds gunicorn's too, path without query string.
_GUNICORN_ACCESS = os.environ.get("GUNICORN_ACCESS_LOG", "").strip().lower() in {"1", "true"}
access_log_format = "%(m)s %(U)s %(s)s %(M)s ms"

logconfig_dict: dict[str, Any] = {
    **console_logging("json" if _JSON else "text"),
    # No handlers of their own: they reach the root's, which Django's LOGGING replaces in
    # each worker with the same format, so every line is written once.
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {
            "level": "INFO" if _GUNICORN_ACCESS else "WARNING",
            "handlers": [],
            "propagate": True,
        },
    },
}


def on_starting(server: Any) -> None:
    """Counts left by a previous run would be added to this one's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits leaves its counts (they still add up) but no live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
