import os
from typing import Any

from celery import Celery, Task, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
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
