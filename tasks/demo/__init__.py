"""The demo application: its model (connected accounts) and its jobs: account sync, CSV
export, subscription fulfillment, and the health check of the periodic tasks.

Importing the package registers nothing (``webapp.models`` imports the model whatever
``BEACON_DEMO`` says); ``register()`` imports every job module, which registers its tasks.
"""

import importlib

JOB_MODULES = ("export", "fulfillment", "health", "provider", "sync")


def register() -> None:
    """Register the demo's tasks and periodic tasks with Huey."""
    for name in JOB_MODULES:
        importlib.import_module(f"tasks.demo.{name}")
