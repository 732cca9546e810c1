"""Queueing events, processing each exactly once, recording failures and retries.

The ``EventMessage`` row is the truth; the Huey task only wakes a consumer up. So:

* ``queue_event`` writes the row and commits, and only after the commit hands a task to Huey
  (an ``after_commit`` hook). A consumer can never see a task whose row is not committed, and a
  failed commit enqueues nothing. A crash (or a Redis outage) between the commit and the
  enqueue leaves a ``queued`` row with no task: the sweeper re-enqueues it after
  BEACON_EVENT_SWEEP_AFTER seconds. Enqueueing first would be worse: a commit failing after a
  successful enqueue would wake a consumer for a row that never existed, and a fast consumer
  could look for the row before its commit is visible and drop the event.
* A consumer takes an event with one conditional UPDATE (``queued`` -> ``processing``, attempt
  count + 1). Whoever loses that race does nothing, so an event enqueued twice (sweeper, a
  duplicate delivery) is still processed once; every later write names the attempt it owns.
* A failed attempt goes back to ``queued`` while attempts remain (Huey's retry then claims it
  again), and ends ``failed`` with its error, stack trace and an ``event.failed`` activity
  for its owner when they are spent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context
from flask_login import current_user
from huey import crontab
from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.activity import periodic_task, record_activity
from webapp.database import check_id, check_storable_json, rows_changed, utcnow
from webapp.events.base import Event, get_event_class
from webapp.events.models import (
    DONE,
    FAILED,
    HALTED,
    PROCESSING,
    QUEUED,
    EventMessage,
    priority_not_paused,
)
from webapp.extensions import db, huey
from webapp.queue import PRIORITIES

log = logging.getLogger(__name__)

MAX_PARAMS_BYTES = 64 * 1024
MAX_ERROR = 10_000
MAX_TRACE = 64 * 1024
SWEEP_BATCH = 500
_PENDING = "beacon.events.pending"


def queue_event(
    name: str,
    /,
    queue: str = "medium",
    *,
    owner_id: int | None = None,
    commit: bool = True,
    **params: Any,
) -> EventMessage:
    """Store an event and hand it to a consumer; its class's ``process`` runs there later.

    ``queue`` is the priority: "high", "medium" or "low". ``params`` must be JSON (at most
    64 KiB encoded); ``queue``, ``owner_id`` and ``commit`` are reserved names. The owner is
    ``owner_id``, else the logged-in user inside a request. An unknown name, a bad priority,
    bad params or an unknown owner raise ValueError and write nothing. With ``commit=False`` the
    row joins the caller's transaction and is enqueued when (and only if) that commits.
    """
    if not isinstance(name, str):
        raise ValueError(f"event name must be a string, got {name!r:.80}")
    try:
        event_class = get_event_class(name)
    except LookupError:
        raise ValueError(f"unknown event {name!r}") from None
    check_priority(queue)
    encoded = _encode_params(params)
    owner_id = _owner(owner_id)
    retries = _setting(event_class.retries, "BEACON_EVENT_RETRIES")
    delay = float(_setting(event_class.retry_delay, "BEACON_EVENT_RETRY_DELAY"))
    message = EventMessage(
        name=name,
        params=json.loads(encoded),
        priority=queue,
        status=QUEUED,
        owner_id=owner_id,
        max_attempts=int(retries) + 1,
        retry_delay=delay,
    )
    db.session.add(message)
    db.session.flush()
    _enqueue_after_commit(message)
    if commit:
        db.session.commit()
    return message


def check_priority(priority: str) -> str:
    """The priority itself; ValueError naming a bad one."""
    if not isinstance(priority, str) or priority not in PRIORITIES:
        raise ValueError(
            f"invalid event priority {priority!r:.40}; expected one of {list(PRIORITIES)}"
        )
    return priority


def _encode_params(params: dict[str, Any]) -> str:
    try:
        encoded = json.dumps(params, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        bad = next((k for k, v in params.items() if not _is_json(v)), None)
        where = f"param {bad!r}" if bad else "params"
        raise ValueError(f"event {where} must be JSON-serializable: {exc}") from None
    if len(encoded.encode()) > MAX_PARAMS_BYTES:
        raise ValueError(f"event params are {len(encoded.encode())} bytes as JSON (max 65536)")
    check_storable_json(encoded, "event params")
    return encoded


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _owner(owner_id: int | None) -> int | None:
    if owner_id is None:
        return current_user.id if has_request_context() and current_user.is_authenticated else None
    check_id(owner_id, "owner_id")
    if db.session.get(User, owner_id) is None:
        raise ValueError(f"owner_id {owner_id} is not a user")
    return owner_id


def _setting(value: Any, key: str) -> Any:
    return current_app.config[key] if value is None else value


# Enqueueing: only after the row's transaction has committed.


def _enqueue_after_commit(message: EventMessage) -> None:
    db.session.info.setdefault(_PENDING, []).append(_task_args(message))


@sa_event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for args in session.info.pop(_PENDING, ()):
        _enqueue(*args)


@sa_event.listens_for(Session, "after_rollback")
def _discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _task_args(message: EventMessage) -> tuple[int, str, int, float]:
    return message.id, message.priority, message.retries_left, message.retry_delay


def _enqueue(
    message_id: int, priority: str, retries: int, retry_delay: float, delay: float | None = None
) -> bool:
    task = process_event.s(
        message_id,
        priority=PRIORITIES[priority],
        retries=retries,
        retry_delay=retry_delay,
        delay=delay,
    )
    try:
        huey.enqueue(task)
    except Exception:
        # The row is committed: the sweeper enqueues it again later. Raising here would tell
        # the caller the event was not queued, and a caller that queues again would get two.
        log.exception("event %s stored but not enqueued; the sweeper will retry", message_id)
        return False
    return True


def enqueue_message(message: EventMessage, *, delay: float | None = None) -> bool:
    """Hand a committed, queued row to Huey now, or in ``delay`` seconds (the sweeper, admin
    retries and resumed priorities use this)."""
    return _enqueue(*_task_args(message), delay=delay)


# Processing.


def consumer_name() -> str:
    """Who is processing: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:255]


def claim(message_id: int, task_id: str | None = None) -> int | None:
    """Take a queued event for this consumer; the attempt number, or None if it is not queued
    or its priority is paused (it stays queued: ``resume_priority`` hands it over again)."""
    stmt = (
        update(EventMessage)
        .where(EventMessage.id == message_id, EventMessage.status == QUEUED, priority_not_paused())
        .values(
            status=PROCESSING,
            attempts=EventMessage.attempts + 1,
            started_at=utcnow(),
            finished_at=None,
            consumer=consumer_name(),
            task_id=task_id,
        )
        .returning(EventMessage.attempts)
        .execution_options(synchronize_session=False)
    )
    attempt = db.session.execute(stmt).scalar()
    db.session.commit()
    return attempt


def _settle(message_id: int, attempt: int, **values: Any) -> bool:
    """Write the outcome of an attempt, if that attempt still owns the row."""
    stmt = (
        update(EventMessage)
        .where(
            EventMessage.id == message_id,
            EventMessage.status == PROCESSING,
            EventMessage.attempts == attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(db.session.execute(stmt)) == 1


def process_message(message_id: int, task_id: str | None = None) -> str:
    """Claim and process one event: "done", "halted", or "skipped" when someone else has it
    or its priority is paused.

    A failure is recorded (see ``fail_attempt``) and re-raised, so Huey retries the task.
    """
    attempt = claim(message_id, task_id)
    if attempt is None:
        log.info("event %s is not queued (taken or finished elsewhere) or paused", message_id)
        return "skipped"
    message = _snapshot(message_id)
    db.session.commit()  # no transaction of ours while the event runs (SQLite: the write lock)
    try:
        event: Event = get_event_class(message.name)(message.params, message)
        status = DONE if event.run() else HALTED
        db.session.flush()
    except Exception as exc:
        db.session.rollback()
        error = "".join(traceback.format_exception_only(exc)).strip()
        fail_attempt(message_id, attempt, error, traceback.format_exc())
        raise
    if not _settle(message_id, attempt, status=status, finished_at=utcnow()):
        log.warning("event %s attempt %s lost its claim before finishing", message_id, attempt)
    elif status == DONE:  # counted by the overview's throughput; private: no one's feed
        _record(message, "event.processed", True, f"event {message.name} #{message_id} processed")
    db.session.commit()
    return status


@dataclass(frozen=True)
class EventSubject:
    """An event's activity identity (its table and id), for a row read as a copy."""

    activity_subject_id: str
    activity_subject_type: str = EventMessage.__tablename__


def _record(
    message: EventMessage, key: str, value: Any, summary: str, private: bool = True
) -> None:
    """An event's activity in the caller's transaction (system; committed with it)."""
    record_activity(
        key,
        value,
        summary[:MAX_ERROR],
        subject=EventSubject(str(message.id)),
        user_id=message.owner_id,
        system=True,
        private=private,
        commit=False,
    )


def _snapshot(message_id: int) -> EventMessage:
    """The row as a transient copy: the event reads it without touching the session."""
    row = (
        db.session.execute(select(EventMessage.__table__).where(EventMessage.id == message_id))
        .mappings()
        .one()
    )
    return EventMessage(**row)


def fail_attempt(message_id: int, attempt: int, error: str, trace: str | None) -> bool:
    """Record a failed attempt: back to ``queued`` while attempts remain, else ``failed``.

    Returns True when the event will be tried again. Commits.
    """
    message = db.session.get_one(EventMessage, message_id, populate_existing=True)
    now = utcnow()
    retrying = attempt < message.max_attempts
    values: dict[str, Any] = {
        "error_message": error[:MAX_ERROR],
        "stack_trace": trace[-MAX_TRACE:] if trace else None,
        "errored_at": now,
    }
    if retrying:
        values.update(status=QUEUED, enqueued_at=now + dt.timedelta(seconds=message.retry_delay))
    else:
        values.update(status=FAILED, finished_at=now)
    settled = _settle(message_id, attempt, **values)
    if settled and retrying:
        retry = f"event {message.name} #{message.id} attempt {attempt} failed, retried: {error}"
        _record(message, "event.retried", attempt, retry)
    elif settled:
        summary = f"event {message.name} #{message.id} failed after {attempt} attempts: {error}"
        _record(message, "event.failed", False, summary, private=False)
    db.session.commit()
    return retrying


# Recovery and admin actions.


def sweep_events(now: dt.datetime | None = None) -> int:
    """Re-enqueue queued rows not handed to Huey for BEACON_EVENT_SWEEP_AFTER seconds, and fail
    (or retry) attempts whose consumer has not finished within BEACON_EVENT_LEASE. Returns how
    many events it queued again."""
    now = now or utcnow()
    config = current_app.config
    lost_before = now - dt.timedelta(seconds=config["BEACON_EVENT_LEASE"])
    lost = db.session.execute(
        select(EventMessage.id, EventMessage.attempts)
        .where(EventMessage.status == PROCESSING, EventMessage.started_at < lost_before)
        .order_by(EventMessage.id)
        .limit(SWEEP_BATCH)
    ).all()
    db.session.commit()
    requeued = 0
    for message_id, attempt in lost:
        error = f"consumer lost: attempt {attempt} did not finish within the lease"
        if fail_attempt(message_id, attempt, error, None):
            # No Huey task is left for this row (its consumer died): hand it over now.
            requeued += enqueue_message(db.session.get_one(EventMessage, message_id))

    stale_before = now - dt.timedelta(seconds=config["BEACON_EVENT_SWEEP_AFTER"])
    stale = list(
        db.session.scalars(
            select(EventMessage)
            .where(EventMessage.status == QUEUED, EventMessage.enqueued_at < stale_before)
            .where(priority_not_paused())  # they wait for their resume, which enqueues them
            .order_by(EventMessage.id)
            .limit(SWEEP_BATCH)
        )
    )
    for message in stale:
        message.enqueued_at = now
    args = [_task_args(m) for m in stale]
    db.session.commit()
    return requeued + sum(_enqueue(*a) for a in args)


def retry_event(message_id: int) -> EventMessage:
    """Queue a failed event again with a fresh set of retries; ValueError for any other."""
    valid_id = isinstance(message_id, int) and not isinstance(message_id, bool)
    message = db.session.get(EventMessage, message_id) if valid_id else None
    if message is None:
        raise ValueError(f"no event {message_id!r:.40}")
    if message.status != FAILED:
        raise ValueError(f"event {message_id} is {message.status}, only failed events can retry")
    try:
        configured = get_event_class(message.name).retries
    except LookupError:
        configured = None  # its class is gone: the attempt will fail and say so
    retries = int(_setting(configured, "BEACON_EVENT_RETRIES"))
    # Conditional, so two admins retrying at once queue it once and the second is refused.
    retried = rows_changed(
        db.session.execute(
            update(EventMessage)
            .where(EventMessage.id == message_id, EventMessage.status == FAILED)
            .values(
                status=QUEUED,
                max_attempts=EventMessage.attempts + retries + 1,
                enqueued_at=utcnow(),
                finished_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if not retried:
        db.session.rollback()
        raise ValueError(f"event {message_id} is no longer failed")
    db.session.refresh(message)
    _enqueue_after_commit(message)
    db.session.commit()
    return message


# -- the Huey side: the task that processes one event, and the periodic sweeper ---------------


@huey.task(context=True)
def process_event(message_id: int, task: Any = None) -> str:
    """Process one stored event (enqueued by queue_event with the event's Huey priority)."""
    return process_message(message_id, task_id=task.id if task is not None else None)


@periodic_task(crontab(minute="*"), period=dt.timedelta(minutes=1), name="events_sweep")
def events_sweep() -> int:
    """Every minute: re-enqueue events that lost their Huey task, recover lost attempts."""
    return sweep_events()
