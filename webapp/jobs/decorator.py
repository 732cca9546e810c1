"""``tracked_task``: a Huey task whose status and progress are stored for every run.

The lifecycle is stored from Huey's own hooks, so it holds however the job ends:

* ``enqueued`` signal (in the enqueuing process, before the task reaches the queue): queued;
* the task function itself, before the job's code runs: working (with a lease);
* ``post_execute`` hook (after Huey decided about retries, for every kind of exception,
  including ones a handler inside Huey deals with): completed, failed when no retry is left,
  otherwise still working;
* ``revoked`` / ``expired`` / ``canceled`` (by a pre-execute hook) signals: revoked, expired;
* ``interrupted`` signal (the consumer stopped mid-job) and the lease reaper: interrupted.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from huey import signals as S
from huey.api import TaskWrapper

from webapp.extensions import db, huey
from webapp.jobs import lifecycle
from webapp.jobs.backend import get_store
from webapp.jobs.lease import monitor
from webapp.jobs.lifecycle import INCLUDES, META_KWARG, JobOptions, options_of
from webapp.jobs.status import DEFAULT_EXPIRES_IN, JobCancelled, JobStatus
from webapp.jobs.validation import check_count
from webapp.queue import PRIORITIES

log = logging.getLogger(__name__)

_MISSING = object()


def check_includes(includes: Iterable[str] | str) -> frozenset[str]:
    """Valid includes; ``status`` is always stored (leases, the feed and the API need it)."""
    chosen = (includes,) if isinstance(includes, str) else tuple(includes)
    for name in chosen:
        if name not in INCLUDES:
            raise ValueError(f"unknown include {name!r}: expected some of {INCLUDES}")
    return frozenset(chosen) | {"status"}


def _request_user_id() -> int | None:
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


class TrackedTask(TaskWrapper):
    """A Huey task (call it, ``.s()``, ``.schedule()``, ``.map()`` as usual) that consumes the
    reserved keywords ``owner_id=`` and ``includes=`` of each call."""

    def __init__(
        self, huey_instance: Any, function: Callable, options: JobOptions, **settings: Any
    ) -> None:
        self.function = function
        super().__init__(
            huey_instance, _runner(function, options), context=True, beacon_job=options, **settings
        )

    def _claim(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if "status" in kwargs:
            raise ValueError("'status' is passed to a tracked task by Beacon, not by the caller")
        owner_id = kwargs.pop("owner_id", _MISSING)
        if owner_id is _MISSING:
            owner_id = _request_user_id()
        elif owner_id is not None:
            owner_id = check_count("owner_id", owner_id, minimum=1)
        includes = kwargs.pop("includes", None)
        kwargs[META_KWARG] = {
            "owner_id": owner_id,
            "includes": None if includes is None else sorted(check_includes(includes)),
        }
        return kwargs

    def s(self, *args: Any, **kwargs: Any) -> Any:
        return super().s(*args, **self._claim(kwargs))

    def schedule(self, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        return super().schedule(args, self._claim(dict(kwargs or {})), *rest, **options)

    def call_local(self, *args: Any, **kwargs: Any) -> Any:
        """Run the function here and now, with a status of its own id (no lifecycle)."""
        kwargs.pop("owner_id", None)
        kwargs.pop("includes", None)
        return self.function(*args, status=JobStatus(uuid.uuid4().hex), **kwargs)


def _runner(function: Callable, options: JobOptions) -> Callable:
    """What Huey runs: working + lease, the job's code with ``status``, then a final flush."""

    @functools.wraps(function)
    def run(*args: Any, task: Any, **kwargs: Any) -> Any:
        kwargs.pop(META_KWARG, None)
        task.beacon_ran = True
        status = lifecycle.started(task)
        monitor.track(status.id, status)
        if options.context:
            kwargs["task"] = task
        try:
            status.check_cancelled()  # cancelled while it waited to run
            result = function(*args, status=status, **kwargs)
            status.check_cancelled()  # a result past its timeout, or its cancel, is not one
            return result
        except BaseException as exc:
            db.session.rollback()  # the failed job's pending work must not ride on the flush
            # A cancelled job ends cancelled (never retried), however it stopped.
            if status.cancel_requested and isinstance(exc, Exception):
                if not isinstance(exc, JobCancelled):
                    raise JobCancelled(f"job {status.id} was cancelled") from exc
            raise
        finally:
            monitor.untrack(status.id)
            try:
                # Throttled writes are never dropped, even when the job fails, nor when the
                # store is briefly unreachable (a Redis restart): the flush waits for it.
                if not status.flush(wait=lifecycle.END_WAIT):
                    log.error("job %s: status store unreachable; last progress lost", task.id)
            except Exception:
                log.exception("could not store the last progress of job %s", task.id)

    return run


def _check_function(function: Callable) -> None:
    params = inspect.signature(function).parameters
    for reserved in ("owner_id", "includes"):
        if reserved in params:
            raise ValueError(
                f"{function.__qualname__} has a parameter {reserved!r}: tracked tasks reserve "
                "that keyword (read status.owner_id inside the job)"
            )
    takes_status = "status" in params and params["status"].kind in (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )
    if not takes_status and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        raise TypeError(f"{function.__qualname__} must accept a 'status' keyword argument")


def tracked_task(
    retries: int = 0,
    retry_delay: float = 0,
    *,
    throttle_interval: float = 0.0,
    expires_in: float = DEFAULT_EXPIRES_IN,
    includes: Iterable[str] = ("status",),
    priority: int | str | None = None,
    context: bool = False,
    name: str | None = None,
    retry_backoff: float = 0,
    expires: Any = None,
    timeout: float | None = None,
) -> Callable[[Callable], TrackedTask]:
    """Declare a Huey task whose status and progress are stored; the function receives its
    ``JobStatus`` as the keyword argument ``status``.

    Huey's options pass through (``retries``, ``retry_delay``, ``retry_backoff``, ``priority``
    (a number or ``"high"``/``"medium"``/``"low"``), ``context``, ``name``, ``expires``,
    ``timeout``). A job that raises is ``working`` while Huey retries it and ``failed`` when
    no retry is left.

    * ``throttle_interval``: seconds between stored throttled writes (coalesced, never lost:
      flushed at the next allowed write and when the job ends).
    * ``expires_in``: seconds a status lives after its last write (or heartbeat).
    * ``includes``: ``"serialized_job"`` stores task, args and kwargs at enqueue;
      ``"exception"`` stores ``{"class", "message"}`` on failure; ``"status"`` is always on.

    Each call takes the reserved keywords ``owner_id=`` (default: the logged-in user when
    called in a request) and ``includes=`` (overrides the task's); neither reaches the function.
    With the SQL store, a status write commits the session (see ``sql_store``): commit your
    own work before reporting progress.
    """
    for label, value in (("throttle_interval", throttle_interval), ("expires_in", expires_in)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{label} must be a number of seconds >= 0, got {value!r}")
    if expires_in <= 0:
        raise ValueError(f"expires_in must be above 0 seconds, got {expires_in!r}")
    if isinstance(priority, str):
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}: expected one of {sorted(PRIORITIES)}")
        priority = PRIORITIES[priority]
    options = JobOptions(
        check_includes(includes), float(throttle_interval), float(expires_in), context
    )

    def decorator(function: Callable) -> TrackedTask:
        _check_function(function)
        return TrackedTask(
            huey,
            function,
            options,
            name=name,
            default_retries=retries,
            default_retry_delay=retry_delay,
            default_priority=priority,
            default_retry_backoff=retry_backoff,
            default_expires=expires,
            default_timeout=timeout,
        )

    return decorator


# -- Huey hooks: registered once, on the process-wide Huey instance, for tracked tasks only.


def _tracked(handler: Callable) -> Callable:
    @functools.wraps(handler)
    def hook(*args: Any) -> None:
        task = args[1] if isinstance(args[0], str) else args[0]
        if options_of(task) is None:
            return
        with huey.app_context():
            handler(*args)

    return hook


@huey.signal(S.SIGNAL_ENQUEUED)
@_tracked
def _on_enqueued(signal: str, task: Any) -> None:
    lifecycle.queued(task)


@huey.post_execute(name="beacon_jobs")
@_tracked
def _after_execute(task: Any, value: Any, exception: BaseException | None) -> None:
    lifecycle.finished(task, exception)


@huey.signal(S.SIGNAL_REVOKED, S.SIGNAL_EXPIRED, S.SIGNAL_CANCELED)
@_tracked
def _on_not_run(signal: str, task: Any) -> None:
    if signal == S.SIGNAL_CANCELED and getattr(task, "beacon_ran", False):
        return  # cancelled from inside the job: post_execute stores the outcome
    lifecycle.not_run(task, "expired" if signal == S.SIGNAL_EXPIRED else "revoked")


@huey.signal(S.SIGNAL_INTERRUPTED)
@_tracked
def _on_interrupted(signal: str, task: Any) -> None:
    lifecycle.interrupt(get_store(), task.id, None)


@huey.on_startup(name="beacon_jobs_monitor")
def _consumer_started() -> None:
    monitor.start()


@huey.on_shutdown(name="beacon_jobs_monitor")
def _consumer_stopped() -> None:
    monitor.wake()
