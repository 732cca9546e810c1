"""The application's own jobs, and the consumer entry point: ``huey_consumer tasks.huey``.

Importing this package registers every task with the Huey instance.
"""

from webapp.extensions import huey

__all__ = ["huey"]
