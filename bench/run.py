"""`make bench`: Alta's capacity against Django's own pages and a stock build of the same
wizard, on this machine, now.

What runs (all on loopback, started here and stopped at the end):
- PostgreSQL and Redis (tests/services.py), a real SMTP sink (aiosmtpd), a Celery worker;
- Alta under gunicorn `-w 2` with production settings (DEBUG off, collected static files),
  and the bare baseline project (bench/baseline: Django's LoginView, django-allauth's
  signup, and the agents' access request built from stock parts on Alta's agent tables, in
  the same database) under the same gunicorn flags; both pinned to core 0 (`taskset`);
- the load generator (locust, bench/load.py), this script and the worker on core 1.

What it measures, in one interleaved run (each page's round 1, then round 2, ...):
every wizard step's GET and POST, Alta's and the stock build's, and allauth's signup GET
and POST (req/s and p50/p95/p99 at saturation, medians of `BENCH_ROUNDS` rounds of
`BENCH_SECONDS`), then p99 of Alta's steps at half that rate; complete agent requests/s
and client registrations/s (scripted users walking every step, the captcha read from the
database and the code from the SMTP sink); worker emails/s against a plain `send_mail`
loop (bench/email_throughput.py); the review queue with 100 and 100,000 requests; web
worker RSS after 1,000 and 20,000 requests, every page warmed before the first reading;
session rows per 1,000 anonymous first-page GETs. It writes var/bench/results.json and
docs/benchmarks.md, with issue 22's targets.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import itertools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data, sections, walker  # noqa: E402
from bench.baseline import serve as baseline  # noqa: E402
from bench.report import ALLAUTH_POST, STOCK  # noqa: E402
from bench.servers import gunicorn_command, production_env  # noqa: E402
from tests.helpers import SmtpSink, manage  # noqa: E402
from tests.services import Services, free_port, stop_processes, wait_for_port  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
USERS = int(os.environ.get("BENCH_USERS", "6"))
# Alta's steps and the stock build's take agents from one list: an agent is used once.
AGENTS = int(os.environ.get("BENCH_AGENTS", "24000"))
PERSONS = int(os.environ.get("BENCH_PERSONS", "24000"))
QUEUE_ROWS = int(os.environ.get("BENCH_QUEUE_ROWS", "100000"))
VENV = ROOT / ".venv" / "bin"
RESULTS = ROOT / "var" / "bench" / "results.json"
REPORT = ROOT / "docs" / "benchmarks.md"
METRICS_TOKEN = "bench-metrics-token-" + "m" * 24
CORES = sorted(os.sched_getaffinity(0))
SERVER_CORE, LOAD_CORE = (CORES[0], CORES[1]) if len(CORES) > 1 else (CORES[0], CORES[0])


def pinned(core: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *command] if len(CORES) > 1 else command


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Addresses:
    """A client address per scripted person (sent as X-Forwarded-For through one trusted
    proxy): a campaign's visitors come from many networks, not all from 127.0.0.1."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def __call__(self) -> str:
        n = next(self._next)
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class Bench:
    def __init__(self) -> None:
        self.services = Services()
        self.sink = SmtpSink()
        self.processes: list[subprocess.Popen] = []
        self.folder = Path(tempfile.mkdtemp(prefix="alta-bench-"))
        self.addresses = Addresses()
        self.results: dict = {"scenarios": {}, "figures": {}}
        self.used_agents = itertools.count()
        self.used_persons = itertools.count()
        self.signups = itertools.count()  # allauth accounts' numbers
        self.warmed: list[str] = []

    # --- servers -------------------------------------------------------------------------
    def start(self) -> None:
        self.services.start()
        assert self.services.postgres and self.services.redis
        self.services.postgres.create_database("alta")
        self.sink.controller.start()
        (self.folder / "prometheus").mkdir()
        self.env = production_env(
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            DATABASE_URL=self.services.postgres.url,
            REDIS_URL=self.services.redis.url,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.sink.port),
            TRUSTED_PROXY_COUNT="1",
            METRICS_TOKEN=METRICS_TOKEN,
            PROMETHEUS_MULTIPROC_DIR=str(self.folder / "prometheus"),
            LOG_LEVEL="WARNING",
        )
        os.environ.update(self.env)
        for command in (
            ("collectstatic", "--noinput"),
            ("migrate_locked", "--noinput"),
            ("createcachetable",),
            ("load_demo",),
        ):
            done = manage(*command, env=self.env)
            assert done.returncode == 0, done.stderr
        self.agents, self.persons = data.write(self.folder, AGENTS, PERSONS)
        for command, name in (("import_saa", "saa.csv"), ("import_policies", "policies.csv")):
            done = manage(command, str(self.folder / name), env=self.env)
            assert done.returncode == 0, done.stderr
        import django

        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        django.setup()
        import logging

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's every SMTP line
        from agents.models import Channel, Role

        self.role_id = str(Role.objects.get(code="AGENTE").pk)
        self.channel_ids = [str(Channel.objects.get(name=data.CHANNEL).pk)]

        self.port = self._gunicorn("portal.wsgi:application", self.env)
        # Alta's database: the stock build reads the same agent tables and rows.
        baseline_env = {**self.env, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings"}
        baseline.prepare(baseline_env)
        self.baseline_port = free_port()
        self._start(
            pinned(SERVER_CORE, baseline.gunicorn_command(self.baseline_port)), baseline_env
        )
        wait_for_port(self.baseline_port)
        self.worker = self._start(
            pinned(
                LOAD_CORE,
                [
                    str(VENV / "celery"),
                    "-A",
                    "portal",
                    "worker",
                    "--beat",
                    "--schedule",
                    str(self.folder / "beat"),
                    "--loglevel=WARNING",
                    "--concurrency=2",
                ],
            ),
            self.env,
        )

    def _start(self, command: list[str], env: dict) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - our own command lines
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.processes.append(process)
        return process

    def _gunicorn(self, app: str, env: dict) -> int:
        port = free_port()
        self.gunicorn = self._start(pinned(SERVER_CORE, gunicorn_command(app, port)), env)
        wait_for_port(port)
        return port

    def stop(self) -> None:
        stop_processes(self.processes)
        self.sink.controller.stop()
        self.services.stop()

    # --- helpers -------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stock_base(self) -> str:
        return f"http://127.0.0.1:{self.baseline_port}"

    def served(self) -> int:
        """Requests Alta's workers answered so far (the count of its /metricas/ latency
        histogram, summed over methods and workers)."""
        text = requests.get(
            self.base + "/metricas/",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            timeout=30,
        ).text
        counts = re.findall(r"^alta_http_request_duration_seconds_count\{.*\} (\S+)$", text, re.M)
        return int(sum(float(v) for v in counts))

    def worker_rss_kib(self) -> list[int]:
        children = subprocess.run(
            ["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True
        ).stdout.split()
        sizes = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)))
        return sorted(sizes)

    @staticmethod
    def captcha_answer(hashkey: str) -> str:
        from captcha.models import CaptchaStore

        return CaptchaStore.objects.get(hashkey=hashkey).response

    @staticmethod
    def stock_captcha_answer(hashkey: str) -> str:
        """The answer to a challenge the stock build showed (its table, same database)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(baseline.CAPTCHA_ANSWER, [hashkey])
            return str(cursor.fetchone()[0])

    def code_for(self, email: str, after: int, timeout: float = 60) -> str:
        """The code in the newest email to `email` among the sink's messages past `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.sink.messages[after:]):
                if email in (message.get("To") or ""):
                    for part in message.walk():
                        if part.get_content_type() == "text/plain":
                            text = part.get_payload(decode=True).decode("utf-8", "replace")
                            found = re.search(r"\b(\d{6})\b", text)
                            if found:
                                return found.group(1)
            time.sleep(0.05)
        raise TimeoutError(f"no code for {email}")

    def new_walker(self, stock: bool = False) -> walker.Walker:
        if stock:
            return walker.Walker(self.stock_base, self.addresses(), self.stock_captcha_answer)
        return walker.Walker(self.base, self.addresses(), self.captcha_answer)

    def next_agent(self) -> data.AgentRow:
        """An agent no scripted person has used (threads share the counter: next() on
        itertools.count is atomic)."""
        n = next(self.used_agents)
        if n >= len(self.agents):
            raise RuntimeError(f"more than {len(self.agents)} agents needed: raise BENCH_AGENTS")
        return self.agents[n]

    def next_person(self) -> data.PersonRow:
        n = next(self.used_persons)
        if n >= len(self.persons):
            raise RuntimeError(f"more than {len(self.persons)} people needed: raise BENCH_PERSONS")
        return self.persons[n]

    # --- walking to a step -----------------------------------------------------------------
    def agent_at(self, step: str, stock: bool = False) -> walker.Walker:
        """A session whose page shows the agent wizard's `step`, Alta's or the stock
        build's."""
        agent = self.next_agent()
        w = self.new_walker(stock)
        w.agent = agent  # type: ignore[attr-defined]
        w.get(baseline.REQUEST_WIZARD if stock else walker.AGENT_WIZARD)
        for name in walker.AGENT_STEPS:
            if name == step:
                assert w.step() == step, (step, w.step(), w.path())
                return w
            w.post(walker.agent_fields(agent, name, self.channel_ids, self.role_id))
        raise ValueError(step)

    def client_at(self, step: str) -> walker.Walker:
        person = self.next_person()
        w = self.new_walker()
        w.person = person  # type: ignore[attr-defined]
        w.get(walker.CLIENT_WIZARD)
        for name in walker.CLIENT_STEPS:
            if name == step:
                assert w.step() == step, (step, w.step(), w.path())
                return w
            after = len(self.sink.messages)
            w.post(walker.client_fields(person, name))
            if name == "products":
                w.code = self.code_for(person.email, after)  # type: ignore[attr-defined]
        raise ValueError(step)

    def prepare(self, count: int, make) -> list[walker.Walker]:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda _: make(), range(count)))

    # --- the scenarios ---------------------------------------------------------------------
    def build_scenarios(self) -> None:
        """The pages and the requests to send them; one-shot pools are filled per round."""
        log("preparing sessions at every step")
        get = {"method": "GET", "headers": {"Accept-Language": "es-MX"}}
        s: dict[str, dict] = {}

        def page(name: str, host: str, path: str, contains: str) -> None:
            s[name] = {
                "host": host,
                "items": [{**get, "path": path}],
                "reuse": True,
                "expect": {"status": [200], "contains": contains},
            }

        base_b = f"http://127.0.0.1:{self.baseline_port}"
        page("Django LoginView GET (bare project)", base_b, "/login/", 'name="username"')
        page(
            "django-allauth signup GET (bare project)", base_b, "/accounts/signup/", 'name="email"'
        )
        # Each POST creates an account (its own username, email and client address) and
        # is answered with allauth's redirect to the signed-in page.
        s[ALLAUTH_POST] = {
            "host": base_b,
            "items": [],
            "one_shot": "allauth-signup",
            "expect": {"status": [302], "location": baseline.SIGNUP_DONE},
        }
        page("Alta /admin/login/ GET", self.base, "/admin/login/", 'name="username"')
        page("Alta agent login GET", self.base, "/agentes/ingresar/", 'name="username"')
        page(
            "Alta agent wizard identify GET (new visitor)",
            self.base,
            walker.AGENT_WIZARD,
            'name="identify-clave_agente"',
        )
        page(
            "Alta client wizard identify GET (new visitor)",
            self.base,
            walker.CLIENT_WIZARD,
            'name="identify-numero_poliza"',
        )
        page("Alta liveness /salud/vivo/", self.base, "/salud/vivo/", "")

        # First-step POSTs: from a visitor with only the CSRF cookie, so each POST starts a
        # new session as a new visitor's does; the items may be sent again.
        def first_posts(kind: str, count: int) -> list[dict]:
            items = []
            for _ in range(count):
                if kind == "agent":
                    agent = self.next_agent()
                    w = self.new_walker()
                    w.get(walker.AGENT_WIZARD)
                    items.append(w.replay(walker.agent_fields(agent, "identify", [], "")))
                else:
                    person = self.next_person()
                    w = self.new_walker()
                    w.get(walker.CLIENT_WIZARD)
                    items.append(w.replay(walker.client_fields(person, "identify")))
            return [r.as_dict() for r in items]

        self.prg = self._answers_with_redirect(first_posts("agent", 1)[0])
        log(f"wizard POSTs answer with {'a redirect (PRG)' if self.prg else 'the next page'}")

        def after(next_step_field: str, next_url_part: str) -> dict:
            if self.prg:
                return {"status": [302, 303], "location": next_url_part}
            return {"status": [200], "contains": next_step_field}

        s["Alta agent wizard identify POST (valid keys)"] = {
            "host": self.base,
            "items": first_posts("agent", 200),
            "reuse": True,
            "expect": after('name="channels-channels"', "channels"),
        }
        s["Alta client wizard identify POST (policy data)"] = {
            "host": self.base,
            "items": first_posts("client", 200),
            "reuse": True,
            "expect": after('name="products-email_choice"', "products"),
        }
        # Later steps a session may repeat (going back one step and on again): channels and
        # role, and every step's GET where each step has its URL.
        for step, following, field in (
            ("channels", "role", 'name="role-role"'),
            ("role", "submit", 'name="submit-email"'),
        ):
            walkers = self.prepare(60, lambda step=step: self.agent_at(step))
            fields = walker.agent_fields(walkers[0].agent, step, self.channel_ids, self.role_id)
            s[f"Alta agent wizard {step} POST"] = {
                "host": self.base,
                "reuse": True,
                "items": [w.replay(fields).as_dict() for w in walkers],
                "expect": after(field, following),
            }
            if self.prg:
                s[f"Alta agent wizard {step} GET"] = {
                    "host": self.base,
                    "reuse": True,
                    "items": [w.revisit().as_dict() for w in walkers],
                    "expect": {"status": [200], "contains": f'name="{step}-'},
                }
        if self.prg:
            for step in ("submit",):
                walkers = self.prepare(60, lambda step=step: self.agent_at(step))
                s[f"Alta agent wizard {step} GET"] = {
                    "host": self.base,
                    "reuse": True,
                    "items": [w.revisit().as_dict() for w in walkers],
                    "expect": {"status": [200], "contains": f'name="{step}-'},
                }
            for step in ("products", "code"):
                walkers = self.prepare(60, lambda step=step: self.client_at(step))
                s[f"Alta client wizard {step} GET"] = {
                    "host": self.base,
                    "reuse": True,
                    "items": [w.revisit().as_dict() for w in walkers],
                    "expect": {"status": [200], "contains": f'name="{step}-'},
                }
        # Steps with effects, each item sent once: the request is filed, the code is mailed,
        # the account is created. Filled before each round (fill_one_shots).
        s["Alta agent wizard submit POST (request filed)"] = {
            "host": self.base,
            "items": [],
            "one_shot": "agent-submit",
            "follow": True,
            "expect": {"status": [200], "contains": "Solicitud enviada"},
        }
        s["Alta client wizard products POST (code mailed)"] = {
            "host": self.base,
            "items": [],
            "one_shot": "client-products",
            "expect": after('name="code-code"', "code"),
        }
        s["Alta client wizard code POST (account created)"] = {
            "host": self.base,
            "items": [],
            "one_shot": "client-code",
            "follow": True,
            "expect": {"status": [200], "contains": "Tu registro fue creado"},
        }
        self.stock_scenarios(s)
        self.scenarios = s

    def stock_scenarios(self, s: dict[str, dict]) -> None:
        """The agent steps of the stock build (bench/baseline), prepared, sent and checked as
        Alta's are: a new visitor's first page, then sessions at each step whose POST may be
        repeated and whose page may be reloaded, and the final POST once per session. Every
        stock POST is answered with formtools' redirect to the next step (its URL checked);
        the final one is followed to "Solicitud enviada"."""
        host = self.stock_base
        get = {"method": "GET", "headers": {"Accept-Language": "es-MX"}}
        first = f"{baseline.REQUEST_WIZARD}identify/"
        s[f"{STOCK} identify GET (new visitor)"] = {
            "host": host,
            "items": [{**get, "path": first}],
            "reuse": True,
            "expect": {"status": [200], "contains": 'name="identify-clave_agente"'},
        }
        # formtools gave the visitor a session on the GET already: the POST carries it.
        walkers = self.prepare(200, lambda: self.agent_at("identify", stock=True))
        s[f"{STOCK} identify POST (valid keys)"] = {
            "host": host,
            "items": [
                w.replay(walker.agent_fields(w.agent, "identify", [], "")).as_dict()
                for w in walkers
            ],
            "reuse": True,
            "expect": {"status": [302], "location": f"{baseline.REQUEST_WIZARD}channels/"},
        }
        for step, following in (("channels", "role"), ("role", "submit")):
            walkers = self.prepare(60, lambda step=step: self.agent_at(step, stock=True))
            fields = walker.agent_fields(walkers[0].agent, step, self.channel_ids, self.role_id)
            s[f"{STOCK} {step} POST"] = {
                "host": host,
                "reuse": True,
                "items": [w.replay(fields).as_dict() for w in walkers],
                "expect": {"status": [302], "location": f"{baseline.REQUEST_WIZARD}{following}/"},
            }
            s[f"{STOCK} {step} GET"] = {
                "host": host,
                "reuse": True,
                "items": [w.revisit().as_dict() for w in walkers],
                "expect": {"status": [200], "contains": f'name="{step}-'},
            }
        walkers = self.prepare(60, lambda: self.agent_at("submit", stock=True))
        s[f"{STOCK} submit GET"] = {
            "host": host,
            "reuse": True,
            "items": [w.revisit().as_dict() for w in walkers],
            "expect": {"status": [200], "contains": 'name="submit-'},
        }
        s[f"{STOCK} submit POST (request filed)"] = {
            "host": host,
            "items": [],
            "one_shot": "stock-submit",
            "follow": True,
            "expect": {"status": [200], "contains": "Solicitud enviada"},
        }

    def _answers_with_redirect(self, item: dict) -> bool:
        response = requests.post(
            self.base + item["path"],
            data=item["body"],
            headers=item["headers"],
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code in (200, 302, 303), response.status_code
        return response.status_code in (302, 303)

    def fill_one_shots(self, name: str, count: int) -> None:
        kind = self.scenarios[name]["one_shot"]
        log(f"  {count} sessions for {name}")
        if kind in ("agent-submit", "stock-submit"):
            stock = kind == "stock-submit"
            walkers = self.prepare(count, lambda: self.agent_at("submit", stock))
            items = [w.replay(walker.agent_fields(w.agent, "submit", [], "")) for w in walkers]
        elif kind == "allauth-signup":
            items = baseline.signup_posts(self.stock_base, count, self.signups, self.addresses)
        elif kind == "client-products":
            walkers = self.prepare(count, lambda: self.client_at("products"))
            items = [w.replay(walker.client_fields(w.person, "products")) for w in walkers]
        else:
            walkers = self.prepare(count, lambda: self.client_at("code"))
            items = [w.replay(walker.client_fields(w.person, "code", w.code)) for w in walkers]
        self.scenarios[name]["items"] = [r.as_dict() for r in items]

    def quiet(self) -> None:
        """Wait until the worker has sent every queued email: it shares the load core, and a
        measure must not include its catching up on what preparing the sessions queued."""
        from notifications.models import OutboxEmail

        deadline = time.monotonic() + 120
        while OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).exists():
            if time.monotonic() > deadline:
                log("  the outbox did not drain in 120 s; measuring anyway")
                break
            time.sleep(0.2)

    def drive(self, scenarios: list[dict]) -> list[dict]:
        self.quiet()
        plan = {"host": self.base, "scenarios": scenarios}
        plan_file, out_file = self.folder / "plan.json", self.folder / "out.json"
        plan_file.write_text(json.dumps(plan))
        subprocess.run(  # noqa: S603 - our own command line
            pinned(
                LOAD_CORE,
                [
                    str(VENV / "python"),
                    str(ROOT / "bench" / "load.py"),
                    str(plan_file),
                    str(out_file),
                ],
            ),
            cwd=ROOT,
            check=True,
        )
        return json.loads(out_file.read_text())

    def scenario(self, name: str, **overrides) -> dict:
        sc = {k: v for k, v in self.scenarios[name].items() if k not in ("one_shot",)}
        return {"name": name, "users": USERS, "seconds": SECONDS, "warmup": 1.0, **sc, **overrides}

    def rounds(self) -> None:
        """Every page at saturation, `ROUNDS` interleaved rounds; the median is kept."""
        estimate: dict[str, float] = {}
        for number in range(1, ROUNDS + 1):
            log(f"round {number}/{ROUNDS}")
            for name, sc in self.scenarios.items():
                if "one_shot" in sc:
                    need = math.ceil(1.3 * (SECONDS + 1.5) * estimate.get(name, 150))
                    self.fill_one_shots(name, max(need, 100))
                result = self.drive([self.scenario(name)])[0]
                estimate[name] = max(result["rps"], 10)
                served = self.served()
                if served >= 20000 and not any(int(n) >= 20000 for n in self.rss):
                    self.rss[str(served)] = self.worker_rss_kib()
                self.results["scenarios"].setdefault(name, {"rounds": []})["rounds"].append(result)
                log(
                    f"  {name}: {result['rps']:.1f} req/s p99 {result['p99_ms']:.0f} ms"
                    f" failures {result['failures']}{' EXHAUSTED' if result['exhausted'] else ''}"
                )
                if result["failures"]:
                    log(f"    {result['errors']}")
        for entry in self.results["scenarios"].values():
            rounds = entry["rounds"]
            entry["rps"] = statistics.median(r["rps"] for r in rounds)
            for key in ("p50_ms", "p95_ms", "p99_ms"):
                entry[key] = statistics.median(r[key] for r in rounds)
            entry["failures"] = sum(r["failures"] for r in rounds)
            entry["exhausted"] = any(r["exhausted"] for r in rounds)

    def half_peak(self) -> None:
        """p99 of every Alta wizard page at half its measured peak rate."""
        log("p99 at half the peak rate")
        for name, sc in self.scenarios.items():
            if "wizard" not in name:
                continue
            entry = self.results["scenarios"][name]
            rate = entry["rps"] / 2
            if "one_shot" in sc:
                self.fill_one_shots(name, math.ceil(1.3 * (SECONDS + 1.5) * rate) + 20)
            result = self.drive([self.scenario(name, rate=rate, users=4)])[0]
            entry["half_peak"] = result
            log(f"  {name}: at {rate:.1f} req/s p99 {result['p99_ms']:.0f} ms")

    # --- complete flows --------------------------------------------------------------------
    def complete_flows(self, kind: str, threads: int, seconds: float) -> dict:
        log(f"complete {kind} flows: {threads} scripted people for {seconds:.0f} s")
        stop = time.monotonic() + seconds
        finished: list[float] = []
        timings: dict[str, list[float]] = {}

        def one() -> None:
            while time.monotonic() < stop:
                if kind == "agent":
                    w = self.agent_at("submit")
                    w.post(walker.agent_fields(w.agent, "submit", [], ""), name="POST submit")
                    assert "Solicitud enviada" in w.page.text
                else:
                    w = self.client_at("code")
                    w.post(walker.client_fields(w.person, "code", w.code), name="POST code")
                    assert "Tu registro fue creado" in w.page.text
                finished.append(time.monotonic())
                for step, took in w.timings:
                    timings.setdefault(step, []).append(took)

        began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(one) for _ in range(threads)]:
                future.result()
        elapsed = time.monotonic() - began
        from bench.report import percentile

        steps = {}
        for step, values in timings.items():
            ordered = sorted(values)
            steps[step] = {
                "n": len(values),
                **{f"p{n}_ms": percentile(ordered, n / 100) * 1000 for n in (50, 95, 99)},
            }
        return {
            "completed": len(finished),
            "seconds": elapsed,
            "per_s": len(finished) / elapsed,
            "threads": threads,
            "steps": steps,
        }

    # --- other figures ---------------------------------------------------------------------
    def session_rows(self) -> dict:
        from django.contrib.sessions.models import Session

        figures = {}
        for path in (walker.AGENT_WIZARD, walker.CLIENT_WIZARD, "/clientes/registro/clave/"):
            before = Session.objects.count()
            for _ in range(1000):
                requests.get(self.base + path, timeout=30).raise_for_status()
            figures[path] = Session.objects.count() - before
        log(f"session rows per 1,000 first-page GETs: {figures}")
        return figures

    def reviewer(self) -> requests.Session:
        """A browser session of the demo reviewer, signed in to admin (its login page, the
        POST and the admin index it leads to)."""
        http = requests.Session()
        http.headers["X-Forwarded-For"] = self.addresses()
        http.get(self.base + "/admin/login/", timeout=30)
        answer = http.post(
            self.base + "/admin/login/",
            data={
                "username": "revisor",
                "password": "revisor-demo-2026",
                "csrfmiddlewaretoken": http.cookies["csrftoken"],
                "next": "/admin/",
            },
            headers={"Referer": self.base + "/admin/login/"},
            timeout=30,
        )
        assert "sessionid" in http.cookies, answer.status_code
        return http

    def review_queue(self, rows: int) -> dict:
        """The reviewers' changelist with `rows` requests: req/s, p99 and SQL queries."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from agents.models import AccessRequest

        self._grow_queue(rows)
        client = Client()
        from django.contrib.auth import get_user_model

        reviewer = get_user_model().objects.get(username="revisor")
        client.force_login(reviewer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/agents/accessrequest/")
        assert response.status_code == 200
        # The same page over HTTP, from the reviewer's browser session.
        http = self.reviewer()
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        name = f"review queue, {rows:,} requests"
        sc = {
            "name": name,
            "host": self.base,
            "reuse": True,
            "users": USERS,
            "seconds": SECONDS,
            "warmup": 1.0,
            "items": [
                {
                    "method": "GET",
                    "path": "/admin/agents/accessrequest/",
                    "headers": {
                        "Cookie": cookie,
                        "X-Forwarded-For": http.headers["X-Forwarded-For"],
                    },
                }
            ],
            "expect": {"status": [200], "contains": "result_list"},
        }
        result = self.drive([sc])[0]
        result["queries"] = len(queries)
        result["rows"] = AccessRequest.objects.count()
        log(
            f"{name}: {result['rps']:.1f} req/s p99 {result['p99_ms']:.0f} ms, "
            f"{result['queries']} queries"
        )
        return result

    def _grow_queue(self, rows: int) -> None:
        """Pending requests of agents of their own (one pending request per agent)."""
        from agents.models import AccessRequest, Agent, Promotoria, Role

        missing = rows - AccessRequest.objects.count()
        if missing <= 0:
            return
        promotoria = Promotoria.objects.get(clave=data.PROMOTORIA[0])
        role = Role.objects.get(code="AGENTE")
        start = Agent.objects.count()
        for offset in range(0, missing, 5000):
            size = min(5000, missing - offset)
            agents = Agent.objects.bulk_create(
                Agent(
                    clave_agente=f"Q{start + offset + i}",
                    nombre="COLA",
                    rfc="XAAA600101ZZ0",
                    email=f"cola{start + offset + i}@carga.test",
                    promotoria=promotoria,
                )
                for i in range(size)
            )
            AccessRequest.objects.bulk_create(
                AccessRequest(agent=a, role=role, email=a.email) for a in agents
            )
        from django.db import connection

        with connection.cursor() as cursor:  # the statistics autovacuum keeps in production
            cursor.execute("ANALYZE agents_agent, agents_accessrequest")

    def email_throughput(self) -> dict:
        from bench import email_throughput

        log("worker emails/s against a plain send_mail loop")
        self.worker.terminate()  # the measure starts its own, as deployed; no second consumer
        self.worker.wait(30)
        # The worker gets the machine's cores, as a deployed worker has its own; the plain
        # loop runs beside it under the same conditions.
        os.sched_setaffinity(0, set(CORES))
        return email_throughput.measure(self.services)

    # --- the run ---------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Every page the run requests from Alta, admin included, each several times (gunicorn
        hands a request to either worker: ten GETs miss one with odds of 1 in 512), before
        the first RSS reading; and the stock build's pages."""
        from agents.models import AccessRequest

        log("warm-up: every page")
        for _ in range(5):
            w = self.agent_at("submit")
            w.post(walker.agent_fields(w.agent, "submit", [], ""))
            assert "Solicitud enviada" in w.page.text
            w = self.client_at("code")
            w.post(walker.client_fields(w.person, "code", w.code))
            assert "Tu registro fue creado" in w.page.text
            w = self.agent_at("submit", stock=True)
            w.post(walker.agent_fields(w.agent, "submit", [], ""))
            assert "Solicitud enviada" in w.page.text
        self.warmed += [
            f"{walker.AGENT_WIZARD}{step}/" for step in (*walker.AGENT_STEPS, "enviada")
        ] + [f"{walker.CLIENT_WIZARD}{step}/" for step in (*walker.CLIENT_STEPS, "listo")]
        pages = ["/agentes/ingresar/", "/clientes/registro/clave/", "/salud/vivo/"]
        for _ in range(10):
            for path in pages:
                requests.get(self.base + path, timeout=30).raise_for_status()
        reviewers = [self.reviewer() for _ in range(4)]  # the sign-in POST, on both workers
        filed = AccessRequest.objects.order_by("pk").values_list("pk", flat=True).first()
        admin = ["/admin/", "/admin/agents/accessrequest/"]
        admin.append(f"/admin/agents/accessrequest/{filed}/change/")
        for n in range(10):
            for path in admin:
                reviewers[n % 4].get(self.base + path, timeout=30).raise_for_status()
        self.warmed += pages + ["/admin/login/", *admin, "/metricas/"]
        for _ in range(10):
            for path in baseline.PAGES:
                requests.get(self.stock_base + path, timeout=30).raise_for_status()
        for post in baseline.signup_posts(self.stock_base, 4, self.signups, self.addresses):
            answer = requests.post(
                self.stock_base + post.path,
                data=post.body,
                headers=post.headers,
                allow_redirects=False,
                timeout=30,
            )
            assert answer.status_code == 302, answer.status_code

    def run(self) -> None:
        self.start()
        log(
            f"servers up: Alta :{self.port}, baseline :{self.baseline_port}, "
            f"server core {SERVER_CORE}, load core {LOAD_CORE}"
        )
        figures = self.results["figures"]
        # Every page first (imports, connections, template and translation caches), then first
        # pages up to 1,000 requests, when the workers' RSS is read the first time.
        self.warm_up()
        figures["warmed_pages"] = self.warmed
        while self.served() < 1000:
            for _ in range(50):
                requests.get(self.base + walker.AGENT_WIZARD, timeout=30)
                requests.get(self.base + walker.CLIENT_WIZARD, timeout=30)
        for _ in range(500):
            requests.get(self.stock_base + "/login/", timeout=30)
        self.rss = figures["rss_kib_after"] = {str(self.served()): self.worker_rss_kib()}
        figures["session_rows_per_1000_gets"] = self.session_rows()
        figures["review_queue"] = {"100": self.review_queue(100)}
        figures["review_queue"][str(QUEUE_ROWS)] = self.review_queue(QUEUE_ROWS)
        self.build_scenarios()
        self.rounds()
        self.half_peak()
        figures["complete_agent_requests"] = self.complete_flows("agent", 6, 15)
        figures["complete_client_registrations"] = self.complete_flows("client", 6, 15)
        while self.served() < 20000:
            self.drive([self.scenario("Alta agent wizard identify GET (new visitor)", seconds=10)])
        self.rss[str(self.served())] = self.worker_rss_kib()
        figures["email"] = self.email_throughput()

    def write(self) -> None:
        from bench import report

        self.results["machine"] = report.machine()
        self.results["when"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self.results["settings"] = {
            "rounds": ROUNDS,
            "seconds": SECONDS,
            "users": USERS,
            "server_core": SERVER_CORE,
            "load_core": LOAD_CORE,
            "platform": platform.platform(),
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(self.results, indent=2))
        # The sections other benches wrote (make bench-import, make bench-fleet) stay.
        kept = sections.kept_sections(REPORT)
        text = report.markdown(self.results)
        REPORT.write_text(text.rstrip("\n") + ("\n\n" + kept + "\n" if kept else "\n"))
        print(report.table(self.results))
        log(f"wrote {RESULTS.relative_to(ROOT)} and {REPORT.relative_to(ROOT)}")


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    os.sched_setaffinity(0, {LOAD_CORE})
    bench = Bench()
    try:
        bench.run()
        bench.write()
    finally:
        bench.stop()


if __name__ == "__main__":
    main()
