"""``GET /healthz`` and ``GET /readyz``."""

from __future__ import annotations

from functools import cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from config import ROOT
from webapp.extensions import db
from webapp.probes import bp

#: How long a readiness check waits for Redis before calling it down (seconds).
REDIS_TIMEOUT = 1.0


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 while this process serves requests."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """200 when the database and Redis (if configured) answer and migrations are at head;
    else 503 naming what is wrong."""
    checks = {"database": _database()}
    if checks["database"] == "ok":
        checks["migrations"] = _migrations()
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis(current_app.config["REDIS_URL"])
    wrong = {name: state for name, state in checks.items() if state != "ok"}
    if wrong:
        problems = "; ".join(f"{name}: {state}" for name, state in wrong.items())
        return {"error": f"not ready: {problems}", "checks": checks}, 503
    return {"status": "ready", "checks": checks}


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready", said in one line
        db.session.rollback()
        return f"unreachable ({type(exc).__name__})"
    return "ok"


@cache
def migrations_head() -> str | None:
    """The newest migration this code ships (read once per process)."""
    return ScriptDirectory(str(ROOT / "migrations")).get_current_head()


def _migrations() -> str:
    head = migrations_head()
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    if current == head:
        return "ok"
    return f"at {current or 'none'}, head is {head}: run flask db upgrade"


def _redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"unreachable ({type(exc).__name__})"
    finally:
        client.close()
    return "ok"
