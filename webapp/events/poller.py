"""Pollers: processes that take events of chosen priorities straight from the database.

Huey's consumer takes every priority (highest first) and has no option to serve only some, and
a second Huey queue per priority would break the one ``tasks.huey`` entry point. The
``event_message`` table, though, is itself a queue with priorities, and the claim (a
conditional UPDATE) already settles who processes an event. So a poller can pick events of its
priorities from the table and claim them exactly as the Huey task does: a poller and the
consumers never both process one event, and the Huey task of an event a poller took finds it
taken and does nothing. Pollers add dedicated capacity beside the consumers (which still drain
the Huey queue); they do not replace them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from sqlalchemy import select

from webapp.database import utcnow
from webapp.events.models import QUEUED, EventMessage, priority_not_paused
from webapp.events.service import process_message
from webapp.extensions import db
from webapp.queue import PRIORITIES

log = logging.getLogger(__name__)


def parse_priorities(value: str | Sequence[str]) -> tuple[str, ...]:
    """Priorities from "high,medium" (or a list), highest first; ValueError naming a bad one."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [n.strip() for n in names if n.strip()]
    bad = [n for n in names if n not in PRIORITIES]
    if bad or not names:
        raise ValueError(f"invalid priorities {bad or names!r}; choose from {list(PRIORITIES)}")
    return tuple(sorted(set(names), key=PRIORITIES.__getitem__, reverse=True))


def next_waiting(priorities: Sequence[str]) -> int | None:
    """The id of the event to take next: highest priority first, oldest first within it;
    none of a paused priority."""
    now = utcnow()
    for priority in priorities:  # one index range per priority, highest first
        message_id = db.session.scalar(
            select(EventMessage.id)
            .where(
                EventMessage.status == QUEUED,
                EventMessage.priority == priority,
                EventMessage.enqueued_at <= now,  # not before a retry's delay has passed
                priority_not_paused(),
            )
            .order_by(EventMessage.id)
            .limit(1)
        )
        if message_id is not None:
            return message_id
    return None


class Poller:
    """Takes and processes events of some priorities until ``stop`` (the current one finishes)."""

    def __init__(self, priorities: Sequence[str], interval: float = 0.5) -> None:
        self.priorities = parse_priorities(priorities)
        self.interval = interval
        # A plain flag: setting it is safe from a signal handler (no lock to deadlock on).
        self._stopping = False

    def poll_once(self) -> str | None:
        """Process the next waiting event: its outcome, or None when there is none."""
        message_id = next_waiting(self.priorities)
        db.session.commit()  # end the read before processing (SQLite: it holds the lock)
        if message_id is None:
            return None
        try:
            return process_message(message_id)
        except Exception:
            # Recorded on the row; while attempts remain it is queued again for any taker.
            log.info("event %s failed in the poller", message_id, exc_info=True)
            return "error"

    def run(self, until_idle: bool = False) -> int:
        """Poll until stopped (or until nothing waits, with ``until_idle``); events processed."""
        processed = 0
        while not self._stopping:
            outcome = self.poll_once()
            if outcome is None:
                if until_idle:
                    break
                time.sleep(self.interval)
            elif outcome != "skipped":
                processed += 1
        return processed

    def stop(self) -> None:
        """Finish the event in hand, then return from ``run``."""
        self._stopping = True
