"""P6: ``StatusChecker.overview()`` for 1,000 periodic tasks, on the shared dataset (over
1,000,000 activities): one query, p99 <= 50 ms. The baseline is the same 2,000 index lookups
(each task's newest success and newest error) hand-written, one statement per lookup."""

from __future__ import annotations

import datetime as dt
import gc

from sqlalchemy import text

from bench import dataset
from bench.backends import database_kinds
from bench.harness import Results, Row, latencies_ms, paired, percentile

CALLS = 30


def _register() -> list[str]:
    from webapp.activity import PERIODIC_TASKS, PeriodicSpec

    added = []
    for i in range(dataset.TASKS):
        name = f"task_{i}"
        if name not in PERIODIC_TASKS:
            PERIODIC_TASKS[name] = PeriodicSpec(
                name, dt.timedelta(minutes=5), dt.timedelta(minutes=2), "every 5 minutes"
            )
            added.append(name)
    return added


def run(results: Results) -> None:
    from sqlalchemy import event

    from webapp.activity import PERIODIC_TASKS, StatusChecker
    from webapp.extensions import db

    added = _register()
    names = [f"task_{i}" for i in range(dataset.TASKS)]
    lookup = text(
        "SELECT id, created_at FROM activity WHERE subject_type = 'periodic_task' AND "
        "subject_id = :n AND outcome = :t ORDER BY id DESC LIMIT 1"
    )
    try:
        for kind in database_kinds():
            with dataset.shared(kind):
                statements: list[str] = []
                samples: dict[str, list[list[float]]] = {"raw": [], "beacon": []}

                def count(conn, cursor, statement, *args, statements=statements):
                    # The query itself; a BEGIN (SQLite's BEGIN IMMEDIATE) is not a query.
                    if not statement.lstrip().upper().startswith("BEGIN"):
                        statements.append(statement)

                def raw_once() -> None:
                    conn = db.session.connection()
                    for n in names:
                        conn.execute(lookup, {"n": n, "t": True}).first()
                        conn.execute(lookup, {"n": n, "t": False}).first()

                def beacon_once() -> None:
                    if len(StatusChecker.overview()) < dataset.TASKS:
                        raise RuntimeError("overview() left tasks out")

                def sample(side: str, fn, calls: int, samples=samples) -> float:
                    values = latencies_ms(fn, calls)
                    db.session.rollback()
                    samples[side].append(values)
                    return percentile(values, 50)

                base, ours = paired(
                    lambda: sample("raw", raw_once, 3), lambda: sample("beacon", beacon_once, CALLS)
                )
                # The same answers as the lookups in the log itself.
                conn = db.session.connection()
                for row in StatusChecker.overview():
                    for outcome, field in ((True, "last_success"), (False, "last_error")):
                        found = conn.execute(lookup, {"n": row["name"], "t": outcome}).first()
                        got = row[field]
                        if (found[0] if found else None) != (got.id if got else None):
                            raise RuntimeError(f"overview(): {row['name']} {field} {got}")
                db.session.rollback()
                engine = db.engine
                event.listen(engine, "before_cursor_execute", count)
                try:
                    beacon_once()
                finally:
                    event.remove(engine, "before_cursor_execute", count)
                    db.session.rollback()
                p99s = sorted(percentile(v, 99) for v in samples["beacon"][1:])
                p99 = p99s[len(p99s) // 2]
                # The same calls with the garbage collector paused: what the query costs
                # without this process's full collections (see the notes).
                gc.disable()
                try:
                    quiet = percentile(latencies_ms(beacon_once, CALLS), 99)
                finally:
                    gc.enable()
                    db.session.rollback()
                total = f"{dataset.FEED_ROWS + dataset.PERIODIC_ROWS:,}"
                results.add(
                    Row(
                        "P6",
                        kind,
                        f"overview(), {dataset.TASKS:,} tasks / {total} "
                        f"rows, p50 (baseline: 2,000 hand-written lookups)",
                        ours,
                        base,
                        "ms",
                        f"one query ({len(statements)} run)",
                        len(statements) == 1,
                        higher_is_better=False,
                    )
                )
                results.add(
                    Row(
                        "P6",
                        kind,
                        "overview(), p99",
                        p99,
                        base,
                        "ms",
                        "p99 <= 50 ms",
                        p99 <= 50,
                        higher_is_better=False,
                        notes=f"p99 {quiet:.1f} ms with the garbage collector paused",
                    )
                )
    finally:
        for name in added:
            PERIODIC_TASKS.pop(name, None)
