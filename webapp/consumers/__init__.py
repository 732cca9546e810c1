"""Consumers and the queue: every Huey consumer process writes a heartbeat (host, pid,
workers, periodic on or off, when it started, what each worker runs now) while its workers
are up; one silent past ``BEACON_CONSUMER_GONE_AFTER`` seconds shows as gone. The queue's
depth comes from Huey's own API. The admin's queues page shows both."""

from webapp.consumers import beat  # noqa: F401  (registers the consumer hooks)
from webapp.consumers.beat import write_beat
from webapp.consumers.models import ALIVE, GONE, STOPPED, ConsumerProcess
from webapp.consumers.service import (
    ConsumerView,
    QueueDepth,
    consumer_list,
    priority_name,
    queue_depth,
)

__all__ = [
    "ALIVE",
    "GONE",
    "STOPPED",
    "ConsumerProcess",
    "ConsumerView",
    "QueueDepth",
    "consumer_list",
    "priority_name",
    "queue_depth",
    "write_beat",
]
