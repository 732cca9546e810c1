"""Fixtures: an app per test on each backend, clients logged in by role, a real consumer."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

# Import-time settings (the Huey instance, the instance folder) must not touch the checkout.
_SESSION_TMP = tempfile.mkdtemp(prefix="beacon-tests-")
os.environ.setdefault("BEACON_INSTANCE_DIR", _SESSION_TMP)
os.environ.setdefault("BEACON_HUEY_FILE", os.path.join(_SESSION_TMP, "import-huey.db"))
os.environ.setdefault("SECRET_KEY", "testing-only-secret")

import pytest  # noqa: E402

# Shared checks outside test modules keep pytest's detailed assertion messages.
pytest.register_assert_rewrite("tests.reliability.contention")

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from tests.support.backends import BACKENDS, Backend  # noqa: E402
from tests.support.processes import Processes  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db, huey  # noqa: E402


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a backend runs on SQLite and on PostgreSQL + Redis."""
    if "backend_name" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker else tuple(BACKENDS)
        metafunc.parametrize("backend_name", names, scope="function")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run only on these backends (sqlite, pg_redis)"
    )


@pytest.fixture
def backend(backend_name: str, tmp_path) -> Iterator[Backend]:
    b = BACKENDS[backend_name](tmp_path)
    b.setup()
    try:
        yield b
    finally:
        b.teardown()


@pytest.fixture
def app_settings() -> dict:
    """Extra settings a test module may override."""
    return {}


@pytest.fixture
def app(backend: Backend, app_settings: dict) -> Iterator[Flask]:
    app = create_app({**backend.settings, **app_settings})
    with app.app_context():
        db.create_all()
        stamp_migrations_head()
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    huey.storage.close() if hasattr(huey.storage, "close") else None


def stamp_migrations_head() -> None:
    """Record the newest migration as applied: ``create_all`` builds the schema the migrations
    end at (tests/database proves it), so the app reports itself ready (``/readyz``)."""
    from sqlalchemy import text

    from webapp.probes.routes import migrations_head

    db.session.execute(
        text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    )
    db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": migrations_head()})
    db.session.commit()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for the whole test (for domain code; not with the test client)."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Person:
    id: int
    email: str
    password: str
    role: str


def make_user(
    app: Flask, email: str, role: str = "subscriber", password: str = "pw-secret"
) -> Person:
    from webapp.accounts import create_user

    with app.app_context():
        user = create_user(email, password, role=role)
        return Person(user.id, user.email, password, role)


@pytest.fixture
def subscriber(app: Flask) -> Person:
    return make_user(app, "sub@example.com")


@pytest.fixture
def other_subscriber(app: Flask) -> Person:
    return make_user(app, "other@example.com")


@pytest.fixture
def admin(app: Flask) -> Person:
    return make_user(app, "admin@example.com", role="admin")


CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no csrf-token meta on {path}"
    return match.group(1)


def login(client: FlaskClient, person: Person) -> FlaskClient:
    token = csrf_token(client)
    resp = client.post(
        "/login", data={"email": person.email, "password": person.password, "csrf_token": token}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client, "/")
    return client


@pytest.fixture
def subscriber_client(app: Flask, subscriber: Person) -> FlaskClient:
    return login(app.test_client(), subscriber)


@pytest.fixture
def other_client(app: Flask, other_subscriber: Person) -> FlaskClient:
    return login(app.test_client(), other_subscriber)


@pytest.fixture
def admin_client(app: Flask, admin: Person) -> FlaskClient:
    return login(app.test_client(), admin)


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop_all()
