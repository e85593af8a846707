"""docker-compose.yml cannot rot (issue 13 §3): no container engine runs here, so the file is
validated against the Compose specification offline, and each service's own command and
healthcheck, read from the file, are run against the suite's PostgreSQL and Redis: three
`migrate` at once on a fresh database, web's gunicorn, the worker and beat."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests import helpers
from tests.helpers import ROOT, fresh_env, manage
from tests.services import free_port, wait_for_port

COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "beat")
# What an operator must provide (compose refuses to start without them: `${VAR:?...}`).
OPERATOR = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "alta.example.com",
    "PORTAL_BASE_URL": "https://alta.example.com",
    "PRIVACY_RESPONSIBLE_NAME": "Aseguradora Ejemplo, S.A. de C.V.",
    "PRIVACY_RESPONSIBLE_ADDRESS": "Avenida Ejemplo 123, Ciudad de México",
    "PRIVACY_CONTACT_EMAIL": "privacidad@alta.example.com",
    "POSTGRES_PASSWORD": secrets.token_hex(16),
    "EMAIL_HOST": "smtp.proveedor.test",
}
INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?:(:-|:\?)([^}]*))?\}")


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`, as `docker compose`
    resolves them; a missing required variable raises, as compose refuses to start."""

    def resolve(found: re.Match[str]) -> str:
        if found.group(0) == "$$":
            return "$"
        name, how, rest = found.groups()
        value = variables.get(name, "")
        if value:
            return value
        if how == ":?":
            raise LookupError(f"{name}: {rest}")
        return rest or ""

    return INTERPOLATION.sub(resolve, text)


def compose(variables: dict[str, str] | None = None) -> dict:
    """The compose file as `docker compose config` would see it with these variables (read
    as YAML first, then each string interpolated, as compose does)."""

    def walk(node):
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return interpolate(node, variables or {}) if isinstance(node, str) else node

    return walk(yaml.safe_load(COMPOSE.read_text()))


def service_env(tmp_path: Path, service: str, **addresses: str) -> dict[str, str]:
    """The service's environment from the file (operator values given, every default kept),
    with the addresses of the suite's servers in place of the compose network's names."""
    env = {k: str(v) for k, v in compose(OPERATOR)["services"][service]["environment"].items()}
    return fresh_env(tmp_path, **{**env, **addresses})


def local(command: list[str] | str) -> list[str]:
    """A container command run here: this virtualenv's python, celery and gunicorn."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    program = {"python": [sys.executable], "celery": [sys.executable, "-m", "celery"],
               "gunicorn": [sys.executable, "-m", "gunicorn"]}[words[0]]  # fmt: skip
    return [*program, *words[1:]]


def healthcheck(service: str) -> list[str]:
    """The service's healthcheck test, as a command to run here."""
    test = compose(OPERATOR)["services"][service]["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        first, _, rest = test[1].partition(" ")
        return ["sh", "-c", shlex.join(local([first])) + " " + rest]
    assert test[0] == "CMD"
    return local(test[1:])


@pytest.fixture(scope="module")
def fresh_database(services):
    """A new, empty database on the suite's PostgreSQL (dropped afterwards)."""
    with helpers.fresh_database("alta_compose") as url:
        yield url


@pytest.fixture(scope="module")
def addresses(fresh_database, services, tmp_path_factory):
    """The suite's servers, on Redis databases of their own (no other test's queue)."""
    redis = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    return {
        "DATABASE_URL": fresh_database,
        "REDIS_URL": f"{redis}/7",
        "REDIS_CACHE_DB": "8",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(free_port()),  # nothing listens: no mail leaves
    }


@pytest.fixture(scope="module")
def three_migrations(addresses, tmp_path_factory):
    """The `migrate` service's command, three at once on the fresh database."""
    tmp_path = tmp_path_factory.mktemp("migrate")
    command = local(compose(OPERATOR)["services"]["migrate"]["command"])
    env = service_env(tmp_path, "migrate", **addresses)
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for _ in range(3)
    ]  # fmt: skip
    return [(run.wait(180), run.stdout.read()) for run in runs]  # type: ignore[union-attr]


def test_compose_file_follows_the_compose_specification():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", COMPOSE],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_refuses_to_start_without_the_secrets():
    for missing in OPERATOR:
        with pytest.raises(LookupError, match=missing):
            compose({k: v for k, v in OPERATOR.items() if k != missing})
    text = COMPOSE.read_text()
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text  # no password in the file
    assert "change-me" not in text


def test_check_deploy_with_the_compose_defaults_has_no_warnings(tmp_path, addresses):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env=service_env(tmp_path, "web", **addresses),
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_the_proxy_is_the_only_published_port_and_every_app_waits_for_migrate():
    services = compose(OPERATOR)["services"]
    assert "ports" not in services["web"]  # `--scale web=3` would collide on a host port
    assert services["proxy"]["ports"] == ["80:80", "443:443"]
    published = [name for name, s in services.items() if s.get("ports")]
    assert sorted(published) == ["mailpit", "proxy"]
    assert all(p.startswith("127.0.0.1:") for p in services["mailpit"]["ports"])
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    for name in ("web", "worker", "beat"):
        wait = services[name]["depends_on"]["migrate"]
        assert wait == {"condition": "service_completed_successfully"}, name
    for name, service in services.items():
        if name != "migrate":  # one-shot: it exits, there is nothing to check
            assert service["healthcheck"]["test"], name
            assert service["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"


def test_addresses_and_email_are_taken_from_the_environment():
    operator = {**OPERATOR, "EMAIL_HOST": "smtp.proveedor.test", "POSTGRES_HOST": "db.test",
                "REDIS_URL": "redis://cache.test:6379/0"}  # fmt: skip
    env = compose(operator)["services"]["worker"]["environment"]
    assert env["EMAIL_HOST"] == "smtp.proveedor.test"
    assert env["DATABASE_URL"].split("@")[1] == "db.test:5432/alta"
    assert env["REDIS_URL"] == "redis://cache.test:6379/0"


def test_three_migrate_services_at_once_on_a_fresh_database_all_succeed(three_migrations):
    for status, output in three_migrations:
        assert status == 0, output
    applied = [output for _, output in three_migrations if "Applying portal." in output]
    assert len(applied) == 1  # one run migrated, the others found nothing left to do


def test_web_command_answers_its_healthcheck(tmp_path, addresses, three_migrations):
    port = free_port()
    command = local(compose(OPERATOR)["services"]["web"]["command"])
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    env = service_env(tmp_path, "web", **addresses, PORT=str(port))
    web = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_for_port(port)
        check = subprocess.run(healthcheck("web"), cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=30)  # fmt: skip
        assert check.returncode == 0, check.stderr
        # What the proxy forwards gets the liveness answer; plain http is sent to https.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/salud/vivo/",
            headers={"Host": "alta.example.com", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        plain = urllib.request.Request(
            f"http://127.0.0.1:{port}/salud/vivo/", headers={"Host": "alta.example.com"}
        )
        opener = urllib.request.build_opener(NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(plain, timeout=10)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"] == "https://alta.example.com/salud/vivo/"
    finally:
        web.terminate()
        web.wait(20)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_worker_and_beat_commands_stay_up_and_pass_their_healthchecks(
    tmp_path, addresses, three_migrations
):
    schedule = str(tmp_path / "celerybeat-schedule")
    started = {}
    for name in ("worker", "beat"):
        command = [
            schedule if word == "/tmp/celerybeat-schedule" else word
            for word in local(compose(OPERATOR)["services"][name]["command"])
        ]
        env = service_env(tmp_path / name, name, **addresses, HOSTNAME=f"alta-{name}-test")
        if name == "worker":  # the name the healthcheck pings: celery@$HOSTNAME
            command += ["--hostname", f"celery@{env['HOSTNAME']}"]
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed below
        started[name] = (subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT), env, log)  # fmt: skip
    try:
        time.sleep(6)
        for name, (process, _, _) in started.items():
            log = (tmp_path / f"{name}.log").read_text()
            assert process.poll() is None, f"{name} exited:\n{log}"
        beat_check = [part.replace("/tmp/celerybeat-schedule", schedule)
                      for part in healthcheck("beat")]  # fmt: skip
        beat = subprocess.run(beat_check, capture_output=True, text=True, timeout=30)
        assert beat.returncode == 0, beat.stderr + (tmp_path / "beat.log").read_text()
        ping = subprocess.run(healthcheck("worker"), cwd=ROOT, env=started["worker"][1],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert "pong" in ping.stdout
    finally:
        for process, _, log in started.values():
            process.terminate()
            process.wait(20)
            log.close()


def test_a_trial_with_mailpit_must_say_so(tmp_path):
    trial = {**OPERATOR, "EMAIL_HOST": "mailpit", "EMAIL_PORT": "1025", "EMAIL_USE_TLS": "0"}
    env = {k: str(v) for k, v in compose(trial)["services"]["web"]["environment"].items()}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'trial.sqlite3'}"  # not opened by `check`
    refused = manage("check", env=fresh_env(tmp_path, **env))
    assert refused.returncode != 0
    assert "EMAIL_HOST=mailpit:1025 is a mail catcher" in refused.stderr.strip().splitlines()[-1]
    allowed = {**env, "ALLOW_MAIL_CATCHER": "1"}
    started = manage("check", env=fresh_env(tmp_path, **allowed))
    assert started.returncode == 0, started.stderr


def test_every_long_running_service_has_cpu_and_memory_limits():
    for name, service in compose(OPERATOR)["services"].items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert float(limits.get("cpus", 0)) > 0, name
        assert re.fullmatch(r"\d+[MG]", limits.get("memory", "")), name
    # Two gunicorn workers of about 105 MiB each (docs/benchmarks.md) and their master.
    web = compose(OPERATOR)["services"]["web"]["deploy"]["resources"]["limits"]["memory"]
    assert int(web.rstrip("M")) >= 3 * 105


def test_the_guide_states_the_process_counts_the_files_run():
    """docs/deploy.md's per-replica figures (connections, capacity) hold for compose and the
    Kubernetes manifests alike."""
    services = compose(OPERATOR)["services"]
    web = services["web"]["command"]
    assert web[web.index("--workers") + 1] == "2"
    assert "--concurrency=2" in services["worker"]["command"]
    k8s = (ROOT / "deploy/k8s/base/web.yaml").read_text()
    assert "--workers=2" in k8s
    assert "--concurrency=2" in (ROOT / "deploy/k8s/base/worker.yaml").read_text()
    guide = " ".join((ROOT / "docs/deploy.md").read_text().split())
    assert "one web replica (gunicorn, 2 sync workers)" in guide
    assert "Each web replica keeps up to 2 PostgreSQL connections" in guide
    assert "each worker replica up to 2" in guide


def test_the_image_leaves_out_the_virtualenv_var_and_git():
    ignored = {
        line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
    }
    assert {".venv", "var", ".git"} <= ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)  # not root
    assert "collectstatic" in dockerfile


def test_the_images_collectstatic_step_loads_the_settings_it_is_given(tmp_path):
    """The Dockerfile's `collectstatic` runs with DEBUG off and only the values on its RUN
    line: a production refusal that needs a runtime value (EMAIL_HOST) would fail the build."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    run = next(line for line in dockerfile.splitlines() if "collectstatic" in line)
    words = shlex.split(run.removeprefix("RUN").split("&&")[0])
    given = dict(word.split("=", 1) for word in words[: words.index("python")])
    assert given["DJANGO_DEBUG"] == "0"
    given["DATABASE_URL"] = f"sqlite:///{tmp_path / 'build.sqlite3'}"
    # Nothing of the suite's own environment helps (it allows a catcher for its SMTP sink).
    env = fresh_env(tmp_path, **{"ALLOW_MAIL_CATCHER": "", **given})
    built = manage("collectstatic", "--noinput", "--dry-run", env=env)
    assert built.returncode == 0, built.stderr
