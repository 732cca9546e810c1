"""Apps for the benchmark: the embedded default, and PostgreSQL/Redis when their URLs are set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

os.environ.setdefault("SECRET_KEY", "bench-only")


def pg_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def redis_url() -> str | None:
    return os.environ.get("TEST_REDIS_URL")


def base_settings(tmp: Path, name: str) -> dict:
    return {
        "BEACON_ENV": "testing",
        "BEACON_HUEY_NAME": name,
        "BEACON_HUEY_FILE": str(tmp / "huey.db"),
        "BEACON_REDIS_PREFIX": f"beacon:{name}:",
        "REDIS_URL": None,
        "BEACON_SOCKETIO_QUEUE": None,
        "BEACON_JOB_STORE": "sql",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'beacon.db'}",
    }


@contextmanager
def app_for(kind: str, tmp: Path, *, redis: bool = False) -> Iterator:
    """A migrated-by-create_all app on ``sqlite`` or ``postgresql`` (a schema of its own)."""
    from webapp import create_app
    from webapp.extensions import db

    name = f"bench_{uuid.uuid4().hex[:10]}"
    settings = base_settings(tmp, name)
    schema = None
    if kind == "postgresql":
        base = pg_url()
        schema = name
        engine = sa.create_engine(base)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        engine.dispose()
        settings["SQLALCHEMY_DATABASE_URI"] = f"{base}?options={quote(f'-csearch_path={schema}')}"
    if redis:
        # The scaled mode as deployed: queue, job statuses and Socket.IO messages on Redis.
        settings["REDIS_URL"] = redis_url()
        settings["BEACON_JOB_STORE"] = "redis"
        settings["BEACON_SOCKETIO_QUEUE"] = redis_url()
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            engine = sa.create_engine(pg_url())
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            engine.dispose()
        if redis:
            import redis as redis_lib

            client = redis_lib.Redis.from_url(redis_url())
            keys = list(client.scan_iter(f"*{name}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()


def database_kinds() -> list[str]:
    return ["sqlite", "postgresql"] if pg_url() else ["sqlite"]


def child_env(app, tmp: Path) -> dict[str, str]:
    """The app's settings as environment variables, for a process of its own."""
    c = app.config
    return {
        **os.environ,
        "BEACON_ENV": c.get("BEACON_ENV", "testing"),
        "BEACON_INSTANCE_DIR": str(tmp),
        "DATABASE_URL": c["SQLALCHEMY_DATABASE_URI"],
        "BEACON_HUEY_NAME": c["BEACON_HUEY_NAME"],
        "BEACON_HUEY_FILE": c["BEACON_HUEY_FILE"],
        "BEACON_REDIS_PREFIX": c["BEACON_REDIS_PREFIX"],
        "BEACON_JOB_STORE": c["BEACON_JOB_STORE"],
        "REDIS_URL": c.get("REDIS_URL") or "",
        "FLASK_APP": "webapp",
    }
