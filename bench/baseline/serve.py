"""How the benchmark serves the baseline: `prepare(env)` makes its tables in Alta's database
(schema `baseline`), `gunicorn_command(port)` is the argv to start it with, Alta's bench
flags (`-w 2`, loopback); `signup_posts` and `CAPTCHA_ANSWER` are what a scripted visitor
of its pages needs.

Run alone (`python -m bench.baseline.serve`) it checks itself: a throwaway PostgreSQL with
Alta's tables and a few agents imported by `import_saa`, the baseline under gunicorn, every
page answered with a form and a CSRF token, the access request walked to "Solicitud
enviada" (the request stored in Alta's table, with its channels and role), refused for
keys that name no agent, for an agent with a pending request and for a wrong captcha,
allauth's signup POST answered with a redirect, and a short load on each GET page
(BENCH_SECONDS, BENCH_THREADS as bench/web_capacity.py reads them).
"""

from __future__ import annotations

import http.client
import itertools
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.baseline import SCHEMA  # noqa: E402

SETTINGS = "bench.baseline.settings"
PAGES = ("/login/", "/accounts/signup/", "/solicitud/identify/")
REQUEST_WIZARD = "/solicitud/"
SIGNUP = "/accounts/signup/"
SIGNUP_DONE = "/accounts/profile/"  # where allauth sends a new account (LOGIN_REDIRECT_URL)
SIGNUP_PASSWORD = "Carga-de-prueba-2026"  # noqa: S105 - scripted accounts on loopback
# The answer to a challenge the baseline showed, read as a person reads the image.
CAPTCHA_ANSWER = f"SELECT response FROM {SCHEMA}.captcha_captchastore WHERE hashkey = %s"  # noqa: S608


def prepare(env: dict[str, str]) -> None:
    """Create the baseline's schema and tables in the database DATABASE_URL of `env` names
    (Alta's, migrated: the wizard reads its agent tables); raises RuntimeError with
    migrate's output when it fails."""
    import psycopg2

    with closing(psycopg2.connect(env["DATABASE_URL"])) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "django", "migrate", "--noinput", "--settings", SETTINGS],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": SETTINGS, "BASELINE_MIGRATE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"baseline migrate failed:\n{done.stdout}\n{done.stderr}")


def gunicorn_command(port: int) -> list[str]:
    """The argv that serves the baseline on 127.0.0.1:`port`, the same flags as Alta's bench
    run (bench/web_capacity.py). Start it with cwd=ROOT, so gunicorn reads the same
    gunicorn.conf.py as Alta's, and an environment holding Alta's DATABASE_URL."""
    from bench.servers import gunicorn_command as command

    return command("bench.baseline.wsgi:application", port)


def signup_posts(base: str, count: int, names: Iterator[int], address: Callable[[], str]) -> list:
    """`count` allauth signup POSTs (walker.Replay), each creating its own account: one
    visitor's CSRF cookie and token (Django's may be posted any number of times), a new
    username and address each, and a client address each (allauth allows 20 signups a
    minute per address)."""
    import requests

    from bench.walker import Replay

    page = requests.get(base + SIGNUP, timeout=30)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:2000]
    cookie = f"csrftoken={page.cookies['csrftoken']}"
    posts = []
    for _ in range(count):
        n = next(names)
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": f"peer{n}",
                "email": f"peer{n}@carga.test",
                "password1": SIGNUP_PASSWORD,
                "password2": SIGNUP_PASSWORD,
            }
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-Forwarded-For": address(),
            "Accept-Language": "es-MX",
            "Referer": base + SIGNUP,
        }
        posts.append(Replay("POST", SIGNUP, headers, body))
    return posts


def fetch(port: int, path: str) -> tuple[int, str]:
    """GET `path` from the server on `port`: status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "es-MX"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def main() -> None:
    """Serve the baseline against a throwaway PostgreSQL loaded with a few agents, and walk
    its pages as the bench does."""
    import psycopg2
    import requests

    from bench import data, walker
    from bench.servers import production_env
    from bench.web_capacity import hammer, print_load
    from tests.helpers import manage
    from tests.services import Services, free_port, stop_processes, wait_for_port

    services = Services()
    services.start()
    gunicorn = None
    folder = Path(tempfile.mkdtemp(prefix="alta-baseline-"))
    try:
        assert services.postgres and services.redis, "ALTA_TEST_DATABASE_URL is set"
        services.postgres.create_database("alta")
        env = production_env(
            DATABASE_URL=services.postgres.url,
            REDIS_URL=services.redis.url,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            TRUSTED_PROXY_COUNT="1",
            PROMETHEUS_MULTIPROC_DIR=str(folder / "prometheus"),
        )
        agents, _ = data.write(folder, 8, 0)
        for command in (("migrate_locked", "--noinput"), ("import_saa", str(folder / "saa.csv"))):
            done = manage(*command, env=env)
            assert done.returncode == 0, done.stderr
        prepare(env)
        port = free_port()
        gunicorn = subprocess.Popen(  # noqa: S603 - our own command line
            gunicorn_command(port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        for path in PAGES:
            status, body = fetch(port, path)
            has_form = "<form" in body and re.search(r'name="csrfmiddlewaretoken"', body)
            print(f"{path:22} GET {status}  form+csrf={'yes' if has_form else 'NO'}")
            assert status == 200 and has_form, body[:2000]

        database = psycopg2.connect(services.postgres.url)
        database.autocommit = True

        def sql(query: str, *args: object) -> list[tuple]:
            with database.cursor() as cursor:
                cursor.execute(query, args)
                return cursor.fetchall()

        def answer(hashkey: str) -> str:
            return str(sql(CAPTCHA_ANSWER, hashkey)[0][0])

        role = str(sql("SELECT id FROM agents_role WHERE code = 'AGENTE'")[0][0])
        channels = [str(sql("SELECT id FROM agents_channel WHERE name = %s", data.CHANNEL)[0][0])]
        addresses = (f"10.9.0.{n}" for n in itertools.count(1))

        def visitor() -> walker.Walker:
            w = walker.Walker(base, next(addresses), answer)
            w.get(REQUEST_WIZARD)
            return w

        # The request walked to the end, for three agents.
        for agent in agents[:3]:
            w = visitor()
            for step in walker.AGENT_STEPS:
                assert w.step() == step, (step, w.step(), w.path())
                w.post(walker.agent_fields(agent, step, channels, role))
            assert "Solicitud enviada" in w.page.text and w.path() == "/solicitud/enviada/"
        filed = sql(
            "SELECT a.clave_agente, r.email, r.role_id, array_agg(c.channel_id) "
            "FROM agents_accessrequest r JOIN agents_agent a ON a.id = r.agent_id "
            "JOIN agents_accessrequest_channels c ON c.accessrequest_id = r.id "
            "WHERE r.status = 'pendiente' GROUP BY 1, 2, 3 ORDER BY 1"
        )
        assert [(f[0], f[1], str(f[2]), [str(c) for c in f[3]]) for f in filed] == [
            (a.clave_agente, a.email, role, channels) for a in agents[:3]
        ], filed
        print(f"access request: 3 walked to 'Solicitud enviada', stored: {filed}")

        # Refused: keys of no agent; an agent whose request is pending; a wrong captcha.
        w = visitor()
        w.post({**walker.agent_fields(agents[3], "identify", [], ""), "rfc": agents[4].rfc})
        assert w.step() == "identify" and "no coinciden" in w.page.text, w.page.text[:3000]
        w = visitor()
        w.post(walker.agent_fields(agents[0], "identify", [], ""))
        assert w.step() == "identify" and "Ya hay una solicitud" in w.page.text
        w = visitor()
        for step in walker.AGENT_STEPS[:3]:
            w.post(walker.agent_fields(agents[3], step, channels, role))
        w.captcha_answer = lambda hashkey: "WRONG"
        w.post(walker.agent_fields(agents[3], "submit", [], ""))
        assert w.step() == "submit" and w.path() == "/solicitud/submit/", w.path()
        # A captcha answered right, the redirect to done not followed: the step shown again
        # asks a new one.
        w = visitor()
        for step in walker.AGENT_STEPS[:3]:
            w.post(walker.agent_fields(agents[4], step, channels, role))
        right = w.replay(walker.agent_fields(agents[4], "submit", [], ""))
        answered = requests.post(
            base + right.path,
            data=right.body,
            headers=right.headers,
            allow_redirects=False,
            timeout=30,
        )
        assert answered.headers.get("Location") == "/solicitud/done/", answered.status_code
        w.get("/solicitud/submit/")
        w.captcha_answer = lambda hashkey: "WRONG"
        w.post(walker.agent_fields(agents[4], "submit", [], ""))
        assert w.step() == "submit" and w.path() == "/solicitud/submit/", w.path()
        count = sql("SELECT count(*) FROM agents_accessrequest")[0][0]
        assert count == 3, count
        print("refused: unknown keys, pending request, wrong captcha (nothing filed)")

        # allauth's signup POST creates an account and redirects.
        names = itertools.count()
        for post in signup_posts(base, 2, names, lambda: next(addresses)):
            answered = requests.post(
                base + post.path,
                data=post.body,
                headers=post.headers,
                allow_redirects=False,
                timeout=30,
            )
            location = answered.headers.get("Location", "")
            assert answered.status_code == 302 and location == SIGNUP_DONE, (
                answered.status_code,
                location,
                answered.text[:2000],
            )
        users = sql(f"SELECT count(*) FROM {SCHEMA}.auth_user")[0][0]  # noqa: S608
        assert users == 2, users
        print(f"allauth signup POST: 302 to {SIGNUP_DONE}, {users} accounts created")
        database.close()
        for path in PAGES:
            print_load(path, hammer(port, path))
    finally:
        stop_processes([gunicorn] if gunicorn else [])
        services.stop()


if __name__ == "__main__":
    main()
