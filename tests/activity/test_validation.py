"""Bad keys and values raise ValueError naming them, and write nothing."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from tests.activity.factories import Service, activity_count
from webapp.activity import Activity, record_activity, record_many
from webapp.extensions import db


@pytest.mark.parametrize(
    "key", ["", "Sync", "a..b", ".a", "a.", "a b", "a-b", "é", "x" * 256, None, 42, b"sync"]
)
def test_invalid_key_is_refused_and_nothing_written(ctx, key):
    with pytest.raises(ValueError, match="key"):
        record_activity(key)
    assert activity_count() == 0


def test_key_of_255_characters_is_accepted(ctx):
    assert record_activity("k" * 255).key == "k" * 255


@pytest.mark.parametrize("value", [object(), {1, 2}, math.nan, math.inf, b"bytes"])
def test_non_json_value_is_refused(ctx, value):
    with pytest.raises(ValueError, match="JSON"):
        record_activity("sync", value)
    assert activity_count() == 0


def test_oversize_value_is_refused(ctx):
    with pytest.raises(ValueError, match="max 65536"):
        record_activity("sync", "x" * (64 * 1024))
    assert activity_count() == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"message": 5}, "message"),
        ({"system": "yes"}, "system"),
        ({"private": 1}, "private"),
        ({"user_id": "7"}, "user_id"),
        ({"action_required": "Re Auth"}, "action_required"),
        ({"action_url": "javascript:alert(1)"}, "action_url"),
        ({"action_url": "//evil.example"}, "action_url"),
    ],
)
def test_bad_fields_are_refused(ctx, kwargs, match):
    with pytest.raises(ValueError, match=match):
        record_activity("sync", True, **kwargs)
    assert activity_count() == 0


def test_json_values_round_trip(ctx):
    value = {"items": [1, 2.5, "x", None, True], "nested": {"a": {}}}
    assert Service("s").status_update("sync", value).value == value


def test_bulk_with_one_bad_entry_writes_none(ctx):
    with pytest.raises(ValueError, match="entry 1"):
        record_many([{"key": "ok.one"}, {"key": "Bad"}, {"key": "ok.two"}])
    assert activity_count() == 0


def test_bulk_writes_all_in_order(ctx):
    ids = record_many({"key": f"bulk.n{i}", "value": i} for i in range(100))
    assert ids == sorted(ids) and len(set(ids)) == 100
    rows = db.session.scalars(select(Activity).where(Activity.id.in_(ids)).order_by(Activity.id))
    assert [r.value for r in rows] == list(range(100))
    assert activity_count() == 100
