"""The Activity log: the immutable record of everything that goes on.

Public API: ``Activity``, ``record_activity``, ``record_many``, ``ActivityStatusable``,
``StatusChecker``, ``periodic_task``, the ``activity_committed`` signal (sent after commit),
``write_transaction`` (a short transaction of a hot path, with its activities),
``pause_periodic`` / ``resume_periodic``.
"""

from webapp.activity.health import (
    PERIODIC_TASKS,
    PeriodicSpec,
    StatusChecker,
    health_state,
    periodic_task,
)
from webapp.activity.mixin import ActivityStatusable
from webapp.activity.models import Activity, ActivityDeletePermit, ImmutableActivityError
from webapp.activity.pauses import pause_periodic, registered_periodic, resume_periodic
from webapp.activity.service import (
    WriteTransaction,
    activity_committed,
    build_activity,
    record_activity,
    record_many,
    wire_dict,
    write_transaction,
)

__all__ = [
    "PERIODIC_TASKS",
    "Activity",
    "ActivityDeletePermit",
    "ActivityStatusable",
    "ImmutableActivityError",
    "PeriodicSpec",
    "StatusChecker",
    "activity_committed",
    "build_activity",
    "health_state",
    "pause_periodic",
    "periodic_task",
    "record_activity",
    "record_many",
    "registered_periodic",
    "resume_periodic",
    "WriteTransaction",
    "wire_dict",
    "write_transaction",
]

from webapp.activity import retention  # noqa: E402,F401  (registers the retention task)
