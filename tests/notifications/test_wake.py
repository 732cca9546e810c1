"""Waking the fan-out without Redis: the SQLite write-ahead log watch."""

from __future__ import annotations

import pytest

from webapp.activity import record_activity
from webapp.extensions import db
from webapp.notifications.wake import WalWatch


def test_wal_watch_notices_each_commit_once(ctx, backend):
    if backend.name != "sqlite":
        pytest.skip("the WAL watch is for the embedded SQLite database")
    watch = WalWatch.for_url(db.engine.url)
    assert not watch.changed()
    record_activity("sync.completed")
    assert watch.changed()
    assert not watch.changed()


def test_no_wal_watch_for_a_server_database(ctx, backend):
    if backend.name == "sqlite":
        pytest.skip("a server database has no WAL file to watch")
    assert WalWatch.for_url(db.engine.url) is None
