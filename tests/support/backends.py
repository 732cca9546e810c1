"""The two backends every test runs on: the embedded default and PostgreSQL + Redis.

A backend is a set of settings (for ``create_app``) and the same settings as environment
variables (for child processes: web servers, ``huey_consumer``), isolated per test: a temp
directory for SQLite, a fresh schema for PostgreSQL, a unique key prefix for Redis.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import quote

import redis
import sqlalchemy as sa

from tests.support.services import database_url, redis_url, unique_name


class Backend:
    name = "base"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.id = unique_name("b")
        self.settings: dict = {
            "BEACON_ENV": "testing",
            "BEACON_HUEY_NAME": self.id,
            "BEACON_HUEY_FILE": str(tmp / "huey.db"),
            "BEACON_REDIS_PREFIX": f"beacon:{self.id}:",
            "REDIS_URL": None,
            "BEACON_SOCKETIO_QUEUE": None,
        }

    @property
    def uses_redis(self) -> bool:
        return bool(self.settings.get("REDIS_URL"))

    def env(self) -> dict[str, str]:
        """These settings as environment variables for a child process."""
        s = self.settings
        env = {
            "BEACON_ENV": "testing",
            "BEACON_INSTANCE_DIR": str(self.tmp),
            "DATABASE_URL": s["SQLALCHEMY_DATABASE_URI"],
            "BEACON_HUEY_NAME": s["BEACON_HUEY_NAME"],
            "BEACON_HUEY_FILE": s["BEACON_HUEY_FILE"],
            "BEACON_REDIS_PREFIX": s["BEACON_REDIS_PREFIX"],
            "BEACON_JOB_STORE": s.get("BEACON_JOB_STORE")
            or ("redis" if self.uses_redis else "sql"),
            "REDIS_URL": s.get("REDIS_URL") or "",
        }
        return env

    def setup(self) -> None:
        pass

    def teardown(self) -> None:
        pass


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp / 'beacon.db'}"
        self.settings["BEACON_JOB_STORE"] = "sql"


class ServicesBackend(Backend):
    """PostgreSQL (a schema of its own) + Redis (a key prefix and Huey name of its own)."""

    name = "pg_redis"

    def __init__(self, tmp: Path) -> None:
        super().__init__(tmp)
        self.base_db_url = database_url()
        self.redis = redis_url()
        self.schema = self.id
        sep = "&" if "?" in self.base_db_url else "?"
        self.settings["SQLALCHEMY_DATABASE_URI"] = f"{self.base_db_url}{sep}options=" + quote(
            f"-csearch_path={self.schema} -csynchronous_commit=off"
        )
        self.settings["REDIS_URL"] = self.redis
        self.settings["BEACON_JOB_STORE"] = "redis"

    def setup(self) -> None:
        engine = sa.create_engine(self.base_db_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
        engine.dispose()

    def teardown(self) -> None:
        engine = sa.create_engine(self.base_db_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        engine.dispose()
        client = redis.Redis.from_url(self.redis)
        with contextlib.closing(client):
            keys = list(client.scan_iter(f"*{self.id}*", count=1000))
            if keys:
                client.delete(*keys)


BACKENDS = {"sqlite": SqliteBackend, "pg_redis": ServicesBackend}
