"""P4's producer: a separate process with Beacon's app (as a Huey consumer has it) that calls
``record_activity`` at a steady rate, round robin over the bench users, from WORKERS threads
(a consumer's worker threads: one alone cannot commit 500 rows a second to PostgreSQL).

``python -m bench.p4_producer`` (settings from the environment, like ``huey_consumer``)
prints ``ready``, then runs each stdin line and prints ``done <achieved rate>`` after it:

* ``RATE COUNT FIRST_USER USERS``: COUNT activities ``bench.delivered`` whose value carries
  ``t``, the time just before ``record_activity`` was called;
* ``raw RATE COUNT URL`` (with a Socket.IO message queue only): the baseline through the same
  path, COUNT ``bench_raw`` events emitted from this process the way Flask-SocketIO documents
  for an external process: a write-only ``socketio.RedisManager`` on the app's channel,
  ``emit(..., to=sid)`` to each session of the users round robin (their sessions listed by
  the server at ``URL/__bench/sessions``); the web server's own manager forwards them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import requests

WORKERS = int(os.environ.get("BENCH_PRODUCER_WORKERS", "4"))


def paced(app, rate: float, count: int, action: Callable[[int], None]) -> float:
    """``action(seq)`` for seq in 0..count-1, each due at ``seq / rate`` s; worker ``k`` does
    every WORKERS-th. Returns the achieved rate."""
    start = time.perf_counter()

    def work(k: int) -> None:
        with app.app_context():
            for seq in range(k, count, WORKERS):
                delay = start + seq / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                action(seq)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - start)


def produce(app, rate: float, count: int, first_user: int, users: int) -> float:
    from webapp.activity import record_activity

    def record(seq: int) -> None:
        record_activity(
            "bench.delivered",
            {"t": time.time(), "seq": seq},
            "delivered",
            user_id=first_user + seq % users,
        )

    return paced(app, rate, count, record)


def emit_raw(app, manager, rate: float, count: int, url: str) -> float:
    from bench.p4_server import raw_payload
    from webapp.notifications.fanout import NAMESPACE

    sessions = requests.get(f"{url}/__bench/sessions", timeout=10).json()
    sids = [sessions[user] for user in sorted(sessions, key=int)]

    def emit(seq: int) -> None:
        for sid in sids[seq % len(sids)]:
            manager.emit("bench_raw", raw_payload(seq), to=sid, namespace=NAMESPACE)

    return paced(app, rate, count, emit)


def main() -> None:
    import socketio

    from webapp import create_app, socketio_channel

    app = create_app()
    queue = app.config.get("BEACON_SOCKETIO_QUEUE")
    manager = None
    if queue:
        manager = socketio.RedisManager(queue, channel=socketio_channel(app), write_only=True)
    with app.app_context():
        print("ready", flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "raw":
                if manager is None:
                    raise RuntimeError("raw: no Socket.IO message queue configured")
                achieved = emit_raw(app, manager, float(words[1]), int(words[2]), words[3])
            else:
                rate, count, first_user, users = words
                achieved = produce(app, float(rate), int(count), int(first_user), int(users))
            print(f"done {achieved:.1f}", flush=True)


if __name__ == "__main__":
    main()
