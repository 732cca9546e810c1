"""The choice of a job-status store, made once per app.

``BEACON_JOB_STORE`` picks the store: ``"sql"`` (table ``job_status``, the embedded default)
or ``"redis"`` (a hash per job with a TTL, under ``BEACON_REDIS_PREFIX``).
"""

from __future__ import annotations

from flask import Flask

from webapp.database import this_app
from webapp.jobs.redis_store import RedisStore
from webapp.jobs.sql_store import SqlStore
from webapp.jobs.store import JobStore


def build_store(app: Flask) -> JobStore:
    """The store the app's settings name."""
    name = app.config.get("BEACON_JOB_STORE") or "sql"
    if name == "sql":
        return SqlStore()
    if name == "redis":
        url = app.config.get("REDIS_URL")
        if not url:
            raise ValueError("BEACON_JOB_STORE is 'redis' but REDIS_URL is not set")
        return RedisStore.from_url(url, app.config.get("BEACON_REDIS_PREFIX", "beacon:"))
    raise ValueError(f"unknown BEACON_JOB_STORE {name!r}: expected 'sql' or 'redis'")


def get_store(app: Flask | None = None) -> JobStore:
    """This app's store (built on first use: creating an app connects to nothing)."""
    app = app or this_app()
    store = app.extensions.get("beacon.jobs.store")
    if store is None:
        store = app.extensions["beacon.jobs.store"] = build_store(app)
    return store
