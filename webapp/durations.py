"""Durations in buckets, counted by the database: how long the jobs and actions that finished
recently took, for ``/metrics`` (``webapp.metrics``).

A ``Distribution`` is what a Prometheus histogram shows: for each upper bound, how many took at
most that long (cumulative), how many in all and their sum. The jobs' SQL store and the
operations read theirs with one grouped query (``distributions``): the database counts the
buckets, so a busy hour is a few rows to read, not one row per job.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

#: Upper bounds (seconds) for jobs and actions: a fraction of a second to an hour.
BOUNDS: tuple[float, ...] = (
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
)


@dataclass(frozen=True)
class Distribution:
    """``buckets[i]`` durations took at most ``bounds[i]`` seconds (cumulative); ``count`` in
    all (the +Inf bucket), ``total`` seconds together."""

    bounds: tuple[float, ...]
    buckets: tuple[int, ...]
    count: int
    total: float

    @classmethod
    def of(cls, values: Iterable[float], bounds: Sequence[float] = BOUNDS) -> Distribution:
        """The distribution of these durations (counted here, not by the database)."""
        bounds = tuple(bounds)
        per_bucket = [0] * (len(bounds) + 1)
        count, total = 0, 0.0
        for value in values:
            value = max(value, 0.0)  # a clock step between two writes: in the first bucket
            per_bucket[bisect.bisect_left(bounds, value)] += 1
            count += 1
            total += value
        cumulative, running = [], 0
        for n in per_bucket[:-1]:
            running += n
            cumulative.append(running)
        return cls(bounds, tuple(cumulative), count, total)


class seconds_between(FunctionElement[float]):  # noqa: N801 - used like func.<name>
    """SQL: the seconds from one timestamp column to another (a float)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    # A float, as the bounds it is compared with are bound: EXTRACT gives a numeric, which
    # PostgreSQL would convert once per bucket (169-261 ms against 74-94 ms for 50,000 rows).
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    # Times are stored as text, "YYYY-MM-DD HH:MM:SS.ffffff" (webapp.database.UTCDateTime).
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def distributions(
    conn: Any,
    key: ColumnElement[Any],
    start: ColumnElement[Any],
    end: ColumnElement[Any],
    where: Iterable[ColumnElement[bool]],
    bounds: Sequence[float] = BOUNDS,
) -> dict[str, Distribution]:
    """The durations ``end - start`` of the rows matching ``where``, by ``key``, counted by the
    database in one grouped query on ``conn`` (a session or a connection)."""
    bounds = tuple(bounds)
    # MATERIALIZED: each row's duration is computed once, not once per bucket (SQLite inlines
    # a plain subquery: 157 ms against 83 ms for 50,000 rows of 100,000).
    rows = (
        select(key.label("key"), seconds_between(start, end).label("seconds"))
        .where(start.is_not(None), end.is_not(None), *where)
        .cte("timed")
        .prefix_with("MATERIALIZED")
    )
    # A negative duration (a clock step between the two writes) falls in the first bucket.
    stmt = select(
        rows.c.key,
        func.count(),
        func.sum(rows.c.seconds),
        *(func.sum(case((rows.c.seconds <= bound, 1), else_=0)) for bound in bounds),
    ).group_by(rows.c.key)
    return {
        str(name): Distribution(bounds, tuple(int(n) for n in buckets), int(count), float(total))
        for name, count, total, *buckets in conn.execute(stmt)
    }
