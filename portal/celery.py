import os
from contextvars import Token
from typing import Any

from celery import Celery, Task, signals

from portal.logging import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery ships no types: its decorators carry `# type: ignore[untyped-decorator]`.


@signals.worker_init.connect  # type: ignore[untyped-decorator]
def manage_database_connections_per_task(**_: Any) -> None:
    """In a worker, each task is treated as Django treats a request: the connection is kept
    as DATABASES says (CONN_MAX_AGE, CONN_HEALTH_CHECKS) instead of Celery's closing it after
    every task (CELERY_DB_REUSE_MAX): opening one per task cost more than sending an email."""
    signals.task_prerun.connect(close_old_database_connections)
    signals.task_postrun.connect(close_old_database_connections)


def close_old_database_connections(sender: Task | None = None, **_: Any) -> None:
    """What Django does around each request: drop a connection past its age, left in a
    transaction or broken by an error, and check the kept one again before its next use."""
    from django.db import close_old_connections

    if sender is not None and sender.request.is_eager:  # run inside a caller's transaction
        return
    close_old_connections()


# The header that carries the id of the request that queued a task, so the worker's lines
# for that task (its email attempt) lead back to the request's.
REQUEST_ID_HEADER = "request_id"
_request_id_tokens: dict[str, Token[str]] = {}


@signals.before_task_publish.connect  # type: ignore[untyped-decorator]
def send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Adds the current request's id to the task's headers."""
    current = request_id.get()
    if current and headers is not None:
        headers[REQUEST_ID_HEADER] = current


@signals.task_prerun.connect  # type: ignore[untyped-decorator]
def take_request_id(task_id: str = "", task: Task | None = None, **_: Any) -> None:
    """In the worker: the task's lines carry the id its message brought (an eager task
    already runs inside the request, with its id)."""
    carried = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    if carried and isinstance(carried, str):
        _request_id_tokens[task_id] = request_id.set(carried)


@signals.task_postrun.connect  # type: ignore[untyped-decorator]
def drop_request_id(task_id: str = "", **_: Any) -> None:
    """The next task on this worker does not inherit the id."""
    token = _request_id_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)
