"""Job progress for the user's sessions: the ``job`` event and the page's progress bars.

Job statuses are ephemeral (they expire), so unlike activities they are not replayed: a
session gets the current state of its user's unfinished jobs when it becomes ready, then
changes as they happen, throttled for the wire (at most one ``job`` event per job per
``BEACON_JOB_EMIT_INTERVAL``; the latest state wins and a finished state is sent at once).

Where changes come from: ``job_status_changed`` in this process (web requests, embedded
consumer threads); from other processes through Redis (``jobs`` hint channel, carrying the
status) when REDIS_URL is set; without Redis, by reading the store for connected users every
``BEACON_JOB_POLL`` seconds (the embedded default with a separate consumer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from webapp.coalesce import Coalescer
from webapp.jobs import FINISHED, JobStatus
from webapp.jobs.status import records_of
from webapp.notifications.labels import humanize
from webapp.notifications.subscribers import Send, Subscriber, Subscribers

log = logging.getLogger(__name__)

#: Unfinished jobs sent to a session when it becomes ready, and shown on the page.
CURRENT_LIMIT = 20
#: Jobs whose last sent state is remembered (to skip repeats and to throttle).
REMEMBER = 2000
#: Unfinished jobs one poll lists per state; more than that, and it polls per user.
POLL_LIMIT = 1000


def job_label(task: str | None) -> str:
    """``tasks.demo.export_contacts`` → ``Export contacts``."""
    if not task:
        return "Job"
    return humanize(task.rsplit(".", 1)[-1])


def job_payload(job: dict[str, Any]) -> dict[str, Any]:
    """A status dict (``JobStatus.to_dict()``) plus ``label`` and ``percent`` (0..100)."""
    total = job.get("total")
    progress = job.get("progress") or 0
    if job.get("status") == "completed":
        percent = 100
    elif isinstance(total, int) and total > 0:
        percent = max(0, min(100, int(progress * 100 / total)))
    else:
        percent = 0
    return {**job, "label": job_label(job.get("task")), "percent": percent}


def running_jobs(user_id: int, limit: int = CURRENT_LIMIT) -> list[dict[str, Any]]:
    """This user's unfinished jobs (queued or working), newest first, as ``job`` payloads."""
    try:
        jobs = JobStatus.for_owner(user_id, limit=limit)
    except Exception:  # a status store that is down must not take the page with it
        log.exception("cannot read the jobs of user %s", user_id)
        return []
    return [job_payload(j.to_dict()) for j in jobs if j.status not in FINISHED]


class JobFeed:
    """The ``job`` events of one fan-out's sessions, planned as sends; every method runs
    under the fan-out's lock."""

    def __init__(self, sessions: Subscribers, cfg: Mapping[str, Any]) -> None:
        self.sessions = sessions
        self.poll_every = float(cfg["BEACON_JOB_POLL"])
        #: per job: (owner, state), at most once per interval and never the same state twice
        self.latest: Coalescer[str, tuple[int, dict[str, Any]]] = Coalescer(
            float(cfg["BEACON_JOB_EMIT_INTERVAL"]), repeats=False, remember=REMEMBER
        )
        self.outbox: list[Send] = []
        self._polled = 0.0

    @property
    def busy(self) -> bool:
        return bool(self.latest or self.outbox)

    def changed(self, owner_id: int, job: dict[str, Any]) -> None:
        if self.sessions.connected(owner_id) and isinstance(job.get("id"), str):
            finished = job.get("status") in FINISHED
            if self.latest.offer(job["id"], (owner_id, job), urgent=finished):
                self.outbox += self._sends(owner_id, job)

    def current(self, sub: Subscriber) -> list[Send]:
        """A session just became ready: the state of its user's unfinished jobs."""
        return [(sub.sid, "job", payload) for payload in reversed(running_jobs(sub.user_id))]

    def step(self, poll: bool) -> list[Send]:
        """The changes due now; with ``poll`` (no Redis to hear of other processes' changes),
        read the store for connected users' jobs when a poll is due."""
        now = time.monotonic()
        if poll and now - self._polled >= self.poll_every:
            self._polled = now
            self._poll()
        out, self.outbox = self.outbox, []
        for _, (owner_id, job) in self.latest.due():
            out += self._sends(owner_id, job)
        return out

    def _sends(self, owner_id: int, job: dict[str, Any]) -> list[Send]:
        payload = job_payload(job)
        return [(sub.sid, "job", payload) for sub in self.sessions.ready(owner_id)]

    def _poll(self) -> None:
        """No Redis: read the jobs of connected users (changes made by other processes).

        The unfinished jobs of everyone, in two listings (queued, working), whatever the
        number of connected users; plus a read of the jobs last sent unfinished that have
        left those listings, to see how they ended. Per user only when too many are running.
        """
        users = self.sessions.users_ready()
        if not users:
            return
        try:
            found: dict[str, JobStatus] = {}
            for state in ("queued", "working"):
                listed = JobStatus.recent(limit=POLL_LIMIT, status=state)
                if len(listed) >= POLL_LIMIT:
                    self._poll_each(users)
                    return
                found.update((s.id, s) for s in listed if s.owner_id in users)
            ended = [
                job_id
                for job_id, (_, job) in self.latest.items()
                if job_id not in found
                and job.get("status") not in FINISHED
                and job.get("owner_id") in users
            ]
            for job_id, record in zip(ended, records_of(ended), strict=True):
                if record is not None:
                    found[job_id] = JobStatus(job_id, record)
        except Exception:
            log.exception("cannot poll the jobs of connected users")
            return
        for status in found.values():
            self._polled_one(status.owner_id, status)

    def _poll_each(self, users: set[int]) -> None:
        for user_id in users:
            try:
                jobs = JobStatus.for_owner(user_id, limit=CURRENT_LIMIT)
            except Exception:
                log.exception("cannot poll the jobs of user %s", user_id)
                return
            for status in jobs:
                self._polled_one(user_id, status)

    def _polled_one(self, user_id: int, status: JobStatus) -> None:
        job = status.to_dict()
        last = self.latest.last(status.id)
        if status.status not in FINISHED or (last is not None and last[1] != job):
            self.changed(user_id, job)
