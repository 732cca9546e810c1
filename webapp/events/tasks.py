"""The Huey side of events: the task that processes one event, and the periodic sweeper."""

from __future__ import annotations

import datetime as dt

from huey import crontab

from webapp.activity import periodic_task
from webapp.events.service import process_message, sweep_events
from webapp.extensions import huey


@huey.task(context=True)
def process_event(message_id: int, task=None) -> str:
    """Process one stored event (enqueued by queue_event with the event's Huey priority)."""
    return process_message(message_id, task_id=task.id if task is not None else None)


@periodic_task(crontab(minute="*"), period=dt.timedelta(minutes=1), name="events_sweep")
def events_sweep() -> int:
    """Every minute: re-enqueue events that lost their Huey task, recover lost attempts."""
    return sweep_events()
