"""Order of processing with one worker: high before medium before low, oldest first within
a priority, on SqliteHuey and on PriorityRedisStorage."""

from __future__ import annotations

from tests.events import sample_events
from tests.support.queue import running_consumer, wait_until
from webapp.events import queue_event


def process_all(count: int) -> list[str]:
    with running_consumer(workers=1):
        wait_until(lambda: len(sample_events.processed) == count, message=f"{count} events")
    return list(sample_events.processed)


def test_queue_filled_low_medium_high_is_processed_high_medium_low(ctx):
    sample_events.processed.clear()
    for priority in ("low", "medium", "high"):
        queue_event("record_label", priority, label=priority)
    assert process_all(3) == ["high", "medium", "low"]


def test_within_one_priority_oldest_is_processed_first(ctx):
    sample_events.processed.clear()
    labels = [f"medium-{n}" for n in range(8)]
    for label in labels:
        queue_event("record_label", label=label)
    assert process_all(len(labels)) == labels


def test_interleaved_priorities_keep_arrival_order_within_each(ctx):
    sample_events.processed.clear()
    for label in ("low-1", "medium-1", "high-1", "low-2", "medium-2", "high-2"):
        queue_event("record_label", label.split("-")[0], label=label)
    assert process_all(6) == ["high-1", "high-2", "medium-1", "medium-2", "low-1", "low-2"]
