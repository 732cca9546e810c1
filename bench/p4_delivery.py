"""P4: delivery latency, from ``record_activity`` in a separate process to receipt by a
connected python-socketio client, at a steady rate spread over many connected users; against
a raw Socket.IO emit through the same path. With Redis, that is the documented emit from an
external process: the producer process publishes ``bench_raw`` events on the Socket.IO
message queue (a write-only ``socketio.RedisManager``, to each session), the same web server
forwards them to the same clients. Without a broker (the embedded default) no raw Socket.IO
path leads from another process to a client, so the baseline is a thread in the web server
emitting straight to the sessions; with Redis that in-server emit is measured too and given
in the row's notes.

Three processes besides this one, so each has its own CPU: the web server
(``flask beacon run --no-consumer``, see ``bench.p4_server``), the clients
(``bench.p4_clients``) and the producer (``bench.p4_producer``).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from bench.backends import app_for, child_env, pg_url, redis_url
from bench.harness import REPEATS, Results, Row, percentile, temp_dir

ROOT = Path(__file__).resolve().parents[1]
RATE = float(os.environ.get("BENCH_DELIVERY_RATE", "500"))
USERS = int(os.environ.get("BENCH_DELIVERY_USERS", "200"))
SECONDS = 2.0
PASSWORD = "bench-password"  # noqa: S105 - throwaway users of a throwaway database


class Child:
    """A child process spoken to by lines on stdin/stdout; killed by pid when done."""

    def __init__(self, args: list[str], env: dict, log: Path, interactive: bool = True) -> None:
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE if interactive else self.log,
            stderr=self.log,
            text=True,
            start_new_session=True,
        )

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.proc.args[:4]} ended; see {self.log.name}")
        return line.strip()

    def ask(self, line: str) -> str:
        self.send(line)
        return self.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(f"{url}/login", timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _make_users() -> int:
    """USERS subscribers sharing one password; returns the first id."""
    from flask import current_app
    from sqlalchemy import func, insert, select
    from werkzeug.security import generate_password_hash

    from webapp.accounts.models import User
    from webapp.database import utcnow
    from webapp.extensions import db

    digest = generate_password_hash(PASSWORD, current_app.config["BEACON_PASSWORD_METHOD"])
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bench{i}@bench.io",
                "password_hash": digest,
                "role": "subscriber",
                "created_at": utcnow(),
            }
            for i in range(1, USERS + 1)
        ],
    )
    db.session.commit()
    first = db.session.scalar(select(func.min(User.id)))
    db.session.remove()
    return first


def _collect(clients: Child, expected: int, kind: str, timeout: float = 20) -> list[float]:
    deadline = time.monotonic() + timeout
    while True:
        counts = json.loads(clients.ask("count"))
        if counts[kind] >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    got = json.loads(clients.ask("report"))[kind]
    if len(got) != expected:
        raise RuntimeError(f"{kind}: received {len(got)} of {expected}")
    return got


def _measure(results: Results, kind: str, redis: bool) -> None:
    label = f"{kind}+redis" if redis else kind
    count = int(RATE * SECONDS)
    with temp_dir() as tmp, app_for(kind, tmp, redis=redis) as app, ExitStack() as stack:
        with app.app_context():
            first_user = _make_users()
        env = child_env(app, tmp)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        flask = str(Path(sys.executable).with_name("flask"))
        server = Child(
            [
                flask,
                "--app",
                "bench.p4_server:create_bench_app",
                "beacon",
                "run",
                "--no-consumer",
                "--port",
                str(port),
            ],
            env,
            tmp / "server.log",
            interactive=False,
        )
        stack.callback(server.stop)
        _wait_for(url)
        clients = Child(
            [sys.executable, "-m", "bench.p4_clients", url, str(USERS), PASSWORD],
            env,
            tmp / "clients.log",
        )
        stack.callback(clients.stop)
        producer = Child([sys.executable, "-m", "bench.p4_producer"], env, tmp / "producer.log")
        stack.callback(producer.stop)
        if clients.read() != "ready" or producer.read() != "ready":
            raise RuntimeError("P4 clients or producer did not start")

        def beacon() -> list[float]:
            clients.ask("reset")
            done = producer.ask(f"{RATE} {count} {first_user} {USERS}")
            achieved.append(float(done.split()[1]))
            return _collect(clients, count, "activity")

        def in_server() -> list[float]:
            clients.ask("reset")
            requests.get(f"{url}/__bench/raw", params={"rate": RATE, "count": count}, timeout=10)
            return _collect(clients, count, "bench_raw")

        def queued() -> list[float]:
            clients.ask("reset")
            done = producer.ask(f"raw {RATE} {count} {url}")
            raw_achieved.append(float(done.split()[1]))
            return _collect(clients, count, "bench_raw")

        achieved: list[float] = []
        raw_achieved: list[float] = []
        sides = [beacon, queued, in_server] if redis else [beacon, in_server]
        got: dict = {fn: [] for fn in sides}
        for fn in sides:  # warm-up
            fn()
        if kind == "postgresql":
            from sqlalchemy import text

            from webapp.extensions import db

            # Statistics, as autovacuum keeps them in production (the test server runs
            # without it): a planner that takes the log for empty scans it all.
            with app.app_context():
                db.session.execute(text('ANALYZE activity, activity_read, read_cursor, "user"'))
                db.session.commit()
                db.session.remove()
        for i in range(REPEATS):
            # Rotate which side goes first: a slow patch of the machine hits none twice.
            for fn in sides[i % len(sides) :] + sides[: i % len(sides)]:
                got[fn].append(fn())
        baseline = queued if redis else in_server
        rate_note = f"{RATE:.0f}/s over {USERS} clients (achieved {min(achieved):.0f}/s)"
        for pct in (50, 99):
            b = statistics.median(percentile(v, pct) for v in got[beacon])
            r = statistics.median(percentile(v, pct) for v in got[baseline])
            goal = "ratio <= 1.5" + (", p99 <= 50 ms" if pct == 99 else "")
            passed = b / r <= 1.5 and (pct != 99 or b <= 50)
            notes = ""
            if redis:
                local = statistics.median(percentile(v, pct) for v in got[in_server])
                notes = (
                    f"baseline: producer process → Socket.IO Redis queue → server (achieved "
                    f"{min(raw_achieved):.0f}/s); the in-server emit straight to the sessions "
                    f"(no process hop) is {local:.3f} ms, Beacon ÷ that {b / local:.1f}"
                )
            results.add(
                Row(
                    "P4",
                    label,
                    f"delivery latency p{pct}, {rate_note}",
                    b,
                    r,
                    "ms",
                    goal,
                    passed,
                    higher_is_better=False,
                    notes=notes,
                )
            )


def run(results: Results) -> None:
    _measure(results, "sqlite", redis=False)
    if pg_url() and redis_url():
        _measure(results, "postgresql", redis=True)
    else:
        results.notes.append("P4: PostgreSQL+Redis not measured (TEST_* URLs unset).")
