"""What an operator meets (issue 19, "Operations"): production refuses placeholder secrets and a
mail catcher, log lines carry no personal data from database errors and one line per
connection error, the worker's lines carry the request's id, and an unwritable var/ stops
the embedded mode with one line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
import uuid

import pytest
import redis
from django.db import IntegrityError, connection, transaction
from django.test import Client
from kombu.exceptions import OperationalError

from agents.models import Role
from portal.checks import is_mail_catcher, is_placeholder
from tests.helpers import ROOT, RequestWizard, current_database_url, fresh_env, manage, wait_until
from tests.services import free_port, stop_processes

SHOW_DEBUG = "from django.conf import settings; print(settings.DEBUG)"


def production(tmp_path, **overrides: str) -> dict[str, str]:
    """A production process's environment with real-looking values (no trial relaxations)."""
    variables = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "alta.example.com",
        "PORTAL_BASE_URL": "https://alta.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.sqlite3'}",
        "EMAIL_HOST": "smtp.proveedor.test",
        "EMAIL_PORT": "587",
        "ALLOW_MAIL_CATCHER": "",
        **overrides,
    }
    return fresh_env(tmp_path, **variables)


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return manage("shell", "--no-imports", "-c", SHOW_DEBUG, env=env)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The line an operator reads in the logs of a process that refused to start."""
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


# --- Placeholder secrets and mail catchers ---------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["REPLACE-ME", "replace-me", "prefix-Replace_Me-suffix", "", "  ", '""', "''",
     "<50+ random characters>", "<random>", "change-me", "CHANGEME", "the-provider-password"],
)  # fmt: skip
def test_placeholders_empty_looking_and_example_values_are_not_secrets(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", [uuid.uuid4().hex * 2, "tests-only-" + "x" * 40, "k" * 50])
def test_random_values_are_secrets(value):
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [("REPLACE-ME", "is a placeholder"), ("<50+ random characters>", "is a placeholder"),
     ("  ", "is not set")],
)  # fmt: skip
def test_production_refuses_a_placeholder_secret_key_in_one_line(tmp_path, value, reason):
    line = refusal(start(production(tmp_path, DJANGO_SECRET_KEY=value)))
    assert line.startswith(
        f"django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY {reason}"
    )


def test_production_refuses_a_placeholder_metrics_token_and_allows_none(tmp_path):
    line = refusal(start(production(tmp_path, METRICS_TOKEN="REPLACE-ME")))
    assert "ImproperlyConfigured: METRICS_TOKEN is a placeholder" in line
    unset = start(production(tmp_path, METRICS_TOKEN=""))
    assert unset.returncode == 0, unset.stderr
    real = start(production(tmp_path, METRICS_TOKEN=uuid.uuid4().hex))
    assert real.returncode == 0, real.stderr


@pytest.mark.parametrize(
    ("host", "port"), [("mailpit", "1025"), ("MailHog", "1025"), ("127.0.0.1", "1025"),
                       ("localhost", "1025"), ("smtp4dev", "25")],
)  # fmt: skip
def test_mail_catchers_are_recognised(host, port):
    assert is_mail_catcher(host, int(port))


def test_a_real_smtp_server_is_not_a_catcher():
    assert not is_mail_catcher("smtp.proveedor.test", 587)
    assert not is_mail_catcher("127.0.0.1", 25)  # a local relay (postfix) delivers


def test_production_refuses_no_email_host_or_a_catcher_unless_a_trial_says_so(tmp_path):
    unset = refusal(start(production(tmp_path, EMAIL_HOST="")))
    assert "ImproperlyConfigured: EMAIL_HOST is not set" in unset
    catcher = refusal(start(production(tmp_path, EMAIL_HOST="mailpit", EMAIL_PORT="1025")))
    assert "ImproperlyConfigured: EMAIL_HOST=mailpit:1025 is a mail catcher" in catcher
    trial = start(production(tmp_path, EMAIL_HOST="mailpit", ALLOW_MAIL_CATCHER="1"))
    assert trial.returncode == 0, trial.stderr
    provider = start(production(tmp_path))
    assert provider.returncode == 0, provider.stderr
    assert provider.stdout.strip() == "False"


def test_check_deploy_reports_the_same_where_debug_let_the_settings_load(tmp_path):
    env = production(
        tmp_path, DJANGO_DEBUG="1", DJANGO_SECRET_KEY="REPLACE-ME", EMAIL_HOST="",
        METRICS_TOKEN="replace-me", PORTAL_BASE_URL="",
    )  # fmt: skip
    result = manage("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    for check_id in ("alta.W001", "alta.W002", "alta.W004", "alta.W006"):
        assert check_id in output, output
    clean = manage("check", "--deploy", env=production(tmp_path, DJANGO_DEBUG="1"))
    assert "alta.W" not in clean.stdout + clean.stderr


def test_the_embedded_mode_still_starts_without_any_variable(tmp_path):
    result = start(fresh_env(tmp_path, ALLOW_MAIL_CATCHER=""))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


# --- An unwritable var/ -----------------------------------------------------------------------


def test_an_unwritable_var_folder_stops_the_embedded_mode_with_one_line(tmp_path):
    # As root a read-only mode is no obstacle; a file where the folder should be is, for anyone.
    in_the_way = tmp_path / "var"
    in_the_way.write_text("not a folder")
    result = manage("check", env=fresh_env(tmp_path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(in_the_way) in lines[0] and "ALTA_VAR_DIR" in lines[0]


# --- Log lines --------------------------------------------------------------------------------


def console_handler() -> logging.Handler:
    """The handler LOGGING installed on the root logger: what every process writes through."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return handler


def written(record: logging.LogRecord) -> str:
    """The record as the configured handler writes it (its filters, then its formatter)."""
    handler = console_handler()
    assert handler.filter(record)
    return handler.format(record)


def error_record(message: str, *args: object) -> logging.LogRecord:
    """An ERROR record with the exception being handled, as `log.exception` makes it."""
    return logging.getLogger("django.request").makeRecord(
        "django.request", logging.ERROR, __file__, 1, message, args, sys.exc_info()
    )


@pytest.mark.django_db
def test_database_error_details_reach_the_log_without_the_persons_data():
    email = "ana.privada@ejemplo.test"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE alta_log_probe (email text NOT NULL "
            "CONSTRAINT alta_log_probe_email_key UNIQUE, rfc text NOT NULL)"
        )
        cursor.execute("INSERT INTO alta_log_probe VALUES (%s, 'PEMA800101AB1')", [email])
        lines = []
        for statement in ("INSERT INTO alta_log_probe VALUES (%s, 'X')",
                          "INSERT INTO alta_log_probe VALUES (%s, NULL)"):  # fmt: skip
            try:
                with transaction.atomic():
                    cursor.execute(statement, [email.upper() if "NULL" in statement else email])
            except IntegrityError as error:
                lines.append(written(error_record("Could not save: %s", error)))
    unique, not_null = [json.loads(line) for line in lines]
    assert "Key (email)=(***) already exists" in unique["message"]
    assert "Key (email)=(***) already exists" in unique["exc_info"]
    assert "alta_log_probe_email_key" in unique["message"]  # what was refused is still said
    assert "Failing row contains (***)" in not_null["exc_info"]
    assert 'null value in column "rfc"' in not_null["message"]
    for line in lines:
        assert "Traceback" in json.loads(line)["exc_info"]  # the traceback is still there
        assert email not in line.lower()


def refused_connection() -> redis.exceptions.ConnectionError:
    """The error redis-py raises while the broker is down (a port nobody listens on)."""
    client = redis.Redis(port=free_port(), socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        return error
    raise AssertionError("something answered on a free port")


def test_a_connection_error_is_one_short_line_without_its_traceback():
    try:
        try:
            raise refused_connection()
        except redis.exceptions.ConnectionError as error:
            raise OperationalError(str(error)) from error
    except OperationalError as error:
        # celery.beat's own words: the error and the whole stack, then the traceback again.
        record = error_record("Message Error: %s\n%s", error, traceback.format_stack())
    line = written(record)
    assert "\n" not in line
    assert len(line.encode()) < 500, line
    fields = json.loads(line)
    assert fields["message"].startswith("Message Error: Error 111 connecting to")
    assert fields["message"].endswith("Connection refused. (OperationalError)")
    assert "exc_info" not in fields


def test_another_error_keeps_its_traceback():
    try:
        raise KeyError("sin-conexion-no")
    except KeyError:
        record = error_record("Internal Server Error: %s", "/x/")
    fields = json.loads(written(record))
    assert "Traceback" in fields["exc_info"] and "KeyError" in fields["exc_info"]


# --- The request id in the worker's lines -----------------------------------------------------


@pytest.mark.worker
def test_the_worker_line_of_an_email_carries_the_id_of_the_request_that_queued_it(
    transactional_db, make_agent, smtp_sink, tmp_path
):
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": current_database_url(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_sink.port),
        "LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
               "--loglevel=INFO", "--without-gossip", "--without-mingle",
               "--without-heartbeat"]  # fmt: skip
    with open(log, "ab") as output:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        rid = uuid.uuid4().hex
        Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
        agent = make_agent()
        wizard = RequestWizard(Client(headers={"X-Request-ID": rid}))
        response = wizard.send(wizard.walk_to_submit(agent), email=agent.email)
        assert "Solicitud enviada" in response.text

        def attempt_line() -> dict | None:
            for text in log.read_text().splitlines():
                if text.startswith("{") and "Outbox email" in text and "attempt" in text:
                    return json.loads(text)
            return None

        line = wait_until(attempt_line, timeout=60, what="the worker's attempt line")
        assert line["outcome"] == "sent"  # the log's outcome words stay English
        assert line["request_id"] == rid
    finally:
        stop_processes([worker])
