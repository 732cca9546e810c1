"""The large Activity table the read benchmarks (P5, P6) share, loaded once per database.

``FEED_ROWS`` activities over ``USERS`` users (half spread evenly, half over ``HEAVY`` users,
so some users have the 500+ rows a page 10 deep needs), plus ``PERIODIC_ROWS`` outcomes of
``TASKS`` periodic tasks (started, completed or failed). Rows go in through the database
driver (COPY on PostgreSQL, executemany on SQLite): the loading is not what is measured. The
database's own triggers fire for them as for any insert (they keep ``periodic_outcome``, each
task's newest success and error).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import time
from collections.abc import Iterator

from sqlalchemy import text

from bench.backends import app_for
from bench.harness import temp_dir

FEED_ROWS = int(os.environ.get("BENCH_FEED_ROWS", "1000000"))
PERIODIC_ROWS = int(os.environ.get("BENCH_PERIODIC_ROWS", "200000"))
USERS = 10_000
HEAVY = 500
TASKS = 1000
COLUMNS = (
    "id",
    "created_at",
    "subject_type",
    "subject_id",
    "user_id",
    "key",
    "base_key",
    "value",
    "outcome",
    "truthy",
    "message",
    "system",
    "private",
)

_open: dict[str, object] = {}
_stack = contextlib.ExitStack()


def rows(seed: int = 7) -> Iterator[tuple]:
    """Every row, in id order, as a tuple of COLUMNS (created_at naive UTC)."""
    rnd = random.Random(seed)
    total = FEED_ROWS + PERIODIC_ROWS
    start = dt.datetime(2026, 1, 1)
    periodic_every = total / PERIODIC_ROWS if PERIODIC_ROWS else None
    next_periodic = 0.0
    for i in range(1, total + 1):
        when = start + dt.timedelta(seconds=i * 2)
        if periodic_every is not None and i >= next_periodic:
            next_periodic += periodic_every
            task = f"task_{rnd.randrange(TASKS)}"
            roll = rnd.random()
            if roll < 0.5:
                key, value, outcome = f"{task}.started", None, None
            else:
                ok = roll < 0.95
                key, value, outcome = f"{task}.{'completed' if ok else 'failed'}", ok, ok
            yield (
                i,
                when,
                "periodic_task",
                task,
                None,
                key,
                key,
                json.dumps(value),
                outcome,
                bool(value),
                None,
                True,
                False,
            )
        else:
            heavy = rnd.random() >= 0.5
            user = rnd.randrange(1, (HEAVY if heavy else USERS) + 1)
            ok = rnd.random() > 0.2
            yield (
                i,
                when,
                "service",
                str(rnd.randrange(USERS * 3)),
                user,
                "action.sync",
                "sync",
                json.dumps(ok),
                ok,
                ok,
                "synced 12 items",
                rnd.random() < 0.1,
                rnd.random() < 0.05,
            )


def _users(conn) -> None:
    conn.execute(
        text(
            'INSERT INTO "user" (id, email, password_hash, role, created_at) '
            "VALUES (:id, :email, 'x', 'subscriber', :now)"
        ),
        [
            {"id": i, "email": f"user{i}@bench.io", "now": dt.datetime(2026, 1, 1)}
            for i in range(1, USERS + 1)
        ],
    )


def _load_sqlite(dbapi) -> None:
    cur = dbapi.cursor()
    sql = f"INSERT INTO activity ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch = []
    for row in rows():
        batch.append((*row[:1], row[1].isoformat(" ", "microseconds"), *row[2:]))
        if len(batch) == 50_000:
            cur.executemany(sql, batch)
            batch.clear()
    cur.executemany(sql, batch)
    cur.close()


def _load_postgresql(dbapi) -> None:
    with dbapi.cursor() as cur, cur.copy(f"COPY activity ({', '.join(COLUMNS)}) FROM STDIN") as cp:
        for row in rows():
            cp.write_row(row)
    with dbapi.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('activity', 'id'), %s)",
            (FEED_ROWS + PERIODIC_ROWS,),
        )


def shared(kind: str):
    """An app context on ``kind`` whose database holds the dataset (loaded on first use, kept
    until ``close_all``)."""
    if kind not in _open:
        tmp = _stack.enter_context(temp_dir())
        app = _stack.enter_context(app_for(kind, tmp))
        started = time.monotonic()
        with app.app_context():
            from webapp.activity import Activity
            from webapp.extensions import db

            # Building the indexes once after loading is much faster than keeping them
            # up to date row by row.
            indexes = list(Activity.__table__.indexes)
            with db.engine.begin() as conn:
                _users(conn)
                for index in indexes:
                    index.drop(conn)
                raw = conn.connection.dbapi_connection
                (_load_postgresql if kind == "postgresql" else _load_sqlite)(raw)
                for index in indexes:
                    index.create(conn)
            # As autovacuum would have it by the time a table is this big: statistics, and
            # (PostgreSQL) the visibility map that lets index-only scans skip the heap.
            if kind == "postgresql":
                autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
                with autocommit.connect() as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE activity")
            else:
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
        print(
            f"dataset on {kind}: {FEED_ROWS + PERIODIC_ROWS:,} rows loaded in "
            f"{time.monotonic() - started:.0f} s",
            flush=True,
        )
        _open[kind] = app
        # The app has started: what `flask beacon run` does before it serves.
        from webapp.serving import settle_heap

        settle_heap()
    return _open[kind].app_context()


def close_all() -> None:
    _stack.close()
    _open.clear()
