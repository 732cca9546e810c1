"""The steps of a tracked job's life, as stored: queued, working, completed or failed, and the
ways it can end without running (revoked, expired) or without finishing (interrupted).

The decorator's Huey hooks call these; each is one store write, announced by
``job_status_changed``. Completed and (finally) failed jobs also record an activity for their
owner: ``job.<task>.completed`` (value True) / ``job.<task>.failed`` (value False).
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
from webapp.jobs.status import JobStatus, announce, store_write
from webapp.jobs.store import UNAVAILABLE, JobStore, Record, Write, with_backoff

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


def final_write(store: JobStore, job_id: str, change: Write) -> None:
    """A write of a job's end: retried while the store is unreachable, up to END_WAIT."""

    def attempt() -> bool:
        try:
            store_write(store, job_id, change)
        except UNAVAILABLE:
            return False
        return True

    if not with_backoff(attempt, END_WAIT):
        store_write(store, job_id, change)  # a last try: if the store is still away, it says so


def queued(task: Any) -> None:
    """Store ``queued`` unless the job already has a status (a retry or a scheduled run
    being enqueued again keeps the status it has)."""
    include = "serialized_job" in includes_of(task)
    fields = {"serialized_job": serialized_job(task)} if include else {}
    change = _write(task, utcnow(), values={"status": "queued"}, fields=fields, create_only=True)
    store_write(get_store(), task.id, change)


def started(task: Any) -> JobStatus:
    """Store ``working`` and take the lease; returns the status the job writes through."""
    store, now, options = get_store(), utcnow(), tracked_options(task)
    change = _write(
        task,
        now,
        values={"status": "working", "finished_at": None},
        keep={"started_at": now},
        attempt=True,
        rebase=True,
        lease="take",
        task_data=huey.serialize_task(task),
    )
    store_write(store, task.id, change)
    return JobStatus(
        task.id,
        store.read(task.id),
        store=store,
        throttle_interval=options.throttle_interval,
        expires_in=options.expires_in,
    )


def finished(task: Any, exception: BaseException | None) -> None:
    """After a run: completed, failed (no retries left), or still working while a retry
    waits (the lease is dropped: no consumer holds the job until it runs again)."""
    store, now = get_store(), utcnow()
    if exception is None:
        change = _write(task, now, values={"status": "completed", "finished_at": now}, lease="drop")
        final_write(store, task.id, change)
        record_outcome(task.id, task.name, meta_of(task).get("owner_id"), True)
        return
    # The job's own uncommitted work is void; the session must be usable for what follows.
    db.session.rollback()
    if task.retries:
        final_write(store, task.id, _write(task, now, lease="drop"))
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
    """The consumer dropped the job without running it: ``revoked`` or ``expired``."""
    now = utcnow()
    change = _write(task, now, values={"status": status, "finished_at": now}, lease="drop")
    store_write(get_store(), task.id, change)


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


def record_outcome(
    job_id: str, task_name: str, owner_id: int | None, ok: bool, detail: str | None = None
) -> None:
    """The activity of a job's end, in its owner's feed (system-wide when nobody owns it)."""
    from webapp.activity import record_activity

    outcome = "completed" if ok else "failed"
    message = f"Job {task_name} {outcome}" + (f": {detail}" if detail else "")
    try:
        record_activity(
            activity_key(task_name, outcome),
            ok,
            message[:10_000],
            subject=JobSubject(job_id, owner_id),
            user_id=owner_id,
            system=owner_id is None,
        )
    except Exception:
        db.session.rollback()
        log.exception("could not record the %s activity of job %s", outcome, job_id)
