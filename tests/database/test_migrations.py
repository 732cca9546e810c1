"""Migrations build every table on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from webapp import create_app
from webapp.extensions import db


def _migrated_app(backend):
    app = create_app(backend.settings)
    with app.app_context():
        flask_migrate.upgrade()
    return app


def test_upgrade_creates_every_model_table(backend):
    app = _migrated_app(backend)
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        db.engine.dispose()


def test_migrations_match_models(backend):
    app = _migrated_app(backend)
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
    with app.app_context():
        db.engine.dispose()


def test_downgrade_to_base_and_up_again(backend):
    app = _migrated_app(backend)
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        assert "user" not in inspect(db.engine).get_table_names()
        flask_migrate.upgrade()
        assert "user" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_upgrade_fills_the_newest_outcomes_of_periodic_tasks(backend):
    """0008 adds ``periodic_outcome``: filled from the activities already there, then kept by
    the triggers."""
    import datetime as dt

    from sqlalchemy import insert, select

    from webapp.activity import Activity, record_activity
    from webapp.activity.health import PeriodicSubject
    from webapp.activity.models import PeriodicOutcome

    app = create_app(backend.settings)
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def row(i, task, key, value, subject_type="periodic_task"):
        return {
            "created_at": when + dt.timedelta(minutes=i),
            "subject_type": subject_type,
            "subject_id": task,
            "key": key,
            "base_key": key,
            "value": value,
            "outcome": value if isinstance(value, bool) else None,
            "truthy": bool(value),
            "message": f"m{i}",
            "system": True,
            "private": False,
        }

    with app.app_context():
        flask_migrate.upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(
                insert(Activity.__table__),
                [
                    row(1, "t1", "t1.completed", True),
                    row(2, "t1", "t1.failed", False),
                    row(3, "t1", "t1.completed", True),
                    row(4, "t2", "t2.started", None),
                    row(5, "t3", "sync", True, subject_type="service"),
                ],
            )
        flask_migrate.upgrade()

        def outcomes():
            rows = db.session.scalars(select(PeriodicOutcome))
            return {(r.task, r.outcome): (r.activity_id, r.key, r.message) for r in rows}

        ids = {a.message: a.id for a in db.session.scalars(select(Activity))}
        assert outcomes() == {
            ("t1", True): (ids["m3"], "t1.completed", "m3"),
            ("t1", False): (ids["m2"], "t1.failed", "m2"),
        }
        done = record_activity("t2.completed", True, subject=PeriodicSubject("t2"), system=True)
        assert outcomes()[("t2", True)] == (done.id, "t2.completed", None)
        db.session.remove()
        db.engine.dispose()
