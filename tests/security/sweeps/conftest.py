"""The sweeps' world: a real target for every URL argument (see world.py), and a demo
without dice with login limits no sweep reaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.admin import factories
from tests.conftest import login, make_user
from tests.demo.conftest import demo_settings, make_accounts
from tests.security.sweeps.world import World
from tests.support.live import live_server  # noqa: F401  (fixture)
from tests.support.queue import drain


@pytest.fixture
def app_settings(tmp_path: Path) -> dict[str, Any]:
    """The demo without dice, and login limits no sweep reaches."""
    return {
        **demo_settings(tmp_path),
        "BEACON_LOGIN_LIMIT": "10000 per minute",
        "BEACON_LOGIN_ACCOUNT_LIMIT": "10000 per minute",
        "BEACON_LOGIN_ADDRESS_LIMIT": "10000 per minute",
    }


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> World:
    """Targets in states a write would change, owned by the world's subscriber."""
    from tasks.demo.export import export_activity
    from tasks.demo.provider import expire_token
    from tasks.demo.sync import sync_account
    from webapp.jobs import JobStatus

    admin = make_user(app, "admin@example.com", role="admin")
    subscriber = make_user(app, "sub@example.com")
    accounts = make_accounts(app, subscriber.id)
    op_id, _ = factories.failed_operation(app, tmp_path)
    with app.app_context():
        expire_token(accounts["Calendar"])
        sync_account(accounts["Calendar"])  # expired: an open re-authenticate alert
        job_id = export_activity(owner_id=subscriber.id).id
        drain()
        assert JobStatus.get(job_id).is_completed
    # Both people are logged in somewhere else too: a session a write could end.
    login(app.test_client(), subscriber)
    login(app.test_client(), admin)
    return World(
        app,
        admin,
        subscriber,
        {
            "op_id": op_id,
            "action_id": factories.action_ids(app, op_id)["main/fails_until_allowed"],
            "event_id": factories.failed_event(app),
            "account_id": accounts["Calendar"],
            "job_id": job_id,
            "user_id": subscriber.id,
            "filename": "css/beacon.css",
            "task_name": "events_sweep",
            "priority": "low",
            "verb": "retry",
            "kind": "operations",
        },
    )
