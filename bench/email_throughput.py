"""How fast Alta's outbox delivers email, and whether a slow mail server slows a request.

`measure(services)` runs, against the Services' PostgreSQL and Redis, a real SMTP sink on
loopback (tests/helpers.py SmtpSink), a real `celery -A portal worker` (the deployed
command: prefork, one process per CPU) and gunicorn as bench/web_capacity.py starts it:

- worker: `count` emails written to the outbox (notifications.services.queue_email, which
  queues the rows' delivery on commit, one task per OUTBOX_BATCH_SIZE rows) in one
  transaction, as an admin action or a backlog does, timed from its commit until the sink
  holds them all: the worker's drain, not the writes, which are the web's work and would
  otherwise take the worker's CPU for their first second (timed apart, as
  worker_enqueue_s);
- worker, one row per transaction (`worker_each_*`): the same count written one row per
  transaction, as requests write them (one task per row, each taking the rows ready after
  it), timed from the first write until the sink holds them all, the writes included;
- plain loop: `django.core.mail.send_mail` `count` times in one process to the same sink,
  the same rendered message, one SMTP connection each as the worker opens;
- a request that causes an email ("¿Olvidaste tu contraseña?" of the agents' portal, POSTed
  to gunicorn), median response time with the sink answering at once and with it waiting
  `slow_smtp_seconds` before accepting each message: equal within noise, since the worker
  sends the email after the response.

The Django work (writing rows, the plain loop) runs in child processes of this module
(`python -m bench.email_throughput enqueue|plain N TAG`), so the caller's process needs no
Django settings and the sink, alone in this process, slows neither sender.
Run alone it starts its own servers and prints a table.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import servers  # noqa: E402

if TYPE_CHECKING:
    from tests.helpers import SmtpSink
    from tests.services import Services

RESET_PATH = "/agentes/contrasena/olvide/"
TEMPLATE = "solicitud_recibida"  # the agent's "request received": no secret, one name
CONTEXT = {"full_name": "ANA PEREZ"}
RESULT = "RESULT "  # the child's one line of figures on stdout (logs go to stderr)


def production_env(services: Services, *, smtp_port: int, database_url: str) -> dict[str, str]:
    """The environment of Alta's processes in this bench: production settings
    (bench/servers.py), the sink as mail server, one trusted proxy (so each
    request may come from an address of its own through X-Forwarded-For)."""
    env = servers.production_env(
        DATABASE_URL=database_url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        TRUSTED_PROXY_COUNT="1",
        PROMETHEUS_MULTIPROC_DIR=str(services.root / "prometheus-email"),
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)  # portal.settings, whatever the caller uses
    return env


def measure(
    services: Services,
    *,
    count: int = 500,
    requests: int = 20,
    slow_smtp_seconds: float = 2.0,
    database_url: str | None = None,
) -> dict[str, float]:
    """Worker vs plain-loop emails/s and request medians with a fast and a slow SMTP server.

    `services` must be started; `database_url` (default: DATABASE_URL, which Services sets)
    names an existing database, migrated here (migrate_locked: nothing to do if it is).
    Returns figures keyed with their unit: worker_emails_per_s, plain_emails_per_s,
    worker_to_plain_ratio, request_p50_ms_smtp_fast, request_p50_ms_smtp_slow, …
    """
    from tests.helpers import SmtpSink, manage
    from tests.services import free_port, stop_processes, wait_for_port

    began = time.monotonic()
    sink = SmtpSink()
    sink.controller.start()
    env = production_env(
        services, smtp_port=sink.port, database_url=database_url or os.environ["DATABASE_URL"]
    )
    log = services.root / "email-throughput.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in (("migrate_locked", "--noinput"), ("collectstatic", "--noinput")):
            done = manage(*command, env=env)
            assert done.returncode == 0, done.stderr
        with open(log, "ab") as output:  # the children keep their own descriptors
            # The deployed worker command (docker-compose.yml, docs/deploy.md): prefork, as
            # many processes as CPUs, INFO lines (one per attempt) written as in production.
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own command line
                    [sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO"],
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=output,
                )
            )
            port = free_port()
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own command line
                    servers.gunicorn_command("portal.wsgi:application", port),
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=output,
                )
            )
        tag = secrets.token_hex(4)  # this run's addresses: rate limits of an earlier run
        # Warm-up: the worker is up (its tasks waited in Redis), imported and connected.
        _child(env, "enqueue", 4, f"warm-{tag}")
        _wait_for(sink, f"-warm-{tag}@", 4, timeout=60)
        figures: dict[str, float] = {"emails": count, "worker_processes": os.cpu_count() or 1}
        figures.update(_worker_rate(sink, env, count, tag))
        figures.update(_worker_each_rate(sink, env, count, tag))
        figures.update(_plain_rate(sink, env, count, tag))
        figures["worker_to_plain_ratio"] = (
            figures["worker_emails_per_s"] / figures["plain_emails_per_s"]
        )
        wait_for_port(port)
        figures.update(_request_times(sink, port, requests, slow_smtp_seconds, tag))
        figures["measure_s"] = time.monotonic() - began
        return figures
    finally:
        stop_processes(processes)
        sink.delay = 0.0
        sink.controller.stop()


def _worker_rate(sink: SmtpSink, env: dict[str, str], count: int, tag: str) -> dict[str, float]:
    """`count` rows written by a child process in one transaction, timed from its commit
    (which queues their deliveries) until the sink holds them all."""
    child = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "bench.email_throughput", "enqueue", str(count), f"w-{tag}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    stdout, _ = child.communicate(timeout=60)
    assert child.returncode == 0, "the enqueuing child failed"
    written = _result(stdout.decode())
    last = _wait_for(sink, f"-w-{tag}@", count, timeout=60)
    elapsed = last - written["started"]
    return {
        "worker_elapsed_s": elapsed,
        "worker_emails_per_s": count / elapsed,
        "worker_enqueue_s": written["elapsed"],
    }


def _worker_each_rate(
    sink: SmtpSink, env: dict[str, str], count: int, tag: str
) -> dict[str, float]:
    """`count` rows written by a child process one per transaction, each queued as it
    commits, timed from the first write until the sink holds them all."""
    written = _child(env, "enqueue-each", count, f"e-{tag}")
    last = _wait_for(sink, f"-e-{tag}@", count, timeout=60)
    return {"worker_each_emails_per_s": count / (last - written["started"])}


def _plain_rate(sink: SmtpSink, env: dict[str, str], count: int, tag: str) -> dict[str, float]:
    """`send_mail` `count` times in a child process, timed by the child."""
    sent = _child(env, "plain", count, f"p-{tag}")
    _wait_for(sink, f"-p-{tag}@", count, timeout=30)
    return {"plain_elapsed_s": sent["elapsed"], "plain_emails_per_s": count / sent["elapsed"]}


def _request_times(
    sink: SmtpSink, port: int, requests: int, slow_smtp_seconds: float, tag: str
) -> dict[str, float]:
    """Response times of the password-reset POST, each from an address and for an email of
    its own (the limits: 20/h per address, 3/h per email), with a fast then a slow sink."""
    cookie, token = reset_form_csrf(port)
    marker = f"-r-{tag}@"
    sequence = iter(range(10_000))

    def post() -> float:
        n = next(sequence)
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = f"csrfmiddlewaretoken={token}&email={n}-r-{tag}%40ejemplo.test"
        conn.request(
            "POST",
            RESET_PATH,
            body=body,
            headers={
                "Host": "127.0.0.1",
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
                "X-Forwarded-For": f"10.{n // 250 % 250}.{n % 250}.{int(tag[:2], 16) % 250 + 1}",
                "Accept-Language": "es-MX",
            },
        )
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 302, f"password reset answered {response.status}"
        return (time.monotonic() - started) * 1000

    figures: dict[str, float] = {"smtp_slow_delay_s": slow_smtp_seconds}
    for _ in range(2):  # warm-up: this view's first request in each gunicorn worker
        post()
    _wait_for(sink, marker, 2, timeout=30)
    for name, delay in (("fast", 0.0), ("slow", slow_smtp_seconds)):
        sink.delay = delay
        times = sorted(post() for _ in range(requests))
        figures[f"request_p50_ms_smtp_{name}"] = statistics.median(times)
        figures[f"request_max_ms_smtp_{name}"] = times[-1]
        if name == "fast":  # its emails out before the server slows down
            _wait_for(sink, marker, 2 + requests, timeout=30)
        else:
            # How many were out when the last response came: with the worker sending, few.
            figures["slow_emails_sent_by_last_response"] = _delivered(sink, marker) - 2 - requests
    sink.delay = 0.0
    # Every POST did cause an email: the ones held by the slow server arrive once it is fast.
    _wait_for(sink, marker, 2 + 2 * requests, timeout=30 + slow_smtp_seconds * 4)
    return figures


def reset_form_csrf(port: int) -> tuple[str, str]:
    """The CSRF cookie and the form's token from one GET of the reset page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", RESET_PATH, headers={"Host": "127.0.0.1", "Accept-Language": "es-MX"})
    response = conn.getresponse()
    page = response.read().decode()
    conn.close()
    assert response.status == 200, f"{RESET_PATH} answered {response.status}"
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert cookie and token, "no CSRF cookie or token on the reset page"
    return cookie.group(1), token.group(1)


def _delivered(sink: SmtpSink, marker: str) -> int:
    """Messages in the sink whose recipient holds `marker` (one batch of this run)."""
    return sum(1 for message in list(sink.messages) if marker in message["To"])


def _wait_for(sink: SmtpSink, marker: str, count: int, *, timeout: float) -> float:
    """Poll until the sink holds `count` messages for `marker`; returns time.time() then."""
    deadline = time.monotonic() + timeout
    while _delivered(sink, marker) < count:
        if time.monotonic() > deadline:
            got = _delivered(sink, marker)
            raise TimeoutError(f"{got} of {count} emails for {marker!r} after {timeout} s")
        time.sleep(0.005)
    return time.time()


def _child(env: dict[str, str], action: str, count: int, tag: str) -> dict[str, float]:
    """Run `action` of this module in a Django process of its own; its figures."""
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "bench.email_throughput", action, str(count), tag],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _result(done.stdout)


def _result(stdout: str) -> dict[str, float]:
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith(RESULT))
    figures: dict[str, float] = json.loads(line[len(RESULT) :])
    return figures


def child_main(action: str, count: int, tag: str) -> None:
    """In a child: `enqueue` writes `count` outbox rows, `plain` calls send_mail `count`
    times; prints the start time (time.time()) and the seconds taken."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.conf import settings
    from django.core.mail import send_mail
    from django.db import transaction
    from django.template.loader import render_to_string

    from notifications.services import queue_email

    if action == "enqueue":
        began = time.time()
        with transaction.atomic():  # each row's delivery is queued as this commits
            for n in range(count):
                queue_email(f"{n}-{tag}@ejemplo.test", TEMPLATE, CONTEXT)
            started = time.time()
        print(RESULT + json.dumps({"started": started, "elapsed": started - began}))
        return
    elif action == "enqueue-each":
        began = time.time()
        for n in range(count):  # autocommit: each row its own transaction, queued at once
            queue_email(f"{n}-{tag}@ejemplo.test", TEMPLATE, CONTEXT)
        print(RESULT + json.dumps({"started": began, "elapsed": time.time() - began}))
        return
    elif action == "plain":
        # The worker's message: the same templates and context, text and HTML parts.
        context = {"brand": settings.PORTAL_BRAND, "call_center": settings.CALL_CENTER_PHONE}
        context.update(CONTEXT)
        subject = " ".join(render_to_string(f"emails/{TEMPLATE}_subject.txt", context).split())
        text = render_to_string(f"emails/{TEMPLATE}.txt", context)
        html = render_to_string(f"emails/{TEMPLATE}.html", context)
        started = time.time()
        for n in range(count):
            send_mail(
                subject,
                text,
                settings.DEFAULT_FROM_EMAIL,
                [f"{n}-{tag}@ejemplo.test"],
                html_message=html,
            )
    else:
        raise SystemExit(f"unknown action {action!r}")
    print(RESULT + json.dumps({"started": started, "elapsed": time.time() - started}))


def report(figures: dict[str, Any]) -> None:
    """The figures as a two-column table."""
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{key:{width}}  {shown:>10}")


def main() -> None:
    """Start PostgreSQL and Redis of our own, measure, print the table."""
    from tests.services import Services

    services = Services()
    services.start()
    try:
        if services.postgres:
            services.postgres.create_database()
        report(measure(services))
    finally:
        services.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4:
        child_main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    else:
        main()
