"""Soak: 200 Socket.IO clients connected to one web process for 5 minutes while activities are
recorded at 100 per second, and one more client connects and disconnects over and over. The
web process's memory and thread count stay flat and no delivery is dropped.

The web process is a real gunicorn (deploy/gunicorn.conf.py) on PostgreSQL + Redis; its
resident memory is read from /proc every few seconds. ``BEACON_SOAK_SECONDS`` shortens the
run for a quick local try (the figures then mean less).
"""

from __future__ import annotations

import os
import statistics
import threading
import time

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tests.reliability.cluster import WebProcess, worker_env
from tests.support.live import SocketClient
from tests.support.queue import wait_until
from webapp.activity import Activity, record_activity
from webapp.extensions import db

pytestmark = [pytest.mark.soak, pytest.mark.slow, pytest.mark.backends("pg_redis")]

SECONDS = float(os.environ.get("BEACON_SOAK_SECONDS", 300))
RATE = 100  # activities per second
USERS = 100
CLIENTS_PER_USER = 2
#: Memory is compared from here on: connections made, caches and pools warm.
WARMUP = min(60.0, SECONDS / 5)
SAMPLE_EVERY = 2.0
#: A closed Engine.IO session's ping thread sleeps out one ping interval (25 s) before it ends,
#: so the web process's thread count is compared only after that long without churn.
SETTLE = 25 + 5


def produce(app, user_ids: list[int], stop: threading.Event, made: list[int]) -> None:
    """Record RATE activities a second, round-robin over the users, until ``stop``."""
    start = time.monotonic()
    n = 0
    with app.app_context():
        while not stop.is_set():
            ahead = start + n / RATE - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            made.append(
                record_activity("soak.tick", {"n": n}, user_id=user_ids[n % len(user_ids)]).id
            )
            n += 1


def sample(web: WebProcess, stop: threading.Event, samples: list[tuple[float, int, int]]) -> None:
    """(seconds in, RSS KiB, threads) of the web process every SAMPLE_EVERY seconds."""
    start = time.monotonic()
    while not stop.wait(SAMPLE_EVERY):
        samples.append((time.monotonic() - start, web.rss_kib(), web.threads()))


def churn(web: WebProcess, person, stop: threading.Event, cycles: list[int]) -> None:
    """Connect, wait until ready, disconnect; again until ``stop`` (sessions come and go)."""
    session = web.login(person)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    while not stop.is_set():
        sock = SocketClient().connect(web.url, cookie)
        try:
            wait_until(lambda sock=sock: sock.of("unread"), timeout=30, message="churn session")
        finally:
            sock.disconnect()
        cycles.append(1)
        stop.wait(0.2)


def test_two_hundred_clients_for_five_minutes_keep_memory_flat_and_miss_nothing(
    app, backend, processes, tmp_path
):
    people = [make_user(app, f"soak{i}@example.com") for i in range(USERS)]
    churner = make_user(app, "churn@example.com")
    web = WebProcess(processes, worker_env(backend.env()), tmp_path / "web.log")
    web.wait_ready()
    sockets = {p.id: [web.socket(p) for _ in range(CLIENTS_PER_USER)] for p in people}
    every = [s for socks in sockets.values() for s in socks]
    wait_until(lambda: all(s.of("unread") for s in every), timeout=120, message="200 sessions")
    time.sleep(SETTLE)
    threads_before = web.threads()

    stop = threading.Event()
    made: list[int] = []
    samples: list[tuple[float, int, int]] = []
    cycles: list[int] = []
    threads = [
        threading.Thread(target=produce, args=(app, list(sockets), stop, made)),
        threading.Thread(target=sample, args=(web, stop, samples)),
        threading.Thread(target=churn, args=(web, churner, stop, cycles)),
    ]
    for t in threads:
        t.start()
    try:
        stop.wait(SECONDS)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    time.sleep(SETTLE)
    threads_after = web.threads()

    with app.app_context():
        expected = {
            uid: list(
                db.session.scalars(
                    select(Activity.id).where(Activity.user_id == uid).order_by(Activity.id)
                )
            )
            for uid in sockets
        }
    dropped = 0
    for uid, socks in sockets.items():
        for sock in socks:
            got = sock.wait_for_ids(len(expected[uid]), timeout=120)
            dropped += len(set(expected[uid]) - set(got))
            assert got == expected[uid], f"user {uid}"
    deliveries = sum(len(ids) for ids in expected.values()) * CLIENTS_PER_USER
    warm = [s for s in samples if WARMUP / 2 <= s[0] <= WARMUP]
    last = [s for s in samples if s[0] >= SECONDS - WARMUP / 2]
    baseline, final = (statistics.median(s[1] for s in part) for part in (warm, last))
    growth = (final - baseline) / baseline
    print(
        f"\n[soak] {len(every)} clients, {SECONDS:.0f} s, {len(made)} activities "
        f"({len(made) / SECONDS:.0f}/s), {deliveries} deliveries, {dropped} dropped; web RSS "
        f"{baseline / 1024:.1f} MiB after warm-up -> {final / 1024:.1f} MiB at the end "
        f"({growth:+.1%}), peak {max(s[1] for s in samples) / 1024:.1f} MiB; "
        f"{len(cycles)} connect/disconnect cycles, web threads {threads_before} before "
        f"-> {threads_after} after (settled), peak {max(s[2] for s in samples)}"
    )
    assert len(made) >= RATE * SECONDS * 0.9  # the load was really applied
    assert growth < 0.10
    # Every ended session's threads are gone. gunicorn's pool keeps the threads it has made (up
    # to BEACON_WEB_THREADS) and may add one when a request arrives as another finishes, so a
    # few may stay; a thread kept by one session in a hundred fails this.
    assert len(cycles) > 0 and threads_after - threads_before <= len(cycles) // 100
