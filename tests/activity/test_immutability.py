"""The log is append-only: the ORM and the database both refuse UPDATE and stray DELETE."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from webapp.activity import Activity, ImmutableActivityError, record_activity
from webapp.extensions import db


def test_raw_sql_update_is_refused_by_the_database(ctx):
    a = record_activity("sync", True)
    with pytest.raises(DatabaseError, match="immutable"):
        db.session.execute(
            text("UPDATE activity SET message = 'changed' WHERE id = :id"), {"id": a.id}
        )
    db.session.rollback()
    assert db.session.get(type(a), a.id).message is None


def test_raw_sql_delete_is_refused_by_the_database(ctx):
    a = record_activity("sync", True)
    with pytest.raises(DatabaseError, match="retention"):
        db.session.execute(text("DELETE FROM activity WHERE id = :id"), {"id": a.id})
    db.session.rollback()
    assert db.session.get(type(a), a.id) is not None


def test_orm_update_names_the_row(ctx):
    a = db.session.get(Activity, record_activity("sync", True).id)
    row_id = a.id
    a.message = "changed"
    with pytest.raises(ImmutableActivityError, match=f"Activity {row_id} \\(sync\\) is immutable"):
        db.session.flush()
    db.session.rollback()


def test_orm_delete_is_refused(ctx):
    a = db.session.get(Activity, record_activity("sync", True).id)
    db.session.delete(a)
    with pytest.raises(ImmutableActivityError, match="retention task"):
        db.session.flush()
    db.session.rollback()
