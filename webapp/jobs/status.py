"""JobStatus: read a job's status, and (inside the job, or anywhere) change it.

Changes are stored per field and atomically by the store; throttled changes (``increment``,
``decrement``, ``update`` without ``force``) are coalesced in memory and stored at the next
write the throttle allows, and always when the job ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, has_app_context
from huey.exceptions import CancelExecution, TaskTimeout

from webapp.coalesce import Coalescer
from webapp.database import iso_utc, this_app, utcnow
from webapp.jobs.backend import get_store
from webapp.jobs.search import ArgumentSearch
from webapp.jobs.signals import job_status_changed
from webapp.jobs.store import (
    FINISHED,
    STATUSES,
    UNAVAILABLE,
    JobStore,
    Record,
    Write,
    empty_record,
    with_backoff,
)
from webapp.jobs.validation import check_count, check_field, job_id_of
from webapp.masking import masked

log = logging.getLogger(__name__)

DEFAULT_EXPIRES_IN = 3600.0
#: Writes of progress alone (``increment``/``decrement``) are each stored, but announced at
#: most this often per job, whichever JobStatus wrote them: listeners (live progress bars)
#: need no more, and every announcement costs a read back and the listeners' emits. The
#: latest is always announced: one held back is let out when the interval is up, and by
#: ``flush()`` (the job's end) at once.
PROGRESS_ANNOUNCE_EVERY = 0.1


class JobCancelled(CancelExecution):  # noqa: N818 - the contract's name
    """Raised inside a job whose cancel was requested (``cancel_job``), by its next progress or
    status write or ``status.check_cancelled()``; the job ends ``cancelled``, never retried.
    Huey's own CancelExecution: the consumer logs a warning, not an error, and no retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry=False)


def store_write(store: JobStore, job_id: str, change: Write) -> bool:
    """Apply a change and announce it (``job_status_changed``) if it was stored; the record
    to announce comes back with the write, and only when someone listens."""
    listening = job_status_changed.has_receivers_for(this_app())
    result = store.write(job_id, change, returning=listening)
    if listening and isinstance(result, dict):
        announce(job_id, result)
    return bool(result)  # True, or a record (never empty); False or None: not applied


def announce(job_id: str, record: Record) -> None:
    """Send ``job_status_changed`` for this record of a job."""
    app = this_app()
    try:
        job_status_changed.send(
            app, job=JobStatus(job_id, record).to_dict(), owner_id=record["owner_id"]
        )
    except Exception:
        log.exception("a job_status_changed receiver failed for job %s", job_id)


def _iso(value: dt.datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


class Progress(float):
    """The progress ratio (0..1, a float) and the handle that changes the job's progress.

    ``status.progress`` reads as ``progress / total`` (0 when total is 0 or unset); the value
    is taken when read, so read ``status.progress`` again after changing it.
    """

    _status: JobStatus

    def __new__(cls, status: JobStatus) -> Progress:
        total, value = status.total, status.record["progress"]
        ratio = min(max(value / total, 0.0), 1.0) if total else 0.0
        obj = super().__new__(cls, ratio)
        obj._status = status
        return obj

    @property
    def total(self) -> int | None:
        return self._status.total

    @total.setter
    def total(self, value: int | None) -> None:
        self._status.update({"total": value}, force=True)

    @property
    def value(self) -> int:
        """The progress count."""
        return self._status.record["progress"]

    @value.setter
    def value(self, value: int) -> None:
        self._status.update({"progress": value}, force=True)

    def increment(self, n: int = 1) -> None:
        """Add ``n`` to the progress count (throttled)."""
        self._status.add_progress(n)  # checked there

    def decrement(self, n: int = 1) -> None:
        """Take ``n`` from the progress count (throttled)."""
        self._status.add_progress(-check_count("decrement", n))

    def finish(self) -> None:
        """Progress = total (or total = progress when no total was set); stored at once."""
        self._status.finish_progress()

    def __repr__(self) -> str:
        return f"Progress({float(self):.3f}: {self.value}/{self.total})"


class _Pending:
    """Changes not stored yet, coalesced: later values win, increments add up."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.fields: dict[str, Any] = {}
        self.increment = 0

    def add(self, values: Mapping[str, Any], fields: Mapping[str, Any], increment: int) -> None:
        if "progress" in values:
            self.increment = 0
        self.values.update(values)
        self.fields.update(fields)
        self.increment += increment

    def __bool__(self) -> bool:
        return bool(self.values or self.fields or self.increment)

    @property
    def progress_only(self) -> bool:
        return not self.values and not self.fields


class JobStatus:
    """A job's status: ``JobStatus.get(result_or_id)`` to read one; the job receives one as
    its ``status`` keyword argument to write it.

    It holds the values last read or written by this object (``reload()`` reads again). Writes
    are per field and atomic in the store, so several objects (threads, processes) may write
    the same job: increments add up and different fields never overwrite each other. One
    object may be shared by the job's own threads: a thread without an app context writes in
    one of the app the object was made in.
    ``throttle_interval`` (seconds) throttles ``progress.increment``/``decrement`` and
    ``update(..., force=False)``; setting total or progress, ``finish()``, ``status[k] = v``
    and ``update(..., force=True)`` are stored at once, together with anything pending.
    """

    def __init__(
        self,
        job_id: str,
        record: Record | None = None,
        *,
        store: JobStore | None = None,
        throttle_interval: float = 0.0,
        expires_in: float | None = None,
    ) -> None:
        self.id = job_id_of(job_id)
        self.record: Record = record or empty_record(self.id)
        self._store = store
        self.throttle_interval = throttle_interval
        self.expires_in = expires_in or self.record.get("expires_in") or DEFAULT_EXPIRES_IN
        self._app: Flask | None = this_app() if has_app_context() else None
        self._lock = threading.RLock()
        self._pending = _Pending()
        self._last_write: float | None = None
        #: Set on the handle a running job writes through (see ``run_by``).
        self._running = False
        self._cancel_seen = False
        self.deadline: float | None = None

    def run_by(self, timeout: float | None) -> JobStatus:
        """Make this the handle of the job's run: its writes raise JobCancelled once the
        cancel was requested, and TaskTimeout past ``timeout`` seconds from now."""
        self._running = True
        self.deadline = time.monotonic() + timeout if timeout else None
        return self

    # -- reading -----------------------------------------------------------------------------

    @classmethod
    def get(cls, job: Any, *, store: JobStore | None = None) -> JobStatus | None:
        """The status of a job (Huey Result or id); None if unknown or expired."""
        job_id = job_id_of(job)
        store = store or get_store()
        record = store.read(job_id)
        return None if record is None else cls(job_id, record, store=store)

    @classmethod
    def for_owner(
        cls, owner_id: int, limit: int = 20, status: str | None = None
    ) -> list[JobStatus]:
        """One user's jobs, newest first (``status="working"`` for the running ones)."""
        check_count("owner_id", owner_id, minimum=1)
        return cls._list(owner_id=owner_id, status=status, limit=limit)

    @classmethod
    def recent(
        cls,
        limit: int = 50,
        task: str | None = None,
        status: str | None = None,
        search: ArgumentSearch | None = None,
    ) -> list[JobStatus]:
        """Everyone's jobs, newest first, optionally of one task name, in one status and
        holding the argument values of ``search`` (SearchUnavailable where the store cannot
        search: the Redis store)."""
        return cls._list(task=task, status=status, limit=limit, search=search or None)

    @classmethod
    def _list(cls, *, limit: int, status: str | None, **filters: Any) -> list[JobStatus]:
        check_count("limit", limit, minimum=1)
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown job status {status!r}: expected one of {STATUSES}")
        store = get_store()
        records = store.list(status=status, limit=min(limit, 1000), **filters)
        return [cls(r["id"], r, store=store) for r in records]

    @property
    def store(self) -> JobStore:
        if self._store is None:
            self._store = get_store()
        return self._store

    def _app_context(self) -> contextlib.AbstractContextManager[Any]:
        """For the store's I/O: the caller's app context, else one of the app this object was
        made in (a thread the job started has none of its own)."""
        if self._app is None or has_app_context():
            return contextlib.nullcontext()
        return self._app.app_context()

    def reload(self) -> JobStatus:
        """Read the stored status again (an unknown or expired job reads as empty)."""
        with self._lock, self._app_context():
            self.record = self.store.read(self.id) or empty_record(self.id)
        return self

    @property
    def status(self) -> str | None:
        return self.record["status"]

    is_queued = property(lambda self: self.status == "queued")
    is_working = property(lambda self: self.status == "working")
    is_completed = property(lambda self: self.status == "completed")
    is_failed = property(lambda self: self.status == "failed")
    is_cancelled = property(lambda self: self.status == "cancelled")
    is_interrupted = property(lambda self: self.status == "interrupted")
    is_finished = property(lambda self: self.status in FINISHED, doc="It will not change again.")

    @property
    def progress(self) -> Progress:
        """The ratio progress / total (a float), also the handle to change the progress."""
        return Progress(self)

    @property
    def total(self) -> int | None:
        return self.record["total"]

    task = property(lambda self: self.record["task"])
    owner_id = property(lambda self: self.record["owner_id"])
    attempts = property(lambda self: self.record["attempts"])
    enqueued_at = property(lambda self: self.record["enqueued_at"])
    started_at = property(lambda self: self.record["started_at"])
    finished_at = property(lambda self: self.record["finished_at"])

    @property
    def estimated_finish_at(self) -> dt.datetime | None:
        """While working with a total: now + what is left at the rate observed so far."""
        rec = self.record
        if rec["status"] != "working" or not rec["total"] or rec["rate_since"] is None:
            return None
        now = utcnow()
        done = rec["progress"] - rec["rate_base"]
        elapsed = (now - rec["rate_since"]).total_seconds()
        if done <= 0 or elapsed <= 0:
            return None
        return now + dt.timedelta(seconds=max(rec["total"] - rec["progress"], 0) * elapsed / done)

    @property
    def cancel_requested(self) -> bool:
        """Whether ``cancel_job`` asked the job to stop (inside the job: seen within a second)."""
        return self._cancel_seen or self.record.get("cancel_requested_at") is not None

    def cancel_seen(self) -> None:
        """The job's cancel was requested (the lease monitor saw it in the store)."""
        self._cancel_seen = True

    def check_cancelled(self) -> None:
        """Inside a job: raise JobCancelled if its cancel was requested, and Huey's
        TaskTimeout if it ran past its ``timeout``. A job that writes progress needs no call
        of its own: every write checks."""
        if self.cancel_requested:
            raise JobCancelled(f"job {self.id} was cancelled")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise TaskTimeout(f"job {self.id} ran past its timeout")

    def __getitem__(self, key: str) -> Any:
        if key in self.record["fields"]:
            return self.record["fields"][key]
        if key in ("status", "progress", "total"):
            return self.record[key]
        raise KeyError(key)

    def get_field(self, key: str, default: Any = None) -> Any:
        """A custom field (or status/progress/total), ``default`` when unset."""
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: str) -> bool:
        return key in self.record["fields"]

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "task", "owner_id", "status", "progress" (count), "total", "attempts",
        times (ISO 8601 UTC), custom fields...}``: the JSON of ``GET /api/jobs/<id>``."""
        rec = self.record
        data = {
            "id": self.id,
            "task": rec["task"],
            "owner_id": rec["owner_id"],
            "status": rec["status"],
            "progress": rec["progress"],
            "total": rec["total"],
            "attempts": rec["attempts"],
            "enqueued_at": _iso(rec["enqueued_at"]),
            "started_at": _iso(rec["started_at"]),
            "finished_at": _iso(rec["finished_at"]),
            "cancel_requested_at": _iso(rec.get("cancel_requested_at")),
            "estimated_finish_at": _iso(self.estimated_finish_at),
        }
        data.update(masked(rec["fields"]))
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        return f"<JobStatus {self.id} {self.status} {self.record['progress']}/{self.total}>"

    # -- writing -----------------------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value}, force=True)

    def update(
        self, changes: Mapping[str, Any] | None = None, /, *, force: bool = False, **more: Any
    ) -> None:
        """Set fields (and status, progress, total) in one write; throttled unless ``force``."""
        values: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for key, value in {**(changes or {}), **more}.items():
            if key == "status":
                if value not in STATUSES:
                    raise ValueError(f"unknown job status {value!r}: expected one of {STATUSES}")
                values[key] = value
            elif key in ("progress", "total"):
                unset = key == "total" and value is None
                values[key] = None if unset else check_count(key, value, minimum=0)
            else:
                fields[key] = check_field(key, value)
        self._change(values, fields, 0, throttled=not force)

    def add_progress(self, n: int) -> None:
        """Move the progress count by ``n`` (throttled)."""
        self._change({}, {}, check_count("increment", n), throttled=True)

    def finish_progress(self) -> None:
        """Progress = total, or total = progress when there is no total; stored at once."""
        with self._lock:
            done = self.record["progress"]
            values = {"progress": self.total} if self.total is not None else {"total": done}
            self._change(values, {}, 0, throttled=False)

    def flush(self, wait: float = 0.0) -> bool:
        """Store what throttling (or an unreachable store) holds back, now. If the store
        cannot be reached, try again for up to ``wait`` seconds; False if it is still held."""
        with self._lock, self._app_context():
            if not with_backoff(self._store_pending, wait):
                return False
        held = _announcements.pop(self.id)
        if held is not None:
            held()
        return True

    def _change(
        self, values: dict[str, Any], fields: dict[str, Any], increment: int, *, throttled: bool
    ) -> None:
        if self._running:
            self.check_cancelled()
        with self._lock:
            self._pending.add(values, fields, increment)
            rec = self.record
            if "progress" in values:
                rec["rate_since"], rec["rate_base"] = utcnow(), values["progress"]
            rec.update(values)
            rec["progress"] += increment
            rec["fields"].update(fields)
            if throttled and self._throttled():
                return
            with self._app_context():
                self._store_pending()

    def _throttled(self) -> bool:
        last = self._last_write
        return last is not None and time.monotonic() - last < self.throttle_interval

    def _store_pending(self) -> bool:
        """Write what is pending; False (and kept for the next write) if the store is
        unreachable: a job never fails because its status could not be stored for a moment."""
        pending = self._pending
        if not pending:
            return True
        rec = self.record
        change = Write(
            now=utcnow(),
            expires_in=self.expires_in,
            task=rec["task"],
            owner_id=rec["owner_id"],
            values=dict(pending.values),
            fields=dict(pending.fields),
            increment=pending.increment,
            rebase="progress" in pending.values,
        )
        # Progress alone, announced less than PROGRESS_ANNOUNCE_EVERY ago: store it now,
        # announce it (or a later state) when the interval is up.
        later = functools.partial(_announce_stored, this_app(), self.store, self.id)
        loud = _announcements.offer(self.id, later, urgent=not pending.progress_only)
        try:
            if loud:
                store_write(self.store, self.id, change)
            else:
                self.store.write(self.id, change)
        except UNAVAILABLE as exc:
            self._last_write = time.monotonic()  # throttled changes wait for the next interval
            log.warning("job %s: status store unreachable (%s); change kept", self.id, exc)
            return False
        self._pending = _Pending()
        self._last_write = time.monotonic()
        return True


def _announce_stored(app: Flask, store: JobStore, job_id: str) -> None:
    """Announce a job as stored now (a progress write held back, let out)."""
    with app.app_context():
        if not job_status_changed.has_receivers_for(app):
            return
        try:
            record = store.read(job_id)
        except UNAVAILABLE as exc:
            log.warning("job %s: status store unreachable (%s); not announced", job_id, exc)
            return
        if record is not None:
            announce(job_id, record)


_announcements: Coalescer[str, Callable[[], None]] = Coalescer(
    PROGRESS_ANNOUNCE_EVERY, lambda _job_id, send: send(), name="beacon-job-announce"
)


def records_of(jobs: Iterable[Any], store: JobStore | None = None) -> list[Record | None]:
    """The stored records of these jobs, in order (None for unknown ones), in one read."""
    ids = [job_id_of(job) for job in jobs]
    found = (store or get_store()).read_many(ids)
    return [found.get(job_id) for job_id in ids]
