"""Events: "do something later" with a priority, processed by exactly one consumer.

Public API: ``Event`` (subclass it in ``tasks/events/``), ``EventMessage``, ``queue_event``,
``retry_event``, ``registered_events``, ``get_event_class``, and the admin queries
``list_events`` / ``event_counts``.
"""

from webapp.events.base import (
    Event,
    event_name_for,
    get_event_class,
    import_event_modules,
    registered_events,
)
from webapp.events.models import STATUSES, EventMessage
from webapp.events.queries import event_counts, event_dict, get_event, list_events
from webapp.events.service import queue_event, retry_event, sweep_events

__all__ = [
    "STATUSES",
    "Event",
    "EventMessage",
    "event_counts",
    "event_dict",
    "event_name_for",
    "get_event",
    "get_event_class",
    "import_event_modules",
    "list_events",
    "queue_event",
    "registered_events",
    "retry_event",
    "sweep_events",
]

from webapp.events import retention  # noqa: E402,F401  (registers its retention)
