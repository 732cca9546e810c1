"""Demo tests: no dice (the fake provider and the subscription service never fail unless a
test asks), exports in the test's own folder, and builders for accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.support.live import live_server  # noqa: F401  (fixture)


def demo_settings(tmp_path: Path, export_pause: float = 0.0) -> dict:
    """Settings of a demo without dice (syncs succeed, accounts never expire, retried
    actions pass unless a test says otherwise), exporting into the test's own folder."""
    return {
        "BEACON_DEMO_EXPIRY_CHANCE": 0.0,
        "BEACON_DEMO_SYNC_ERROR_RATE": 0.0,
        "BEACON_DEMO_FAILURE_RATE": 0.0,
        "BEACON_DEMO_EXPORT_DIR": str(tmp_path / "exports"),
        "BEACON_DEMO_EXPORT_PAUSE": export_pause,
    }


@pytest.fixture
def app_settings(tmp_path) -> dict:
    return demo_settings(tmp_path)


def make_accounts(app: Flask, user_id: int) -> dict[str, int]:
    """A user's Calendar, Mailbox and Storage accounts: ``{service: id}``."""
    from tasks.demo.models import SERVICES, ConnectedAccount
    from webapp.extensions import db

    with app.app_context():
        accounts = [ConnectedAccount(user_id=user_id, service=s) for s in SERVICES]
        db.session.add_all(accounts)
        db.session.commit()
        return {a.service: a.id for a in accounts}


@pytest.fixture
def accounts(app: Flask, subscriber) -> dict[str, int]:
    return make_accounts(app, subscriber.id)
