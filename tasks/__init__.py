"""The application's own jobs, and the consumer entry point: ``huey_consumer tasks.huey``.

Importing this package registers every task with the Huey instance.
"""

import importlib
import os

import webapp.jobs  # noqa: F401  (job lifecycle hooks, lease monitor, housekeeping task)
import webapp.operations  # noqa: F401  (the action runner and the reaper)
from config import settings
from tasks import events  # noqa: F401  (every event class, see tasks/events/__init__.py)
from webapp.extensions import huey

if settings()["BEACON_DEMO"]:
    # The demo application's jobs: sync, export, fulfillment and their periodic tasks.
    importlib.import_module("tasks.demo")

__all__ = ["huey"]

# Extra task modules for this process, comma-separated (tests give a standalone consumer
# their own tasks and event classes this way).
for _module in os.environ.get("BEACON_EXTRA_TASK_MODULES", "").split(","):
    if _module.strip():
        importlib.import_module(_module.strip())
