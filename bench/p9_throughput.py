"""P9: the overview's throughput charts over a week of history: ``throughput()`` (one grouped
query over the log's subject-type and time index) for the last hour per minute and the last
day per hour, with ``HISTORY_ROWS`` activities spread over the 7 days before now (jobs,
operations, events, periodic tasks and others, completed / failed / retried / started). The
baseline is the same GROUP BY written by hand as SQL text, fetched through the same session."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time

from sqlalchemy import text

from bench.backends import app_for, database_kinds
from bench.dataset import COLUMNS
from bench.harness import Results, Row, latencies_ms, paired, percentile, temp_dir

HISTORY_ROWS = int(os.environ.get("BENCH_HISTORY_ROWS", "1000000"))
CALLS = 20
SUBJECTS = ("job", "operation", "event_message", "periodic_task", "service")
ENDS = ("completed", "completed", "completed", "failed", "retried", "started")


def _rows(now: dt.datetime, seed: int = 11):
    rnd = random.Random(seed)
    step = dt.timedelta(days=7) / HISTORY_ROWS
    start = now.replace(tzinfo=None) - dt.timedelta(days=7)  # stored as naive UTC
    for i in range(1, HISTORY_ROWS + 1):
        subject = rnd.choice(SUBJECTS)
        end = rnd.choice(ENDS)
        key = f"{subject}.{end}"
        ok = end == "completed"
        yield (
            i,
            start + step * i,
            subject,
            str(rnd.randrange(10_000)),
            None,
            key,
            key,
            json.dumps(ok),
            ok if end in ("completed", "failed") else None,
            ok,
            None,
            True,
            True,
        )


def _load(kind: str, now: dt.datetime) -> None:
    from webapp.activity import Activity
    from webapp.extensions import db

    indexes = list(Activity.__table__.indexes)
    with db.engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        raw = conn.connection.dbapi_connection
        if kind == "postgresql":
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY activity ({', '.join(COLUMNS)}) FROM STDIN") as cp,
            ):
                for row in _rows(now):
                    cp.write_row(row)
        else:
            cur = raw.cursor()
            marks = ", ".join("?" * len(COLUMNS))
            sql = f"INSERT INTO activity ({', '.join(COLUMNS)}) VALUES ({marks})"
            batch = []
            for row in _rows(now):
                batch.append((row[0], row[1].isoformat(" ", "microseconds"), *row[2:]))
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            cur.executemany(sql, batch)
            cur.close()
        for index in indexes:
            index.create(conn)
    if kind == "postgresql":
        with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE activity")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def _raw_sql(kind: str, unit: str) -> str:
    if kind == "postgresql":
        bucket = f"date_trunc('{unit}', created_at)"
    else:
        bucket = (
            "strftime('%Y-%m-%d %H:%M:00', created_at)"
            if unit == "minute"
            else ("strftime('%Y-%m-%d %H:00:00', created_at)")
        )
    kind_case = (
        "CASE WHEN key LIKE '%.completed' THEN 'completed' WHEN key LIKE '%.processed' THEN "
        "'completed' WHEN key LIKE '%.failed' THEN 'failed' WHEN key LIKE '%.retried' THEN "
        "'retried' END"
    )
    return (
        f"SELECT subject_type, {kind_case} AS kind, {bucket} AS bucket, count(*) FROM activity "
        "WHERE subject_type IN ('job', 'operation', 'event_message', 'periodic_task') "
        f"AND created_at >= :since GROUP BY subject_type, kind, bucket"
    )


def run(results: Results) -> None:
    from webapp.activity.throughput import RANGES, bucket_starts, throughput
    from webapp.database import utcnow
    from webapp.extensions import db

    for kind in database_kinds():
        with temp_dir() as tmp, app_for(kind, tmp) as app, app.app_context():
            now = utcnow()
            started = time.monotonic()
            _load(kind, now)
            loaded = time.monotonic() - started
            for range_, (unit, count) in RANGES.items():
                since = bucket_starts(now, unit, count)[0].replace(tzinfo=None)
                raw = text(_raw_sql(kind, unit))
                samples: list[list[float]] = []

                def raw_once(raw=raw, since=since) -> None:
                    db.session.execute(raw, {"since": since}).all()

                def beacon_once(range_=range_, now=now) -> None:
                    throughput(range_, now)

                def sample(fn, keep: bool, samples=samples) -> float:
                    values = latencies_ms(fn, CALLS)
                    db.session.rollback()
                    if keep:
                        samples.append(values)
                    return percentile(values, 50)

                base, ours = paired(
                    lambda: sample(raw_once, False), lambda: sample(beacon_once, True)
                )
                p99 = sorted(percentile(v, 99) for v in samples)[len(samples) // 2]
                _starts, counts = throughput(range_, now)
                counted = sum(sum(v) for per in counts.values() for v in per.values())
                label = "last hour per minute" if range_ == "hour" else "last day per hour"
                results.add(
                    Row(
                        "P9",
                        kind,
                        f"overview throughput, {label}, {HISTORY_ROWS:,} activities "
                        "over 7 days, p50",
                        ours,
                        base,
                        "ms",
                        "<= 1.3",
                        ours / base <= 1.3,
                        higher_is_better=False,
                        notes=(
                            f"p99 {p99:.1f} ms; {counted:,} outcomes counted; "
                            f"history loaded in {loaded:.0f} s"
                        ),
                    )
                )
