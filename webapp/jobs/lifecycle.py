"""The steps of a tracked job's life, as stored: queued, working, completed or failed, and the
ways it can end without running (revoked, expired) or without finishing (interrupted), and
``cancel_job``: a queued job is revoked and cancelled at once, a working one is asked to stop.

The decorator's Huey hooks call these; each is one store write, announced by
``job_status_changed``. Completed and (finally) failed jobs also record an activity for their
owner: ``job.<task>.completed`` (value True) / ``job.<task>.failed`` (value False); cancelled
ones ``job.cancelled`` (value: who cancelled it). A write that ends a job is guarded by the
status it ends, so a job is cancelled, or revoked, once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from webapp.database import utcnow
from webapp.extensions import db, huey
from webapp.jobs.backend import get_store
from webapp.jobs.status import DEFAULT_EXPIRES_IN, JobCancelled, JobStatus, announce, store_write
from webapp.jobs.store import FINISHED, UNAVAILABLE, JobStore, Record, Write, with_backoff
from webapp.jobs.validation import job_id_of

log = logging.getLogger(__name__)

#: The keyword argument that carries the owner and includes inside the Huey task.
META_KWARG = "__beacon_job__"
INCLUDES = ("status", "serialized_job", "exception")
#: How long the writes of a job's end wait for an unreachable store (Redis restarting) before
#: giving up; the job's lease then expires and the reaper marks it interrupted.
END_WAIT = 15.0


@dataclass(frozen=True)
class JobOptions:
    """What ``tracked_task`` was given, kept on the Huey task class as ``beacon_job``."""

    includes: frozenset[str]
    throttle_interval: float
    expires_in: float
    context: bool


class JobSubject:
    """The activity subject of a job: ``job:<id>``, owned by the job's owner."""

    activity_subject_type = "job"

    def __init__(self, job_id: str, owner_id: int | None) -> None:
        self.activity_subject_id = job_id
        self.activity_user_id = owner_id


def options_of(task: Any) -> JobOptions | None:
    return getattr(task, "beacon_job", None)


def tracked_options(task: Any) -> JobOptions:
    """The options of a tracked task (one the lifecycle hooks handle)."""
    options = options_of(task)
    if options is None:
        raise ValueError(f"task {task.name!r} is not a tracked job")
    return options


def meta_of(task: Any) -> dict[str, Any]:
    return (task.kwargs or {}).get(META_KWARG) or {}


def includes_of(task: Any) -> frozenset[str]:
    chosen = meta_of(task).get("includes")
    return frozenset(chosen) if chosen is not None else tracked_options(task).includes


def _write(task: Any, now: dt.datetime, **change: Any) -> Write:
    return Write(
        now=now,
        expires_in=tracked_options(task).expires_in,
        task=task.name,
        owner_id=meta_of(task).get("owner_id"),
        **change,
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def serialized_job(task: Any) -> dict[str, Any]:
    """The job as enqueued: task name, args and kwargs (JSON; other values as their repr)."""
    kwargs = {k: v for k, v in (task.kwargs or {}).items() if k != META_KWARG}
    return {"task": task.name, "args": _jsonable(list(task.args)), "kwargs": _jsonable(kwargs)}


def final_write(store: JobStore, job_id: str, change: Write) -> bool:
    """A write of a job's end: retried while the store is unreachable, up to END_WAIT.
    Whether it was applied (its guard held)."""
    applied = []

    def attempt() -> bool:
        try:
            applied.append(store_write(store, job_id, change))
        except UNAVAILABLE:
            return False
        return True

    if not with_backoff(attempt, END_WAIT):
        return store_write(store, job_id, change)  # a last try: if still away, it says so
    return applied[-1]


def queued(task: Any) -> None:
    """Store ``queued`` unless the job already has a status (a retry or a scheduled run
    being enqueued again keeps the status it has)."""
    include = "serialized_job" in includes_of(task)
    fields = {"serialized_job": serialized_job(task)} if include else {}
    change = _write(task, utcnow(), values={"status": "queued"}, fields=fields, create_only=True)
    store_write(get_store(), task.id, change)


def started(task: Any) -> JobStatus:
    """Store ``working`` and take the lease, unless the job was cancelled meanwhile; returns
    the status the job writes through (whose ``check_cancelled`` then raises)."""
    store, now, options = get_store(), utcnow(), tracked_options(task)
    change = _write(
        task,
        now,
        values={"status": "working", "finished_at": None},
        keep={"started_at": now},
        guard="open",
        attempt=True,
        rebase=True,
        lease="take",
        task_data=huey.serialize_task(task),
    )
    store_write(store, task.id, change)
    status = JobStatus(
        task.id,
        store.read(task.id),
        store=store,
        throttle_interval=options.throttle_interval,
        expires_in=options.expires_in,
    )
    return status.run_by(task.timeout)


def finished(task: Any, exception: BaseException | None) -> None:
    """After a run: completed, failed (no retries left), or still working while a retry
    waits (the lease is dropped: no consumer holds the job until it runs again)."""
    store, now = get_store(), utcnow()
    if isinstance(exception, JobCancelled):
        db.session.rollback()
        ended = _write(
            task,
            now,
            values={"status": "cancelled", "finished_at": now},
            guard="working",
            lease="drop",
        )
        if final_write(store, task.id, ended):
            record_cancelled(task.id, store.read(task.id))
        return
    if exception is None:
        change = _write(task, now, values={"status": "completed", "finished_at": now}, lease="drop")
        final_write(store, task.id, change)
        record_outcome(task.id, task.name, meta_of(task).get("owner_id"), True)
        return
    # The job's own uncommitted work is void; the session must be usable for what follows.
    db.session.rollback()
    if task.retries:
        final_write(store, task.id, _write(task, now, lease="drop"))
        record_retry(task.id, task.name, f"{type(exception).__name__}: {exception}")
        return
    fields = {}
    if "exception" in includes_of(task):
        fields["exception"] = {"class": type(exception).__name__, "message": str(exception)}
    change = _write(
        task, now, values={"status": "failed", "finished_at": now}, fields=fields, lease="drop"
    )
    final_write(store, task.id, change)
    detail = f"{type(exception).__name__}: {exception}"
    record_outcome(task.id, task.name, meta_of(task).get("owner_id"), False, detail)


def not_run(task: Any, status: str) -> None:
    """The consumer dropped the job without running it: ``revoked`` or ``expired``, or
    ``cancelled`` if that is why it was revoked (a job waiting for its retry)."""
    store, now = get_store(), utcnow()
    if status == "revoked" and (record := store.read(task.id)) and record["cancel_requested_at"]:
        status = "cancelled"
    change = _write(
        task, now, values={"status": status, "finished_at": now}, guard="open", lease="drop"
    )
    if store_write(store, task.id, change) and status == "cancelled":
        record_cancelled(task.id, store.read(task.id))


def cancel_job(job: Any, *, by_user_id: int | None = None) -> JobStatus:
    """Cancel a job (a Huey result, or its id): a queued one is revoked in Huey and
    ``cancelled`` at once; a working one has its cancel requested: inside it
    ``status.cancel_requested`` turns True within a second, its next progress or status write
    (or ``status.check_cancelled()``) raises JobCancelled, and it ends ``cancelled``. A
    finished or unknown job: ValueError."""
    job_id = job_id_of(job)
    store = get_store()
    record = store.read(job_id)
    if record is None or record["status"] is None:
        raise ValueError(f"unknown job {job_id!r}")
    if record["status"] in FINISHED:
        raise ValueError(f"job {job_id} is {record['status']}: it has finished, nothing to cancel")
    now = utcnow()
    asked = {"cancel_requested_at": now, "cancelled_by": by_user_id}
    # Revoked for one run: a queued job (or one waiting for its retry) never starts; a running
    # one has the revocation cleared by Huey when it ends.
    huey.revoke_by_id(job_id, revoke_once=True)
    if record["status"] == "queued":
        ended = _job_write(record, now, {**asked, "status": "cancelled", "finished_at": now})
        ended.guard, ended.lease = "queued", "drop"
        if store_write(store, job_id, ended):
            status = _reread(store, job_id)
            record_cancelled(job_id, status.record)
            return status
        # It started meanwhile: ask it to stop, like any working job.
    request = _job_write(record, now, asked)
    request.guard = "open"
    if not store_write(store, job_id, request):
        raise ValueError(f"job {job_id} finished before it could be cancelled")
    return _reread(store, job_id)


def _job_write(record: Record, now: dt.datetime, values: dict[str, Any]) -> Write:
    return Write(
        now=now,
        expires_in=record["expires_in"] or DEFAULT_EXPIRES_IN,
        task=record["task"],
        owner_id=record["owner_id"],
        values=values,
    )


def _reread(store: JobStore, job_id: str) -> JobStatus:
    return JobStatus(job_id, store.read(job_id), store=store)


def interrupt(store: JobStore, job_id: str, stale_before: dt.datetime | None) -> bool:
    """End a working job whose consumer is gone: ``interrupted``, then queued again if its
    task has retries left. True if this caller did it (one of many reapers does)."""
    now = utcnow()
    claimed = store.interrupt(job_id, stale_before, now)
    if claimed is None:
        return False
    record, task_data = claimed
    announce(job_id, record)
    task = _task_from(task_data, job_id)
    if task is not None and task.retries > 0:
        requeue(store, record, task)
    else:
        detail = "interrupted: its consumer stopped before the job finished"
        record_outcome(job_id, record["task"], record["owner_id"], False, detail)
    return True


def _task_from(data: bytes | None, job_id: str) -> Any:
    if not data:
        return None
    try:
        return huey.deserialize_task(data)
    except Exception:
        log.exception("cannot rebuild the task of interrupted job %s: not queued again", job_id)
        return None


def requeue(store: JobStore, record: Record, task: Any) -> None:
    """Queue an interrupted job again (one retry used), after its retry delay if it has one."""
    task.retries -= 1
    change = Write(
        now=utcnow(),
        expires_in=record["expires_in"] or tracked_options(task).expires_in,
        task=record["task"],
        owner_id=record["owner_id"],
        values={"status": "queued", "finished_at": None},
    )
    store_write(store, task.id, change)
    if task.retry_delay:
        task.eta = huey.now() + dt.timedelta(seconds=task.retry_delay)
        huey.add_schedule(task)
    else:
        huey.enqueue(task)


def activity_key(task_name: str, outcome: str) -> str:
    """``job.<task>.<outcome>`` with the task name made a valid key segment."""
    name = re.sub(r"[^a-z0-9_]+", "_", task_name.lower()).strip("_") or "task"
    return f"job.{name}.{outcome}"


def record_cancelled(job_id: str, record: Record | None) -> None:
    """The ``job.cancelled`` activity, in the job's owner's feed; its value names who
    cancelled it (a user id, or None)."""
    if record is None:
        return
    by = record["cancelled_by"]
    _record(
        job_id,
        record["owner_id"],
        "job.cancelled",
        {"by_user_id": by, "task": record["task"]},
        f"Job {record['task']} cancelled",
    )


def record_outcome(
    job_id: str, task_name: str, owner_id: int | None, ok: bool, detail: str | None = None
) -> None:
    """The activity of a job's end, in its owner's feed (system-wide when nobody owns it)."""
    outcome = "completed" if ok else "failed"
    message = f"Job {task_name} {outcome}" + (f": {detail}" if detail else "")
    _record(job_id, owner_id, activity_key(task_name, outcome), ok, message)


def record_retry(job_id: str, task_name: str, detail: str) -> None:
    """``job.<task>.retried`` (system, private: the owner sees the outcome, not each retry;
    the overview counts it), its value the error it is retried after."""
    _record(
        job_id,
        None,
        activity_key(task_name, "retried"),
        detail[:2000],
        f"Job {task_name} retried after {detail}",
        private=True,
    )


def _record(
    job_id: str,
    owner_id: int | None,
    key: str,
    value: Any,
    message: str,
    *,
    private: bool = False,
) -> None:
    from webapp.activity import record_activity

    try:
        record_activity(
            key,
            value,
            message[:10_000],
            subject=JobSubject(job_id, owner_id),
            user_id=owner_id,
            system=owner_id is None,
            private=private,
        )
    except Exception:
        db.session.rollback()
        log.exception("could not record the %s activity of job %s", key, job_id)
