"""Job status: every tracked Huey job's status and progress, stored race-free.

Public API: ``tracked_task`` (declare a job), ``JobStatus`` (read or change one:
``get``, ``for_owner``, ``recent``), ``Batch``, the stores (``JobStore``, ``SqlStore``,
``RedisStore``, ``get_store``), ``reap``, ``cancel_job`` and ``JobCancelled``, the argument
search (``ArgumentSearch``, ``SearchUnavailable``) and the
``job_status_changed`` signal.
"""

from webapp.jobs.backend import get_store
from webapp.jobs.batch import Batch
from webapp.jobs.decorator import TrackedTask, tracked_task
from webapp.jobs.lease import reap
from webapp.jobs.lifecycle import cancel_job
from webapp.jobs.redis_store import RedisStore
from webapp.jobs.search import ArgumentSearch, SearchUnavailable
from webapp.jobs.signals import job_status_changed
from webapp.jobs.sql_store import SqlStore
from webapp.jobs.status import JobCancelled, JobStatus, Progress
from webapp.jobs.store import FINISHED, STATUSES, JobStore, Write

__all__ = [
    "FINISHED",
    "STATUSES",
    "ArgumentSearch",
    "Batch",
    "JobCancelled",
    "JobStatus",
    "JobStore",
    "Progress",
    "RedisStore",
    "SearchUnavailable",
    "SqlStore",
    "TrackedTask",
    "Write",
    "cancel_job",
    "get_store",
    "job_status_changed",
    "reap",
    "tracked_task",
]

# Registers the housekeeping task and the purge the retention task runs.
from webapp.jobs import retention, tasks  # noqa: E402,F401
