"""`make bench-email`: what happens to emails under each fault of issue 14, in figures.

Starts its own PostgreSQL and Redis (tests/services.py), a real SMTP sink (tests/helpers.py
SmtpSink) and real Celery workers with beat, then runs each fault with time scaled down:
OUTBOX_RETRY_BASE_SECONDS=1 (production 30), OUTBOX_RETRY_MAX_SECONDS=4 (3600),
OUTBOX_MAX_ATTEMPTS=8 (36), beat every 1 s (60 s). So "SMTP refusing 10 min" becomes 20 s of
refusals (about as many attempts), and "past the last attempt" about 30 s.
Prints, per fault: emails expected, delivered, duplicated (same / different Message-ID),
rows failed, what `/salud/` said during the fault and after, and the workers' ERROR lines.
Figures, not pass/fail.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.services import stop_processes  # noqa: E402

SCALED = {
    "OUTBOX_RETRY_BASE_SECONDS": "1",
    "OUTBOX_RETRY_MAX_SECONDS": "4",
    "OUTBOX_MAX_ATTEMPTS": "8",
    "OUTBOX_RESEND_SECONDS": "1",
    # A killed worker's row is retried after its lease: 6 s here, not production's 310 s,
    # which outlasts SETTLE_TIMEOUT (the kills and the restart then counted nothing sent).
    "OUTBOX_ATTEMPT_SECONDS": "5",
    "OUTBOX_LEASE_MARGIN_SECONDS": "1",
}
REDIS_DOWN_SECONDS = float(os.environ.get("BENCH_REDIS_DOWN_SECONDS", "60"))
SETTLE_TIMEOUT = 120.0


@dataclass
class Outcome:
    fault: str
    expected: int
    delivered: int = 0
    same_id: int = 0
    different_id: int = 0
    failed: int = 0
    health_during: str = "n/a"
    health_after: str = "n/a"
    errors: list[str] = field(default_factory=list)


class Bench:
    def __init__(self) -> None:
        from tests.helpers import SmtpSink
        from tests.services import Services

        self.services = Services()
        self.services.start()
        assert self.services.postgres and self.services.redis
        self.services.postgres.create_database()
        self.sink = SmtpSink()
        self.sink.controller.start()
        self.workers: list[subprocess.Popen[bytes]] = []
        self.log = self.services.root / "worker.log"
        os.environ.update(SCALED)
        os.environ["EMAIL_HOST"] = "127.0.0.1"
        os.environ["EMAIL_PORT"] = str(self.sink.port)

    # --- processes ----------------------------------------------------------------------
    def start_worker(self, *, beat: bool = True) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
                   "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"]  # fmt: skip
        if beat:
            schedule = self.services.root / f"beat-{len(self.workers)}"
            command += ["--beat", "--schedule", str(schedule)]
        with open(self.log, "ab") as output:
            worker = subprocess.Popen(  # noqa: S603 - our own command line
                command, cwd=ROOT, stdout=output, stderr=output
            )
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        stop_processes(self.workers)
        self.workers = []

    def close(self) -> None:
        self.stop_workers()
        self.sink.controller.stop()
        self.services.stop()

    # --- one fault ------------------------------------------------------------------------
    def reset(self) -> None:
        import redis
        from django.db import close_old_connections

        from notifications.models import OutboxEmail

        close_old_connections()
        OutboxEmail.objects.all().delete()
        # Tasks the previous fault's beat queued and no worker took would act on this
        # fault's rows (a send_pending re-sending where beat is meant to be stopped).
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
        self.sink.messages.clear()
        self.sink.attempts = 0
        self.sink.refuse = False
        self.sink.delay = 0.0
        self.log.write_bytes(b"")

    def queue(self, count: int, fault: str) -> list[int]:
        from notifications.services import queue_email

        return [
            queue_email(f"{fault}-{n}@ejemplo.test", "solicitud_recibida",
                        {"full_name": "ANA PEREZ"}).pk
            for n in range(count)
        ]  # fmt: skip

    def settled(self) -> bool:
        from django.db import close_old_connections

        from notifications.models import OutboxEmail

        close_old_connections()
        try:
            return not OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).exists()
        except Exception:  # noqa: BLE001 - the database may be the fault under way
            return False

    def health(self) -> str:
        from django.db import close_old_connections
        from django.test import Client

        close_old_connections()
        try:
            response = Client().get("/salud/")
        except Exception as exc:  # noqa: BLE001 - a figure, not a failure
            return f"raised {type(exc).__name__}"
        body = response.json()
        outbox = body.get("outbox", {})
        beat = body.get("beat", {})
        return (
            f"{response.status_code} {body.get('status')}"
            + (f" failed={outbox.get('failed')} overdue={outbox.get('overdue')}" if outbox else "")
            + (" beat-stale" if beat.get("stale") else "")
        )

    def measure(self, outcome: Outcome) -> Outcome:
        from notifications.models import OutboxEmail

        per_row: dict[str, list[str]] = {}
        for message in self.sink.messages:
            per_row.setdefault(message["X-Alta-Outbox-Id"], []).append(message["Message-ID"])
        outcome.delivered = len(per_row)
        for ids in per_row.values():
            copies = Counter(ids)
            outcome.same_id += sum(n - 1 for n in copies.values())
            outcome.different_id += len(copies) - 1
        outcome.failed = OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).count()
        outcome.health_after = self.health()
        # ERROR lines by kind (digits blanked, so one kind counts once per row or retry).
        kinds = Counter(
            re.sub(r"\d+", "N", line.split("ERROR/", 1)[-1].strip())[:100]
            for line in self.log.read_text(errors="replace").splitlines()
            if "ERROR" in line
        )
        outcome.errors = [f"{n}x {kind}" for kind, n in kinds.most_common()]
        return outcome


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# --- the faults ---------------------------------------------------------------------------
def redis_down(bench: Bench) -> Outcome:
    outcome = Outcome(f"Redis down {REDIS_DOWN_SECONDS:.0f} s", expected=5)
    bench.start_worker()
    assert bench.services.redis
    bench.services.redis.stop()
    bench.queue(5, "redis")
    time.sleep(REDIS_DOWN_SECONDS)  # the fault's duration, not a wait for an outcome
    outcome.health_during = bench.health()
    bench.services.redis.start()
    wait_until(bench.settled, SETTLE_TIMEOUT)
    return outcome


def smtp_refusing(bench: Bench) -> Outcome:
    outcome = Outcome("SMTP refusing 20 s (~10 min)", expected=5)
    bench.start_worker()
    bench.sink.refuse = True
    bench.queue(5, "refusing")
    time.sleep(20)  # the fault's duration
    outcome.health_during = bench.health()
    bench.sink.refuse = False
    wait_until(bench.settled, SETTLE_TIMEOUT)
    return outcome


def smtp_down_past_last_attempt(bench: Bench) -> Outcome:
    outcome = Outcome("SMTP down past last attempt", expected=3)
    bench.start_worker()
    bench.sink.refuse = True
    bench.queue(3, "down")
    wait_until(bench.settled, SETTLE_TIMEOUT)  # every row failed for good
    outcome.health_during = bench.health()
    bench.sink.refuse = False
    return outcome


def kill_before_data(bench: Bench) -> Outcome:
    outcome = Outcome("worker SIGKILL before DATA", expected=1)
    bench.sink.delay = 4.0
    first = bench.start_worker(beat=False)  # SIGKILL would orphan an embedded beat
    bench.queue(1, "before")
    wait_until(lambda: bench.sink.attempts >= 1, 60)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    bench.sink.delay = 0.0
    outcome.health_during = bench.health()
    bench.start_worker()
    wait_until(bench.settled, SETTLE_TIMEOUT)
    return outcome


def kill_after_250(bench: Bench) -> Outcome:
    """The server accepted the email and the worker dies before it records it as sent (the
    row is held, so its write waits): one copy more, with the same Message-ID."""
    from notifications.models import OutboxEmail
    from tests.helpers import RowHeld

    outcome = Outcome("worker SIGKILL after 250", expected=1)
    bench.sink.delay = 1.0  # accepted 1 s after its data: time to hold the row
    first = bench.start_worker(beat=False)  # SIGKILL would orphan an embedded beat
    (pk,) = bench.queue(1, "after")
    wait_until(lambda: OutboxEmail.objects.filter(pk=pk, attempts=1).exists(), 60)
    held = RowHeld(pk)
    wait_until(lambda: bench.sink.messages, 60)
    wait_until(lambda: held.waiters() == 1, 60)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    held.let_go()
    bench.sink.delay = 0.0
    outcome.health_during = bench.health()
    bench.start_worker()
    wait_until(bench.settled, SETTLE_TIMEOUT)
    return outcome


def postgres_restart(bench: Bench) -> Outcome:
    from django.db import connections

    outcome = Outcome("PostgreSQL restart", expected=5)
    bench.sink.delay = 0.5  # some rows are mid-send when the database goes
    bench.start_worker()
    bench.queue(5, "pg")
    wait_until(lambda: bench.sink.attempts >= 1, 60)
    assert bench.services.postgres
    connections.close_all()
    bench.services.postgres.stop()
    time.sleep(5)  # the fault's duration
    outcome.health_during = bench.health()
    bench.services.postgres.start()
    wait_until(bench.settled, SETTLE_TIMEOUT)
    return outcome


def beat_stopped(bench: Bench) -> Outcome:
    outcome = Outcome("beat stopped (20 s), then back", expected=3)
    bench.sink.refuse = True  # every first attempt fails: only beat can send them again
    bench.start_worker(beat=False)
    bench.queue(3, "beat")
    wait_until(lambda: bench.sink.attempts >= 3, 60)
    bench.sink.refuse = False
    time.sleep(20)  # the fault's duration
    outcome.health_during = bench.health() + f" sent-meanwhile={len(bench.sink.messages)}"
    bench.start_worker()  # a second worker, with beat
    wait_until(bench.settled, SETTLE_TIMEOUT)
    return outcome


FAULTS = [redis_down, smtp_refusing, smtp_down_past_last_attempt, kill_before_data,
          kill_after_250, postgres_restart, beat_stopped]  # fmt: skip


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    bench = Bench()
    try:
        import django
        from django.core.management import call_command

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        django.setup()
        call_command("migrate", verbosity=0)
        # The bench's own "could not queue" warnings (with tracebacks) would bury the table.
        logging.getLogger("notifications").setLevel(logging.ERROR)
        outcomes = []
        for fault in FAULTS:
            bench.reset()
            started = time.monotonic()
            outcome = bench.measure(fault(bench))
            bench.stop_workers()
            print(f"… {outcome.fault}: {time.monotonic() - started:.0f} s", file=sys.stderr)
            outcomes.append(outcome)
        report(outcomes)
    finally:
        bench.close()


def report(outcomes: list[Outcome]) -> None:
    header = ("fault", "expected", "delivered", "dup same-ID", "dup diff-ID", "failed",
              "/salud/ during", "/salud/ after")  # fmt: skip
    rows = [
        (o.fault, str(o.expected), str(o.delivered), str(o.same_id), str(o.different_id),
         str(o.failed), o.health_during, o.health_after)
        for o in outcomes
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print("\nERROR lines in the workers' logs, by kind:")
    for o in outcomes:
        print(f"- {o.fault}: {len(o.errors)}" + "".join(f"\n    {e}" for e in o.errors[:3]))


if __name__ == "__main__":
    main()
