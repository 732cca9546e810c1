"""Waking the fan-out without Redis: the SQLite write-ahead log watch."""

from __future__ import annotations

import pytest

from webapp.activity import record_activity
from webapp.extensions import db
from webapp.notifications.wake import WalWatch


@pytest.mark.backends("sqlite")
def test_wal_watch_notices_each_commit_once(ctx):
    watch = WalWatch.for_url(db.engine.url)
    assert not watch.changed()
    record_activity("sync.completed")
    assert watch.changed()
    assert not watch.changed()


@pytest.mark.backends("pg_redis")
def test_no_wal_watch_for_a_server_database(ctx):
    assert WalWatch.for_url(db.engine.url) is None
