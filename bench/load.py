"""The load generator: locust (headless, as a library) in a process of its own.

`python bench/load.py plan.json results.json`, started by bench/run.py pinned to another
core than gunicorn. The plan lists scenarios; each sends prepared requests (`items`: a
method, path, headers and body that a scripted browser made, bench/walker.py) with `users`
concurrent locust users for `warmup` + `seconds`, either as fast as the server answers or
at `rate` requests/s in all (locust's constant_throughput). An item is sent once unless the
scenario says `reuse` (a GET, or a POST that a session may repeat). Every answer is checked
(status, and a text or a Location it must carry), so an error page is counted as a failure,
never as speed. Only the `seconds` after the warm-up are counted: requests/s, p50/p95/p99.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant, constant_throughput, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.report import percentile  # noqa: E402


def run(host: str, scenario: dict) -> dict:
    items = scenario["items"]
    source = itertools.cycle(items) if scenario.get("reuse") else iter(items)
    users = int(scenario.get("users", 8))
    rate = scenario.get("rate")
    expect = scenario.get("expect", {})
    statuses = set(expect.get("status", [200]))
    contains = expect.get("contains")
    location = expect.get("location")
    follow = bool(scenario.get("follow"))
    done: list[tuple[float, float, bool]] = []  # (end time, seconds, ok)
    errors: dict[str, int] = {}
    exhausted = False

    class Person(FastHttpUser):
        wait_time = constant_throughput(rate / users) if rate else constant(0)
        network_timeout = 60.0
        connection_timeout = 60.0

        @task
        def send(self) -> None:
            nonlocal exhausted
            try:
                item = next(source)
            except StopIteration:
                exhausted = True
                gevent.sleep(0.5)
                return
            self.client.cookiejar.clear()  # each item carries its own session's cookies
            with self.client.request(
                item["method"],
                item["path"],
                data=item.get("body"),
                headers=item["headers"],
                name=scenario["name"],
                catch_response=True,
                allow_redirects=follow,
            ) as response:
                problem = ""
                if response.status_code not in statuses:
                    problem = f"status {response.status_code}"
                elif location and location not in (response.headers.get("Location") or ""):
                    problem = f"Location {response.headers.get('Location')}"
                elif contains and contains not in (response.text or ""):
                    problem = f"missing {contains!r}"
                if problem:
                    response.failure(problem)
                    errors[problem] = errors.get(problem, 0) + 1
                else:
                    response.success()

    env = Environment(user_classes=[Person], events=events, host=scenario.get("host", host))

    def record(response_time: float, exception: object, **_: object) -> None:
        done.append((time.monotonic(), response_time / 1000, exception is None))

    env.events.request.add_listener(record)
    runner = env.create_local_runner()
    began = time.monotonic()
    runner.start(users, spawn_rate=users)
    warmup = float(scenario.get("warmup", 1.0))
    seconds = float(scenario.get("seconds", 5.0))
    gevent.sleep(warmup + seconds)
    runner.quit()
    env.events.request.remove_listener(record)
    window = [d for d in done if d[0] >= began + warmup]
    ok = sorted(d[1] for d in window if d[2])
    return {
        "name": scenario["name"],
        "requests": len(window),
        "failures": sum(1 for d in window if not d[2]),
        "errors": errors,
        "exhausted": exhausted,
        "rps": len(ok) / seconds,
        "p50_ms": percentile(ok, 0.50) * 1000,
        "p95_ms": percentile(ok, 0.95) * 1000,
        "p99_ms": percentile(ok, 0.99) * 1000,
        "users": users,
        "rate": rate,
        "seconds": seconds,
    }


def main() -> None:
    plan = json.loads(open(sys.argv[1], encoding="utf-8").read())
    results = [run(plan["host"], scenario) for scenario in plan["scenarios"]]
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    main()
