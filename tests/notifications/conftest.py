"""Fixtures of the notification tests: a live server, short gap waits, activity factories."""

from __future__ import annotations

import pytest

from tests.support.live import live_server  # noqa: F401  (fixture)


@pytest.fixture
def app_settings() -> dict:
    # Short waits keep late-commit tests quick; the logic is the same at any length.
    return {"BEACON_FANOUT_GAP_WAIT": 0.3, "BEACON_FANOUT_POLL": 0.05}


def record(app, key="sync.completed", value=True, message=None, **kwargs):
    """Record one activity in its own app context and transaction; return its id."""
    from webapp.activity import record_activity

    with app.app_context():
        return record_activity(key, value, message, **kwargs).id
