"""The application's own jobs, and the consumer entry point: ``huey_consumer tasks.huey``.

Importing this package registers every task with the Huey instance and gives Huey the app
factory a standalone consumer builds its Flask app with (a web process binds its own).
"""

import importlib
import os

import webapp.consumers  # noqa: F401  (the consumer heartbeat)
import webapp.jobs  # noqa: F401  (job lifecycle hooks, lease monitor, housekeeping task)
import webapp.operations  # noqa: F401  (the action runner and the reaper)
from config import settings
from tasks import bulk, demo, events  # noqa: F401  (events: every event class, see its __init__)
from webapp.extensions import huey
from webapp.factory import create_app

huey.app_factory = create_app

if settings()["BEACON_DEMO"]:
    # The demo application's jobs: sync, export, fulfillment and their periodic tasks.
    demo.register()

__all__ = ["huey"]

# Extra task modules for this process, comma-separated (tests give a standalone consumer
# their own tasks and event classes this way).
for _module in os.environ.get("BEACON_EXTRA_TASK_MODULES", "").split(","):
    if _module.strip():
        importlib.import_module(_module.strip())
