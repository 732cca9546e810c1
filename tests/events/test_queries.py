"""Admin reads: events by status and priority, newest first and keyset-paged; counts."""

from __future__ import annotations

import pytest

from tests.events import sample_events  # noqa: F401  (registers the sample events)
from tests.support.queue import drain
from webapp.events import event_counts, event_dict, list_events, queue_event


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_EVENT_RETRIES": 0}


def queue_mix() -> dict[str, int]:
    ids = {}
    for label, priority in (("a", "low"), ("b", "high"), ("c", "high"), ("d", "medium")):
        ids[label] = queue_event("record_label", priority, label=label).id
    return ids


def test_list_events_filters_by_status_and_priority_newest_first(ctx):
    ids = queue_mix()
    items, next_before = list_events(status="queued", priority="high")
    assert [m.id for m in items] == [ids["c"], ids["b"]]
    assert next_before is None


def test_list_events_pages_by_id_without_gaps_or_repeats(ctx):
    ids = sorted(queue_mix().values(), reverse=True)
    first, cursor = list_events(limit=3)
    rest, end = list_events(limit=3, before=cursor)
    assert [m.id for m in first + rest] == ids
    assert end is None


@pytest.mark.parametrize(
    "bad", [{"status": "lost"}, {"priority": "urgent"}, {"before": "x"}, {"limit": 0}]
)
def test_list_events_refuses_bad_filters(ctx, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        list_events(**bad)


def test_event_counts_by_status_and_priority(ctx):
    queue_mix()
    queue_event("broken", "low")
    drain()
    counts = event_counts()
    assert counts["total"] == 5
    assert counts["by_status"] == {
        "queued": 0,
        "processing": 0,
        "done": 4,
        "failed": 1,
        "halted": 0,
    }
    assert counts["by_priority"] == {"high": 2, "medium": 1, "low": 2}
    assert counts["by_status_priority"]["failed"] == {"high": 0, "medium": 0, "low": 1}


def test_event_dict_is_json_ready(ctx):
    message = queue_event("record_label", label="a")
    data = event_dict(message)
    assert data["status"] == "queued"
    assert data["queued_at"].endswith("Z")
    assert data["params"] == {"label": "a"}
