"""`make bench-fleet`: the fleet's faults tried as an operator would (issue 19), in figures.

Two trials, each on its own throwaway PostgreSQL, Redis and SMTP sink (tests/services.py,
tests/helpers.py), with gunicorn serving production settings and a real Celery worker with
beat (retries and beat scaled down to seconds):

- `redis`: three web processes under a steady load of requests that each queue an email
  ("¿Olvidaste tu contraseña?", every request from an address and for an email of its own),
  while Redis runs, is hung (SIGSTOP) for 60 s, is killed (SIGKILL), and comes back.
  Per phase: the requests' statuses and response times, what `/salud/vivo/` and `/salud/`
  answered and how fast; at the end, the emails the requests caused against those delivered,
  and copies delivered twice.
- `upgrade`: the previous release (a commit, `git archive`d into a folder) migrated and
  serving under the same load; the new release's migrations run while it serves; its
  answers before, during and after. By default the previous release is the newest commit
  whose migrations differ from this one's; `FROM=<commit>` picks another.

Figures, not pass/fail: printed, and written to docs/benchmarks.md (sections of their own).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import sections, servers  # noqa: E402
from bench.email_throughput import RESET_PATH, reset_form_csrf  # noqa: E402
from bench.report import percentile  # noqa: E402
from tests.helpers import SmtpSink  # noqa: E402
from tests.services import Services, free_port, stop_processes, wait_for_port  # noqa: E402

SCALED = {
    "OUTBOX_RETRY_BASE_SECONDS": "1",
    "OUTBOX_RETRY_MAX_SECONDS": "4",
    "OUTBOX_RESEND_SECONDS": "1",
}
HUNG_SECONDS = float(os.environ.get("BENCH_REDIS_HUNG_SECONDS", "60"))
POSTERS = 4  # requests in flight at once: more than one per web process, as under real load


@dataclass
class Sample:
    phase: str
    status: str  # the HTTP status, or the exception's name when none came
    ms: float


@dataclass
class Recorder:
    """What the load and the probes saw, by phase."""

    phase: str = "start"
    posts: list[Sample] = field(default_factory=list)
    live: list[Sample] = field(default_factory=list)
    ready: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def _request(port: int, method: str, path: str, *, body: str = "", headers: dict[str, str],
             timeout: float = 60) -> tuple[str, float, str]:  # fmt: skip
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        status = str(response.status)
    except Exception as exc:  # noqa: BLE001 - a timeout or a reset is a figure too
        status, text = type(exc).__name__, ""
    finally:
        conn.close()
    return status, (time.monotonic() - started) * 1000, text


def load(port: int, recorder: Recorder, tag: str) -> None:
    """POSTERS threads posting the reset form until told to stop."""
    cookie, token = reset_form_csrf(port)
    numbers = iter(range(1_000_000))
    lock = threading.Lock()

    def poster() -> None:
        while not recorder.stop.is_set():
            with lock:
                n = next(numbers)
            phase = recorder.phase  # the phase the request was sent in
            status, ms, _ = _request(
                port, "POST", RESET_PATH,
                body=f"csrfmiddlewaretoken={token}&email={n}-{tag}%40ejemplo.test",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={cookie}",
                    "X-Forwarded-For": f"10.{n // 250 % 250}.{n % 250}.7",
                    "Accept-Language": "es-MX",
                },
            )  # fmt: skip
            recorder.posts.append(Sample(phase, status, ms))

    threads = [threading.Thread(target=poster, daemon=True) for _ in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def probe(port: int, recorder: Recorder) -> None:
    """Liveness and readiness once a second with a kubelet's 10 s timeout."""
    while not recorder.stop.is_set():
        for path, samples in (("/salud/vivo/", recorder.live), ("/salud/", recorder.ready)):
            phase = recorder.phase
            status, ms, text = _request(port, "GET", path, headers={}, timeout=10)
            state = re.search(r'"status": ?"(\w+)"', text)
            label = f"{status} {state.group(1)}" if state else status
            samples.append(Sample(phase, label, ms))
        time.sleep(1)


class Stack:
    """PostgreSQL, Redis, the sink, gunicorn and a worker with beat, for one trial."""

    def __init__(self) -> None:
        self.services = Services()
        self.services.start()
        assert self.services.postgres and self.services.redis
        self.services.postgres.create_database()
        self.sink = SmtpSink()
        self.sink.controller.start()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.env = servers.production_env(
            DATABASE_URL=self.services.postgres.url,
            REDIS_URL=self.services.redis.url,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.sink.port),
            TRUSTED_PROXY_COUNT="1",
            LOG_LEVEL="WARNING",
            **SCALED,
        )
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env["DJANGO_STATIC_MANIFEST"] = "0"  # no collectstatic for a trial from a checkout
        self.log = self.services.root / "processes.log"

    def manage(self, cwd: Path, *args: str) -> None:
        done = subprocess.run(  # noqa: S603 - our own command line
            [sys.executable, "manage.py", *args], cwd=cwd, env=self.env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]

    def start(self, cwd: Path, command: list[str]) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own command line
                command, cwd=cwd, env=self.env, stdout=output, stderr=output
            )
        self.processes.append(process)
        return process

    def web(self, cwd: Path, workers: int) -> int:
        port = free_port()
        command = servers.gunicorn_command("portal.wsgi:application", port)
        command[command.index("-w") + 1] = str(workers)
        self.start(cwd, command)
        wait_for_port(port)
        return port

    def worker(self, cwd: Path) -> None:
        schedule = self.services.root / "beat-schedule"
        self.start(cwd, [sys.executable, "-m", "celery", "-A", "portal", "worker",
                         "--concurrency=2", "--loglevel=WARNING", "--beat",
                         "--schedule", str(schedule)])  # fmt: skip

    def delivered(self, tag: str) -> tuple[int, int]:
        """Distinct outbox rows delivered for `tag`, and extra copies of them."""
        copies = Counter(
            m["X-Alta-Outbox-Id"] for m in list(self.sink.messages) if f"-{tag}@" in m["To"]
        )
        return len(copies), sum(n - 1 for n in copies.values())

    def close(self) -> None:
        assert self.services.redis
        if self.services.redis.process:
            os.kill(self.services.redis.process.pid, signal.SIGCONT)
        stop_processes(self.processes)
        self.sink.controller.stop()
        self.services.stop()


def run_load(port: int, recorder: Recorder, tag: str) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=load, args=(port, recorder, tag), daemon=True),
        threading.Thread(target=probe, args=(port, recorder), daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def finish(stack: Stack, recorder: Recorder, threads: list[threading.Thread], tag: str) -> str:
    """Stop the load, wait until every request that answered 302 has its email out (at most
    three minutes), and say how many were delivered and how many twice."""
    recorder.stop.set()
    for thread in threads:
        thread.join(90)
    expected = sum(1 for s in recorder.posts if s.status == "302")
    deadline = time.monotonic() + 180
    while stack.delivered(tag)[0] < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    delivered, copies = stack.delivered(tag)
    return (f"Emails: {expected} requests answered 302, {delivered} delivered, {copies} "
            "copies delivered twice.")  # fmt: skip


def phase_table(recorder: Recorder, phases: list[str]) -> str:
    header = ("phase", "requests", "statuses", "p50 ms", "p95 ms", "max ms",
              "/salud/vivo/ max ms (not 200)", "/salud/ answers", "/salud/ max ms")  # fmt: skip
    rows = []
    for phase in phases:
        posts = [s for s in recorder.posts if s.phase == phase]
        times = sorted(s.ms for s in posts)
        live = [s for s in recorder.live if s.phase == phase]
        ready = [s for s in recorder.ready if s.phase == phase]
        statuses = ", ".join(f"{k}: {v}" for k, v in Counter(s.status for s in posts).items())
        answers = ", ".join(f"{k}: {v}" for k, v in Counter(s.status for s in ready).items())
        rows.append((
            phase, str(len(posts)), statuses or "-",
            f"{percentile(times, 0.5):.0f}" if times else "-",
            f"{percentile(times, 0.95):.0f}" if times else "-",
            f"{times[-1]:.0f}" if times else "-",
            f"{max((s.ms for s in live), default=0):.0f} "
            f"({sum(1 for s in live if s.status != '200 ok')})",
            answers or "-",
            f"{max((s.ms for s in ready), default=0):.0f}",
        ))  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def redis_trial() -> str:
    stack = Stack()
    recorder = Recorder()
    try:
        stack.manage(ROOT, "migrate_locked", "--noinput")
        port = stack.web(ROOT, 3)
        stack.worker(ROOT)
        assert stack.services.redis and stack.services.redis.process
        threads = run_load(port, recorder, "fleet")
        phases = [
            ("Redis up", 20, None),
            (f"Redis hung (SIGSTOP) {HUNG_SECONDS:.0f} s", HUNG_SECONDS, "stop"),
            ("Redis killed (SIGKILL) 30 s", 30, "kill"),
            ("Redis back 30 s", 30, "start"),
        ]
        for name, seconds, action in phases:
            redis = stack.services.redis
            if action == "stop":
                os.kill(redis.process.pid, signal.SIGSTOP)
            elif action == "kill":
                os.kill(redis.process.pid, signal.SIGKILL)
                redis.process.wait(10)
                redis.process = None
            elif action == "start":
                redis.start()
            recorder.phase = name
            print(f"… {name}", file=sys.stderr)
            time.sleep(seconds)  # the phase's duration, not a wait for an outcome
        emails = finish(stack, recorder, threads, "fleet")
        errors = [line for line in stack.log.read_text(errors="replace").splitlines()
                  if '"level": "ERROR"' in line or " ERROR " in line]  # fmt: skip
        longest = max((len(line) for line in errors), default=0)
        return "\n".join([
            "## Fleet: Redis hung, killed and back (3 web processes, 1 worker with beat)",
            "",
            f"Written by `make bench-fleet` on {today()}. A steady load of POSTs to "
            f"`{RESET_PATH}` ({POSTERS} at a time), each queueing an email; the probes once a "
            "second with a 10 s timeout, as a kubelet would.",
            "",
            phase_table(recorder, [name for name, _, _ in phases]),
            "",
            f"{emails} ERROR lines in the processes' logs: {len(errors)}, the "
            f"longest {longest} bytes.",
        ])  # fmt: skip
    finally:
        recorder.stop.set()
        stack.close()


def previous_release() -> str:
    """FROM, or the newest commit whose migrations differ from this one's: the release the
    newest migrations upgrade from."""
    if os.environ.get("FROM"):
        return os.environ["FROM"]
    commits = subprocess.run(  # noqa: S603 - our own command line
        ["git", "log", "--first-parent", "--format=%H", "-200"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for commit in commits[1:]:
        same = subprocess.run(  # noqa: S603 - our own command line
            ["git", "diff", "--quiet", commit, "HEAD", "--", "*/migrations/"], cwd=ROOT
        )  # fmt: skip
        if same.returncode != 0:
            return commit
    raise SystemExit("No earlier commit with other migrations: set FROM=<commit>.")


def upgrade_trial() -> str:
    stack = Stack()
    recorder = Recorder()
    previous = previous_release()
    folder = Path(tempfile.mkdtemp(prefix="alta-previous-"))
    try:
        archive = subprocess.run(  # noqa: S603 - our own command line
            ["git", "archive", previous], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)  # noqa: S603
        label = subprocess.run(  # noqa: S603 - our own command line
            ["git", "log", "-1", "--format=%h %s", previous], cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.strip()[:90]  # fmt: skip
        stack.manage(folder, "migrate", "--noinput")
        port = stack.web(folder, 2)  # the previous release's code, from its own folder
        stack.worker(folder)
        threads = run_load(port, recorder, "upgrade")
        recorder.phase = "previous release, its schema"
        time.sleep(15)
        recorder.phase = "new release's migrate running"
        started = time.monotonic()
        stack.manage(ROOT, "migrate_locked", "--noinput")
        migrate_seconds = time.monotonic() - started
        recorder.phase = "previous release, new schema"
        time.sleep(20)
        emails = finish(stack, recorder, threads, "upgrade")
        phases = ["previous release, its schema", "new release's migrate running",
                  "previous release, new schema"]  # fmt: skip
        return "\n".join([
            f"## Fleet: upgrade while the previous release serves (from `{label}`)",
            "",
            f"Written by `make bench-fleet` on {today()}. The previous release's gunicorn "
            "(2 processes) and worker serve the same load while `migrate_locked` of this "
            "release runs.",
            "",
            phase_table(recorder, phases),
            "",
            f"The new migrations took {migrate_seconds:.1f} s. {emails}",
        ])  # fmt: skip
    finally:
        recorder.stop.set()
        stack.close()
        shutil.rmtree(folder, ignore_errors=True)


def today() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def main() -> None:
    trials = sys.argv[1:] or ["redis", "upgrade"]
    for trial in trials:
        text = {"redis": redis_trial, "upgrade": upgrade_trial}[trial]()
        print("\n" + text)
        sections.write_section(f"fleet-{trial}", text)


if __name__ == "__main__":
    main()
