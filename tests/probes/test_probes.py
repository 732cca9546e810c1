"""/healthz says the process serves; /readyz that it can work: the database and Redis answer
and migrations are at head, else 503 naming what is wrong. Neither needs a login."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.support.services import RedisServer
from webapp import create_app
from webapp.extensions import db


def test_healthz_answers_without_a_login(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_everything_answers(client, backend):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    checks = resp.get_json()["checks"]
    expected = {"database": "ok", "migrations": "ok"}
    if backend.uses_redis:
        expected["redis"] = "ok"
    assert checks == expected


def test_readyz_names_migrations_that_are_not_at_head(app, client):
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert "migrations: at 0001, head is" in resp.get_json()["error"]


@pytest.mark.backends("sqlite")
def test_readyz_names_redis_when_it_does_not_answer(backend):
    redis_server = RedisServer()
    redis_server.start()
    try:
        app = create_app({**backend.settings, "REDIS_URL": redis_server.url})
        with app.app_context():
            db.create_all()
        redis_server.stop()
        resp = app.test_client().get("/readyz")
    finally:
        redis_server.stop()
    assert resp.status_code == 503
    assert "redis: unreachable" in resp.get_json()["error"]


@pytest.mark.backends("pg_redis")
def test_readyz_names_a_database_that_does_not_answer_and_healthz_still_answers(backend):
    from tests.support.services import free_port

    app = create_app(
        {
            **backend.settings,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x",
        }
    )
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert "database: unreachable" in resp.get_json()["error"]
    assert app.test_client().get("/healthz").status_code == 200  # the process still serves
