"""Where job statuses live: the small interface both stores implement (``webapp.jobs.backend``
chooses one).

A store never reads a whole status to write it back: every change is one ``Write``, applied
atomically per field (an increment is an increment in the store, a field is set on its own),
so concurrent writers of the same job never lose each other's changes.
"""

from __future__ import annotations

import builtins
import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from webapp.durations import BOUNDS, Distribution

if TYPE_CHECKING:
    from webapp.jobs.search import ArgumentSearch

#: Every state a job can be in. ``interrupted``: its consumer died while it ran;
#: ``revoked``: revoked in Huey before it ran; ``expired``: its Huey ``expires`` passed;
#: ``cancelled``: stopped by ``cancel_job``, before or while it ran.
STATUSES = (
    "queued",
    "working",
    "completed",
    "failed",
    "cancelled",
    "interrupted",
    "revoked",
    "expired",
)
#: States a job does not leave on its own.
FINISHED = frozenset({"completed", "failed", "cancelled", "interrupted", "revoked", "expired"})
#: Conditions a write may be given (``Write.guard``): the job's status is ``queued``, is
#: ``working``, or is not finished (``open``: no status yet, queued or working).
GUARDS = ("queued", "working", "open")

#: Errors that mean the store cannot be reached for now (Redis restarting, a network blip). A
#: running job keeps such writes in memory and stores them once the store answers again.
UNAVAILABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)


def with_backoff(attempt: Callable[[], bool], wait: float) -> bool:
    """Call ``attempt`` until it returns True, for up to ``wait`` seconds, pausing 50 ms,
    then twice as long each time up to a second (a store coming back is not hammered);
    whether it succeeded."""
    deadline = time.monotonic() + wait
    pause = 0.05
    while not attempt():
        if time.monotonic() + pause > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
    return True


#: A status as a store returns it. Keys: id, task, owner_id, status, progress, total, attempts,
#: enqueued_at, started_at, finished_at, updated_at, cancel_requested_at (aware UTC datetimes
#: or None), cancelled_by (who asked to cancel: a user id or None), rate_since, rate_base,
#: expires_in, fields (the custom fields, a dict of JSON values).
Record = dict[str, Any]


def empty_record(job_id: str) -> Record:
    """The record of a job nothing is known about yet."""
    return {
        "id": job_id,
        "task": "",
        "owner_id": None,
        "status": None,
        "progress": 0,
        "total": None,
        "attempts": 0,
        "enqueued_at": None,
        "started_at": None,
        "finished_at": None,
        "updated_at": None,
        "cancel_requested_at": None,
        "cancelled_by": None,
        "rate_since": None,
        "rate_base": 0,
        "expires_in": None,
        "fields": {},
    }


@dataclass
class Write:
    """One change to a job's status, applied by a store atomically (one transaction, one
    Redis round trip).

    ``values`` sets standard fields (status, progress, total, enqueued_at, started_at,
    finished_at, cancel_requested_at, cancelled_by; None clears); ``keep`` sets them only where
    unset; ``increment`` is added to progress after ``values``; ``fields`` sets custom
    fields. ``create_only`` applies the write only if the job has no status yet; ``guard``
    only if its status is as named (see ``GUARDS``). ``attempt`` counts one more execution;
    ``rebase`` measures the rate from now and the resulting progress; ``lease`` ``"take"``
    starts the heartbeat lease, ``"drop"`` ends it. Every write renews the expiry:
    ``expires_in`` seconds from ``now``. ``task`` and ``owner_id`` name the job if the write
    creates it.
    """

    now: dt.datetime
    expires_in: float
    task: str = ""
    owner_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    keep: dict[str, dt.datetime] = field(default_factory=dict)
    increment: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    create_only: bool = False
    guard: str | None = None
    attempt: bool = False
    rebase: bool = False
    lease: str | None = None
    task_data: bytes | None = None


@dataclass(frozen=True)
class JobSummary:
    """What ``/metrics`` reads of a store: how many unexpired statuses are in each state
    (every state, 0 or more), and the durations (first start to end) of the jobs completed in
    a window, by task."""

    counts: dict[str, int]
    durations: dict[str, Distribution]


class JobStore:
    """The interface of a status store. Both implementations keep these promises:

    * ``write`` is atomic and per field: it never rewrites fields it was not given.
    * Reads honour expiry: a status is gone ``expires_in`` seconds after its last write or
      heartbeat, whether or not ``purge`` has run.
    * A lease (``Write.lease``) marks a job as running on a live consumer; ``heartbeat`` renews
      leases that are still held, ``stale`` finds those not renewed since a time, and
      ``interrupt`` ends one of them, exactly once even with many reapers.
    """

    name = "base"
    #: Whether ``list`` can search by argument values (``search``).
    searchable = False

    def write(self, job_id: str, change: Write, *, returning: bool = False) -> bool | Record | None:
        """Apply one change. Returns whether it was applied (False when ``create_only``
        found the job already there, or its ``guard`` did not hold); with ``returning``, the
        record as the change left it (None if not applied), read in the same transaction or
        round trip."""
        raise NotImplementedError

    def read_many(
        self, job_ids: Iterable[str], now: dt.datetime | None = None
    ) -> dict[str, Record]:
        """The unexpired statuses among these ids, by id (unknown ids are left out)."""
        raise NotImplementedError

    def read(self, job_id: str, now: dt.datetime | None = None) -> Record | None:
        """One unexpired status, or None."""
        return self.read_many([job_id], now).get(job_id)

    def list(
        self,
        *,
        owner_id: int | None = None,
        task: str | None = None,
        status: str | None = None,
        limit: int = 50,
        search: ArgumentSearch | None = None,
    ) -> list[Record]:
        """Unexpired statuses, newest enqueued first, filtered by owner, task, status and
        argument values (``search``; a store that cannot search raises SearchUnavailable)."""
        raise NotImplementedError

    def heartbeat(self, leases: Mapping[str, float], now: dt.datetime) -> None:
        """Renew the leases still held among these jobs (id -> expires_in), in one round trip."""
        raise NotImplementedError

    def cancel_requests(self, job_ids: Iterable[str]) -> set[str]:
        """Which of these jobs have had their cancel requested, in one round trip."""
        raise NotImplementedError

    def stale(self, before: dt.datetime, limit: int = 100) -> builtins.list[str]:
        """Ids of working jobs whose lease was last renewed before ``before``."""
        raise NotImplementedError

    def interrupt(
        self, job_id: str, stale_before: dt.datetime | None, now: dt.datetime
    ) -> tuple[Record, bytes | None] | None:
        """Mark a working job ``interrupted`` if its lease is still held and (when given) was
        last renewed before ``stale_before``. Returns its record and serialized task to the one
        caller that did it; None to everyone else."""
        raise NotImplementedError

    def purge(self, now: dt.datetime | None = None) -> int:
        """Delete what has expired; returns how many statuses (or index entries) went."""
        raise NotImplementedError

    def purge_finished(self, before: dt.datetime, batch_size: int = 1000) -> int:
        """Retention: delete finished statuses (see ``FINISHED``) whose ``finished_at`` is
        before ``before``, except the newest ``failed`` one of each task (by finish time, then
        id), in batches of at most ``batch_size``; returns how many went. Unfinished statuses
        are never touched; expiry still applies to what this keeps."""
        raise NotImplementedError

    def summary(
        self, since: dt.datetime, bounds: Sequence[float] = BOUNDS, now: dt.datetime | None = None
    ) -> JobSummary:
        """Statuses per state, and the durations of the jobs completed since ``since`` in
        buckets of ``bounds`` (seconds), by task. Reads only."""
        raise NotImplementedError
