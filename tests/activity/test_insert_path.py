"""One insert path: a batch in a transaction that read first, with another connection
inserting activities at the same time, stores every row with its own id."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select

from webapp.activity import Activity, record_many
from webapp.activity.service import activity_values
from webapp.extensions import db


@pytest.mark.backends("sqlite", "pg_redis")
def test_batch_after_a_read_with_another_writer_stores_every_row_with_its_own_id(ctx):
    before = db.session.scalar(select(func.count()).select_from(Activity))  # reads first
    ids = record_many([{"key": "batch.row", "value": n} for n in range(200)], commit=False)
    other_rows = [activity_values("other.row", n) for n in range(50)]
    for row in other_rows:
        row["value"] = row.pop("value_json")
    started = threading.Event()

    def other_writer() -> None:
        with ctx.app_context():
            started.set()
            with db.engine.begin() as conn:  # on SQLite it waits for the batch's commit
                conn.execute(insert(Activity.__table__), other_rows)

    thread = threading.Thread(target=other_writer)
    thread.start()
    started.wait(5)
    db.session.commit()
    thread.join(15)
    stored = db.session.scalars(select(Activity.id).where(Activity.key == "batch.row")).all()
    total = db.session.scalar(select(func.count(func.distinct(Activity.id))))
    assert sorted(stored) == sorted(ids) and len(set(ids)) == 200
    assert total == before + 250
