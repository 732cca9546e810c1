"""The reads the feed and health depend on are index-backed (EXPLAIN on both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, text

from webapp.activity import Activity
from webapp.activity.queries import for_subject
from webapp.extensions import db
from webapp.notifications.feed import page_query


@pytest.fixture
def populated(ctx):
    """5,000 rows over 50 owners and 50 subjects, with statistics gathered."""
    from webapp.accounts.models import User

    db.session.execute(
        insert(User),
        [{"email": f"u{i}@x.io", "password_hash": "x", "role": "subscriber"} for i in range(1, 51)],
    )
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "created_at": now,
            "subject_type": "service",
            "subject_id": str(i % 50),
            "user_id": i % 50 + 1,
            "key": "sync",
            "base_key": "sync",
            "value": i % 2 == 0,
            "outcome": i % 2 == 0,
            "truthy": i % 2 == 0,
            "system": False,
            "private": False,
        }
        for i in range(5000)
    ]
    db.session.execute(insert(Activity), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def plan(stmt) -> str:
    dialect = db.engine.dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(text(prefix + sql)).all()
    return "\n".join(str(r[-1]) for r in rows)


def assert_uses_index(text_plan: str, index: str) -> None:
    assert index in text_plan, text_plan
    # Only the log's own scans count: the feed also reads the (empty) read-state tables.
    assert "SCAN activity\n" not in text_plan + "\n", text_plan
    assert "Seq Scan on activity " not in text_plan, text_plan


def test_feed_page_query_uses_owner_index(populated):
    assert_uses_index(plan(page_query(7, before=4000, limit=50)), "ix_activity_user_id_id")


def test_last_success_query_uses_subject_index(populated):
    stmt = (
        for_subject("service", "7")
        .where(Activity.base_key == "sync", Activity.key == "sync", Activity.outcome.is_(True))
        .order_by(Activity.id.desc())
        .limit(1)
    )
    text_plan = plan(stmt)
    assert "ix_activity_subject" in text_plan, text_plan
    assert "Seq Scan" not in text_plan and "SCAN activity\n" not in text_plan + "\n"
