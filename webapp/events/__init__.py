"""Events: "do something later" with a priority, processed by exactly one consumer.

Public API: ``Event`` (subclass it in ``tasks/events/``), ``EventMessage``, ``queue_event``,
``retry_event``, ``delete_event`` (a finished one), ``registered_events``,
``get_event_class``, ``pause_priority`` / ``resume_priority`` / ``paused_priorities``, and
the admin queries ``list_events`` (its filters: ``event_conditions``) / ``event_counts``.
"""

from webapp.events.base import (
    Event,
    event_name_for,
    get_event_class,
    import_event_modules,
    registered_events,
)
from webapp.events.models import STATUSES, EventMessage, EventPause
from webapp.events.pauses import pause_priority, paused_priorities, resume_priority
from webapp.events.queries import (
    event_conditions,
    event_counts,
    event_dict,
    get_event,
    list_events,
)
from webapp.events.retention import delete_event
from webapp.events.service import queue_event, retry_event, sweep_events

__all__ = [
    "STATUSES",
    "Event",
    "EventMessage",
    "EventPause",
    "delete_event",
    "event_conditions",
    "event_counts",
    "event_dict",
    "event_name_for",
    "get_event",
    "get_event_class",
    "import_event_modules",
    "list_events",
    "pause_priority",
    "paused_priorities",
    "queue_event",
    "registered_events",
    "resume_priority",
    "retry_event",
    "sweep_events",
]
