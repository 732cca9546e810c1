"""`make bench`: run every figure and write bench/RESULTS.md."""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path

from bench.backends import pg_url, redis_url
from bench.harness import Results, load_average, write_results
from bench.notes import BASELINES, FIXES, MISSES

FIGURES = [
    "p1_activity",
    "p2_jobs",
    "p3_operations",
    "p4_delivery",
    "p5_feed",
    "p6_health",
    "p7_long_running",
    "p8_search",
    "p9_throughput",
]


def service_versions() -> list[str]:
    lines = []
    if pg_url():
        import sqlalchemy as sa

        engine = sa.create_engine(pg_url())
        with engine.connect() as conn:
            lines.append(f"- PostgreSQL: {conn.exec_driver_sql('SHOW server_version').scalar()}")
        engine.dispose()
    else:
        lines.append("- PostgreSQL: not measured (TEST_DATABASE_URL unset)")
    if redis_url():
        import redis

        client = redis.Redis.from_url(redis_url())
        lines.append(f"- Redis: {client.info('server')['redis_version']}")
        client.close()
    else:
        lines.append("- Redis: not measured (TEST_REDIS_URL unset)")
    return lines


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    wanted = argv or FIGURES
    results = Results()
    started = time.monotonic()
    load_at_start = load_average()
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                results.notes.append(f"{name}: not written yet")
                continue
            raise
        module.run(results)
    from bench import dataset

    dataset.close_all()
    out = Path(__file__).with_name("RESULTS.md")
    write_results(
        results,
        out,
        service_versions(),
        time.monotonic() - started,
        load=(load_at_start, load_average()),
        baselines=BASELINES,
        fixes=FIXES,
        misses=MISSES,
    )
    print(f"wrote {out}")
    missed = [r for r in results.rows if not r.passed]
    return 1 if missed and "--strict" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv[1:] if not a.startswith("--")]))
