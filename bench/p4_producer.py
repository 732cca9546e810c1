"""P4's producer: a separate process with Beacon's app (as a Huey consumer has it) that calls
``record_activity`` at a steady rate, round robin over the bench users, from WORKERS threads
(a consumer's worker threads: one alone cannot commit 500 rows a second to PostgreSQL).

``python -m bench.p4_producer`` (settings from the environment, like ``huey_consumer``)
prints ``ready``, then runs each stdin line ``RATE COUNT FIRST_USER USERS``: COUNT activities
``bench.delivered`` whose value carries ``t``, the time just before ``record_activity`` was
called; prints ``done <achieved rate>`` after each run.
"""

from __future__ import annotations

import os
import sys
import threading
import time

WORKERS = int(os.environ.get("BENCH_PRODUCER_WORKERS", "4"))


def produce(app, rate: float, count: int, first_user: int, users: int) -> float:
    """Activity ``seq`` is due at ``seq / rate`` s; worker ``k`` records every WORKERS-th."""
    start = time.perf_counter()

    def work(k: int) -> None:
        from webapp.activity import record_activity

        with app.app_context():
            for seq in range(k, count, WORKERS):
                delay = start + seq / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                record_activity(
                    "bench.delivered",
                    {"t": time.time(), "seq": seq},
                    "delivered",
                    user_id=first_user + seq % users,
                )

    threads = [threading.Thread(target=work, args=(k,)) for k in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - start)


def main() -> None:
    from webapp import create_app

    app = create_app()
    with app.app_context():
        print("ready", flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            rate, count, first_user, users = line.split()
            achieved = produce(app, float(rate), int(count), int(first_user), int(users))
            print(f"done {achieved:.1f}", flush=True)


if __name__ == "__main__":
    main()
