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
