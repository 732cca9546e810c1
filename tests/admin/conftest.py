"""Fixtures for admin tests: one of everything an admin URL can point at."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.admin import factories
from tests.conftest import Person, login, make_user


@pytest.fixture
def viewer(app: Flask) -> Person:
    return make_user(app, "viewer@example.com", role="viewer")


@pytest.fixture
def viewer_client(app: Flask, viewer: Person):
    return login(app.test_client(), viewer)


@pytest.fixture
def url_ids(app: Flask, tmp_path) -> dict[str, object]:
    """Real ids for every argument an admin URL rule takes, by argument name."""
    op_id, _ = factories.failed_operation(app, tmp_path)
    failed_action = factories.action_ids(app, op_id)["main/fails_until_allowed"]
    return {
        "op_id": op_id,
        "action_id": failed_action,
        "event_id": factories.failed_event(app),
        "user_id": make_user(app, "someone@example.com").id,
        "job_id": factories.queued_job(app),
        "task_name": "events_sweep",
        "priority": "low",
        "verb": "retry",
        "kind": "operations",
    }


from tests.support.live import live_server  # noqa: E402,F401  (fixture)
