"""The embedded default under write contention: a web process serving reads and writes while
a consumer's 4 threads record activities into the same SQLite file, for a given time.

Shared by the short version in ``make test`` and the minute-long one in ``make soak``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from tests.reliability import workload as W
from tests.reliability.cluster import WebProcess, worker_env
from tests.support.queue import wait_until
from webapp.activity import Activity
from webapp.extensions import db

WRITERS = 4
REQUEST_THREADS = 3
LOCKED = "database is locked"


@dataclass
class Figures:
    written: int = 0
    stored: int = 0
    delivered: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    requests: Counter = field(default_factory=Counter)
    locked: int = 0

    def assert_nothing_locked_or_lost(self) -> None:
        """No "database is locked", every request 200, and every written activity stored
        and delivered once, in order."""
        assert self.locked == 0
        assert set(self.requests) == {"200"}
        assert self.written > 0
        assert self.stored == self.written
        assert (self.duplicates, self.out_of_order) == (0, 0)
        assert self.delivered == self.stored


def hammer(web: WebProcess, session, stop: threading.Event, statuses: Counter) -> None:
    """Reads and writes of a logged-in user, as fast as the server answers, until ``stop``."""
    calls = [
        ("get", "/api/notifications?limit=50", None),
        ("get", "/api/notifications/unread_count", None),
        ("post", "/api/notifications/read", {"all": True}),
        ("get", "/notifications", None),
        ("get", "/api/alerts", None),
    ]
    n = 0
    while not stop.is_set():
        method, path, body = calls[n % len(calls)]
        n += 1
        try:
            resp = session.request(method, web.url + path, json=body, timeout=30)
            statuses[f"{resp.status_code}"] += 1
        except Exception as exc:  # counted, and the test fails on it
            statuses[type(exc).__name__] += 1


def run_contention(app, backend, processes, person, tmp_path: Path, seconds: float) -> Figures:
    """Run the workload for ``seconds``; the figures to assert on."""
    env = worker_env(backend.env())
    web = WebProcess(processes, env, tmp_path / "web.log")
    processes.consumer(env, workers=WRITERS, log=tmp_path / "consumer.log")
    web.wait_ready()
    sock = web.socket(person)
    wait_until(lambda: sock.of("unread"), timeout=30, message="the session to be ready")
    log = tmp_path / "writers.log"
    with app.app_context():
        start_id = db.session.scalar(select(func.coalesce(func.max(Activity.id), 0)))
        for k in range(WRITERS):
            W.write_for(person.id, seconds, str(log), f"w{k}", 0.002)
        db.session.rollback()
    figures = Figures()
    stop = threading.Event()
    threads = [
        threading.Thread(target=hammer, args=(web, web.login(person), stop, figures.requests))
        for _ in range(REQUEST_THREADS)
    ]
    for t in threads:
        t.start()
    try:
        wait_until(
            lambda: len(W.runs(log, "writer")) == WRITERS,
            timeout=seconds + 120,
            interval=0.5,
            message="every writer to finish",
        )
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    figures.written = sum(n for _, n, _ in W.runs(log, "writer"))
    with app.app_context():
        figures.stored = db.session.scalar(
            select(func.count()).where(Activity.id > start_id, Activity.user_id == person.id)
        )
        db.session.rollback()
    delivered = [i for i in sock.wait_for_ids(figures.stored, timeout=120) if i > start_id]
    figures.delivered = len(set(delivered))
    figures.duplicates = len(delivered) - len(set(delivered))
    figures.out_of_order = sum(b < a for a, b in zip(delivered, delivered[1:], strict=False))
    figures.locked = sum(
        path.read_text(errors="replace").count(LOCKED)
        for path in (tmp_path / "web.log", tmp_path / "consumer.log")
    )
    return figures
