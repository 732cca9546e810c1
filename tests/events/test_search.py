"""Search events by their params, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.events import sample_events  # noqa: F401  (registers the sample events)
from webapp.events import list_events, queue_event


def test_an_event_is_found_by_a_param_value(ctx):
    world = queue_event("record_label", label="world").id
    queue_event("record_label", label="moon")
    items, _ = list_events(params={"label": "world"})
    assert [m.id for m in items] == [world]


def test_a_param_search_combines_with_the_other_filters(ctx):
    high = queue_event("record_label", "high", label="x").id
    queue_event("record_label", "low", label="x")
    items, _ = list_events(priority="high", params={"label": "x"})
    assert [m.id for m in items] == [high]


def test_a_params_filter_that_is_not_a_dict_is_refused(ctx):
    with pytest.raises(ValueError, match="params filter must be a dict"):
        list_events(params=["x"])  # type: ignore[arg-type]
